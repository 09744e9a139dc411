#!/usr/bin/env bash
# The PyInstaller fast path against PyInstaller's own incremental rebuild, in one run.
#
# For each case, a one-line change to a module that does not change its imports (a
# constant's value), then:
#   - freezer build, smoke test off (the fast path: the module recompiled into the
#     previous executable);
#   - PyInstaller called directly with the same flags and a kept --workpath (its own
#     incremental rebuild: it re-runs Analysis because a module is newer).
# Cases: the examples' api sidecar (stdlib HTTP server) onefile and onedir; a FastAPI
# server (tests/apps/services) onefile; a numpy tool (tests/apps/numbers) onefile, where
# Analysis dominates. Then `freezer watch`: from saving a file to an updated dist/
# binary, the same edit, median of 10.
# Usage: bench/fast_path.sh [RUNS]   (default 10)
source "$(dirname "$0")/common.sh"
need
runs="${1:-10}"
APPS_PYTHON="$ROOT/.venv-apps/bin/python"
[ -x "$APPS_PYTHON" ] || { echo "bench: .venv-apps missing: run scripts/setup.sh" >&2; exit 2; }
summary="$RESULTS/fast_path.md"
: > "$summary.rows"

# bench_case NAME PYTHON SRC ENTRY MODE EDIT_FILE YAML_LINES [PYINSTALLER FLAGS...]
# YAML_LINES: the sidecar's extra freezer.yaml lines, which the flags say again.
bench_case() {
  local name=$1 python=$2 src=$3 entry=$4 mode=$5 edit=$6 yaml=$7; shift 7
  local dir="$WORK/fast-$name" direct_work="$WORK/fast-$name-direct"
  rm -rf "$dir" "$direct_work" && mkdir -p "$dir"
  cp -r "$src" "$dir/app"
  find "$dir/app" -name __pycache__ -prune -exec rm -rf {} +
  echo "BENCH_EDIT = 0" >> "$dir/app/$edit"
  local extra=("$@")
  {
    echo "python: $python"
    echo "sidecars:"
    echo "  $name:"
    echo "    root: app"
    echo "    entry: $entry"
    echo "    mode: $mode"
    echo "    exclude_modules: [tkinter]"
    [ -z "$yaml" ] || printf '%s\n' "$yaml"
  } > "$dir/freezer.yaml"
  local direct=("$python" -m PyInstaller --noconfirm --log-level WARN --distpath "$direct_work/dist"
                --workpath "$direct_work/build" --name "$name" "--$mode" --specpath "$direct_work/build"
                --paths "$dir/app" --exclude-module tkinter "${extra[@]}" "$dir/app/$entry")
  local direct_cmd
  printf -v direct_cmd '%q ' "${direct[@]}"
  # A new value each time (hyperfine's shell is sh: no $RANDOM).
  local edit_cmd="sed -i \"s/^BENCH_EDIT = .*/BENCH_EDIT = \$(date +%s%N)/\" $dir/app/$edit"
  # Warm both: a full build each, then one fast-path build so freezer's import record
  # and PyInstaller's work folder are as a developer's would be mid-session.
  "$FREEZER" -C "$dir" build >/dev/null
  mkdir -p "$direct_work" && eval "$direct_cmd" >/dev/null 2>&1
  eval "$edit_cmd"
  local warm
  warm=$("$FREEZER" -C "$dir" build -v)
  grep -q "fast path:" <<<"$warm" || { echo "bench: $name did not take the fast path:" >&2; echo "$warm" >&2; exit 1; }
  hyperfine --runs "$runs" --warmup 1 --export-json "$RESULTS/fast_path_$name.json" \
    -n "freezer build (fast path)" --prepare "$edit_cmd" "$FREEZER -C $dir build" \
    -n "pyinstaller incremental" --prepare "$edit_cmd" "$direct_cmd"
  # The timed builds were fast-path builds, not skips: the last one's log says so.
  grep -q "^freezer: fast path:" "$dir/.freezer/logs/$name.log" \
    || { echo "bench: the last timed build of $name was no fast-path build" >&2; exit 1; }
  "$PYTHON" - "$RESULTS/fast_path_$name.json" "$name" "$mode" >> "$summary.rows" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
f, p = r["freezer build (fast path)"], r["pyinstaller incremental"]
print(f"| {sys.argv[2]} | {sys.argv[3]} | {f['median']:.3f} s | {p['median']:.3f} s | "
      f"{100 * f['median'] / p['median']:.1f}% |")
PY
}

api_yaml='    hidden_imports: [app.services.upper]
    data: [{src: app/services.json, dest: app}]'
bench_case api "$PYTHON" "$ROOT/examples/api" run_api.py onefile app/server.py "$api_yaml" \
  --hidden-import app.services.upper --add-data "$WORK/fast-api/app/app/services.json:app"
bench_case api-onedir "$PYTHON" "$ROOT/examples/api" run_api.py onedir app/server.py "$api_yaml" \
  --hidden-import app.services.upper --add-data "$WORK/fast-api-onedir/app/app/services.json:app"
bench_case fastapi "$APPS_PYTHON" "$ROOT/tests/apps/services" run_server.py onefile app/main.py ""
bench_case numpy "$APPS_PYTHON" "$ROOT/tests/apps/numbers" main.py onefile main.py ""

# freezer watch: save -> new dist/ binary, on the api onefile project (smoke test off).
dir="$WORK/fast-api"
"$FREEZER" -C "$dir" watch api > "$WORK/watch.log" 2>&1 &
watch_pid=$!
trap 'kill -INT $watch_pid 2>/dev/null || true' EXIT
watch_ms=$("$PYTHON" - "$dir" 10 <<'PY'
import os, random, re, statistics, sys, time
d, n = sys.argv[1], int(sys.argv[2])
exe, src = os.path.join(d, "dist/api/api"), os.path.join(d, "app/app/server.py")
def stamp():
    try:
        st = os.stat(exe)
        return (st.st_ino, st.st_mtime_ns)
    except FileNotFoundError:
        return None
deadline = time.time() + 120
while stamp() is None and time.time() < deadline:  # the first build of `watch`
    time.sleep(0.05)
time.sleep(1.0)
times = []
for _ in range(n):
    before = stamp()
    text = open(src).read()
    text = re.sub(r"^BENCH_EDIT = .*$", f"BENCH_EDIT = {random.randrange(10**9)}", text, flags=re.M)
    t0 = time.perf_counter()
    with open(src, "w") as f:
        f.write(text)
    while stamp() == before:
        if time.perf_counter() - t0 > 60:
            sys.exit("watch did not rebuild within 60 s")
        time.sleep(0.002)
    times.append(time.perf_counter() - t0)
    time.sleep(0.5)
print(f"{statistics.median(times) * 1000:.0f} {min(times) * 1000:.0f} {max(times) * 1000:.0f}")
PY
)
kill -INT $watch_pid; wait $watch_pid || true; trap - EXIT
read -r watch_median watch_min watch_max <<<"$watch_ms"

{
  echo "| sidecar | mode | freezer build, fast path (median) | PyInstaller incremental (median) | ratio |"
  echo "|---|---|---|---|---|"
  cat "$summary.rows"
  echo
  echo "freezer watch, save to updated dist/ binary (api, onefile, 10 saves): median ${watch_median} ms (min ${watch_min}, max ${watch_max})"
} > "$summary"
rm -f "$summary.rows"
cat "$summary"
