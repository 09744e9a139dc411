#!/usr/bin/env bash
# Restoring a ~50 MB sidecar from the artifact cache instead of building it.
#  local:  `freezer build` with the state forgotten (as after a branch switch), the
#          entry in the local cache: hashing, lookup, copy + integrity check, install.
#  remote: the same with an empty local cache and the entry on a loopback nginx
#          (WebDAV, as in the tests), against `curl` fetching the same blob from the
#          same server to a file, in the same run.
# Usage: bench/cache_restore.sh
source "$(dirname "$0")/common.sh"
need
command -v nginx >/dev/null || PATH="$PATH:/usr/sbin"
command -v nginx >/dev/null || { echo "bench: nginx not found (scripts/setup.sh installs it)" >&2; exit 2; }

dir="$WORK/restore"
srv="$WORK/restore-nginx"
rm -rf "$dir" "$srv"
mkdir -p "$dir/src" "$srv/root/cache" "$srv/logs"
port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$srv/nginx.conf" <<NGINX
daemon off;
master_process off;
worker_processes 1;
error_log $srv/logs/error.log warn;
pid $srv/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    sendfile on;
    client_body_temp_path $srv/body;
    proxy_temp_path $srv/proxy;
    fastcgi_temp_path $srv/fastcgi;
    uwsgi_temp_path $srv/uwsgi;
    scgi_temp_path $srv/scgi;
    server {
        listen 127.0.0.1:$port;
        root $srv/root;
        client_max_body_size 0;
        location /cache/ { dav_methods PUT; create_full_put_path on; }
    }
}
NGINX
nginx -p "$srv" -c "$srv/nginx.conf" -e "$srv/logs/error.log" &
nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null || true' EXIT
sleep 0.5

# ~50 MB of incompressible data bundled into a PyInstaller onefile binary.
head -c 48000000 /dev/urandom > "$dir/src/blob.bin"
printf 'import sys\nprint("app", sys.argv[1:])\n' > "$dir/src/main.py"
cat > "$dir/freezer.yaml" <<YAML
python: $PYTHON
cache:
  remote: {url: "http://127.0.0.1:$port/cache"}
sidecars:
  app:
    root: src
    entry: main.py
    data: [{src: blob.bin, dest: .}]
YAML
"$FREEZER" -C "$dir" build >/dev/null   # the one real build; uploads too
size=$(stat -c %s "$dir/dist/app/app")
blob=$(find "$srv/root/cache/cas" -type f -size +40M | head -1)
echo "bench: artifact $size bytes; blob $(basename "$blob")"

forget_state="rm -f $dir/.freezer/state/app@pyinstaller.json"
forget_all="rm -rf $dir/.freezer/state/app@pyinstaller.json $dir/.freezer/cache/artifacts"
hyperfine -N --warmup 2 --min-runs 15 \
  --export-json "$RESULTS/cache_restore.json" --export-markdown "$RESULTS/cache_restore.md" \
  --prepare "$forget_state" -n "restore from the local cache ($size bytes)" "$FREEZER -C $dir build" \
  --prepare "$forget_all" -n "restore from the remote cache ($size bytes)" "$FREEZER -C $dir build" \
  --prepare "rm -f $WORK/restore-curl.bin" -n "curl GET of the same blob" \
  "curl -s -o $WORK/restore-curl.bin http://127.0.0.1:$port/cache/cas/$(basename "$blob")"
"$FREEZER" -C "$dir" build --json | "$PYTHON" -c 'import json,sys; r=json.load(sys.stdin)["sidecars"][0]; print("bench: last run:", r["status"], r["reason"])'
"$PYTHON" - "$RESULTS/cache_restore.json" "$size" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
size = int(sys.argv[2])
local, remote, curl = (r[k] for k in r)
print(f"bench: local restore {local*1000:.1f} ms; remote {size/remote/1e6:.0f} MB/s vs curl {size/curl/1e6:.0f} MB/s "
      f"= {100*curl/remote:.0f}% of curl's throughput")
PY
