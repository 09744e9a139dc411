#!/bin/sh
# The SDK as an outsider gets it: freezer installed into a prefix, the prefix moved,
# then tests/sdk (a zipapp backend) configured with find_package(freezer) against the
# moved prefix, built, loaded by the moved freezer, and used to build a sidecar twice.
# Usage: sdk_install_test.sh FREEZER_BUILD_DIR SOURCE_DIR
set -eu
build=$1 src=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
step() { echo "--- $*"; }

step "install into $t/prefix, then move it to $t/moved"
cmake --install "$build" --prefix "$t/prefix" >/dev/null
mv "$t/prefix" "$t/moved"

step "configure and build the plugin against the moved prefix"
cmake -S "$src/tests/sdk" -B "$t/plugin" -DCMAKE_PREFIX_PATH="$t/moved" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$t/plugin" >/dev/null
so="$t/plugin/freezer-backend-zipapp.so"
[ -f "$so" ] || { echo "FAIL: $so was not built"; exit 1; }
dir=$(cat "$t/plugin/plugin_dir.txt")
[ "$dir" = "$t/moved/lib/freezer/backends" ] || { echo "FAIL: FREEZER_PLUGIN_DIR is $dir, not under the moved prefix"; exit 1; }

step "the moved freezer loads its own backends and the new one"
export FREEZER_BACKEND_PATH="$t/plugin" NO_COLOR=1
"$t/moved/bin/freezer" backends > "$t/backends.txt"
for b in zipapp pyinstaller nuitka; do
  grep -q "^ *$b " "$t/backends.txt" || { echo "FAIL: '$b' missing from freezer backends:"; cat "$t/backends.txt"; exit 1; }
done

step "a sidecar built with it: built, smoke-tested, then skipped"
mkdir -p "$t/app/src"
cp -r "$src/python/freezer_runtime" "$t/app/src/"
printf 'import sys, freezer_runtime\nprint("hello from", freezer_runtime.frozen_backend())\n' > "$t/app/src/main.py"
cat > "$t/app/freezer.yaml" <<YAML
version: 1
python: /usr/bin/python3
sidecars:
  hello:
    root: src
    entry: main.py
    backend: zipapp
    smoke: {run: [], expect_stdout: "^hello from"}
YAML
"$t/moved/bin/freezer" -C "$t/app" build --json > "$t/first.json"
grep -q '"status": *"built"' "$t/first.json" || { echo "FAIL: first build:"; cat "$t/first.json"; exit 1; }
"$t/moved/bin/freezer" -C "$t/app" build --json > "$t/second.json"
grep -q '"status": *"skipped"' "$t/second.json" || { echo "FAIL: second build:"; cat "$t/second.json"; exit 1; }
out=$("$t/app/dist/hello/hello")
[ "$out" = "hello from zipapp" ] || { echo "FAIL: the installed .pyz printed '$out', not 'hello from zipapp'"; exit 1; }
step "a .pyz that lacks a dependency fails its smoke test: python3 there is not the build venv's"
/usr/bin/python3 -m venv --without-pip "$t/venv"
site=$("$t/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
printf 'NAME = "only in the venv"\n' > "$site/onlyinvenv.py"
mkdir -p "$t/dep/src"
printf 'import onlyinvenv\nprint("hello", onlyinvenv.NAME)\n' > "$t/dep/src/main.py"
cat > "$t/dep/freezer.yaml" <<YAML
version: 1
python: $t/venv/bin/python
sidecars:
  needs:
    root: src
    entry: main.py
    backend: zipapp
    smoke: {run: [], expect_stdout: "^hello"}
YAML
rc=0
"$t/moved/bin/freezer" -C "$t/dep" build --json > "$t/dep.json" 2> "$t/dep.err" || rc=$?
[ "$rc" = 1 ] || { echo "FAIL: a .pyz without its dependency passed (exit $rc):"; cat "$t/dep.json" "$t/dep.err"; exit 1; }
grep -q "No module named 'onlyinvenv'" "$t/dep.json" "$t/dep.err" "$t/dep/.freezer/logs/needs.log" ||
  { echo "FAIL: the failure does not name the missing module:"; cat "$t/dep.json"; exit 1; }
[ ! -e "$t/dep/dist/needs" ] || { echo "FAIL: the failed build was installed"; exit 1; }
echo "ok: an out-of-tree plugin built against a moved install works"
