#!/usr/bin/env bash
# freezer as a user installs it: from the wheel into a fresh venv, or from the Debian
# package with apt-get, then used on a scratch project outside this repository that holds
# only a freezer.yaml and its sources.
#
# Usage: package_test.sh wheel|deb PACKAGE_DIR SOURCE_DIR
#   PACKAGE_DIR  where scripts/package.sh put freezer-*.whl / freezer_*.deb
#   SOURCE_DIR   freezer's sources (requirements.txt: the PyInstaller pin of the project venv)
#
# wheel: pip-installs the wheel with --no-index into a fresh /usr/bin/python3 venv (no
#        scikit-build-core, no CMake, nothing of the build), then checks that every
#        library the executable and its libcurl module load is either the wheel's own or
#        one a manylinux system always has (glibc, libstdc++, libgcc_s, zlib), and that a
#        plugin builds against the SDK the wheel carries and loads.
# deb:   as root, `apt-get install ./freezer_*.deb` (and `apt-get remove freezer` after,
#        when it was not installed before); checks that its Depends name no -dev package.
# Both:  `freezer --version`, `freezer backends` (the four in-tree plugins found next to
#        the installed executable), then a build of the scratch project: an HTTP server
#        sidecar with PyInstaller, smoke-tested over HTTP (libcurl loaded from the
#        package: checked with the loader's trace), installed in dist/, run again.
# Exit 77 with a SKIPPED line when a prerequisite is missing.
set -euo pipefail
mode=$1
pkgdir=$(cd "$2" && pwd)
src=$(cd "$3" && pwd)
t=$(mktemp -d /tmp/freezer-package-test.XXXXXX)
installed_here=0
cleanup() {
  if [ "$installed_here" = 1 ]; then apt-get remove -y -qq freezer >/dev/null 2>&1 || true; fi
  rm -rf "$t"
}
trap cleanup EXIT
step() { echo "== $*"; }
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIPPED: $*"; exit 77; }

# Nothing of the build may leak in.
unset FREEZER_BACKEND_PATH LD_LIBRARY_PATH PYTHONPATH VIRTUAL_ENV
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PIP_DISABLE_PIP_VERSION_CHECK=1

case $mode in
  wheel)
    whl=$(ls "$pkgdir"/freezer-*manylinux*.whl 2>/dev/null | head -1)
    [ -n "$whl" ] || fail "no repaired wheel in $pkgdir: run scripts/package.sh wheel"
    step "install $(basename "$whl") into a fresh venv"
    /usr/bin/python3 -m venv "$t/tools"
    "$t/tools/bin/pip" install -q --no-index "$whl"
    for m in skbuild scikit_build_core cmake auditwheel; do
      if "$t/tools/bin/python" -I -c "import $m" 2>/dev/null; then fail "the venv has $m: not a fresh one"; fi
    done
    freezer=$t/tools/bin/freezer
    pkg=$("$t/tools/bin/python" -I -c 'import freezer, os; print(os.path.dirname(freezer.__file__))')
    step "every library it loads is the wheel's own or a manylinux system's"
    for elf in "$pkg/bin/freezer" "$pkg/lib/freezer/freezer-curl.so" "$pkg"/lib/freezer/backends/*.so; do
      [ -f "$elf" ] || fail "$elf is missing from the wheel"
      ldd "$elf" > "$t/ldd" || fail "ldd $elf failed"
      if grep -q "not found" "$t/ldd"; then cat "$t/ldd"; fail "$(basename "$elf") misses a library"; fi
      outside=$(awk '/=>/ {print $3}' "$t/ldd" | grep -v "/freezer.libs/" |
                grep -Ev '/(libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|librt|libresolv|libnsl|libutil|libz|ld-linux-x86-64)\.so' || true)
      [ -z "$outside" ] || fail "$(basename "$elf") loads libraries from the system: $outside"
    done
    grep -q "freezer.libs/libcurl" <(ldd "$pkg/lib/freezer/freezer-curl.so") || fail "the wheel carries no libcurl"
    step "the SDK in the wheel: a plugin built outside the tree (tests/sdk) with find_package(freezer)"
    cmake -S "$src/tests/sdk" -B "$t/plugin" -Dfreezer_DIR="$pkg/lib/cmake/freezer" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$t/plugin" >/dev/null
    [ "$(cat "$t/plugin/plugin_dir.txt")" = "$pkg/lib/freezer/backends" ] ||
      fail "FREEZER_PLUGIN_DIR is $(cat "$t/plugin/plugin_dir.txt"), not the wheel's plugin folder"
    FREEZER_BACKEND_PATH="$t/plugin" "$t/tools/bin/freezer" backends | grep -q "^zipapp " ||
      fail "freezer from the wheel does not load a plugin built against its SDK"
    ;;
  deb)
    deb=$(ls "$pkgdir"/freezer_*.deb 2>/dev/null | head -1)
    [ -n "$deb" ] || fail "no .deb in $pkgdir: run scripts/package.sh deb"
    [ "$(id -u)" = 0 ] || skip "installing the .deb needs root (apt-get install ./$(basename "$deb"))"
    command -v apt-get >/dev/null || skip "no apt-get on this machine"
    depends=$(dpkg-deb -f "$deb" Depends)
    echo "Depends: $depends"
    case $depends in *-dev*) fail "the package depends on a -dev package: $depends" ;; esac
    case $depends in *libcurl4*) ;; *) fail "the package does not depend on libcurl4 (loaded at run time)" ;; esac
    if dpkg-query -W -f='${Status}' freezer 2>/dev/null | grep -q "install ok installed"; then
      skip "a freezer package is installed already; this test would replace it"
    fi
    step "apt-get install ./$(basename "$deb")"
    cp "$deb" "$t/"
    installed_here=1
    (cd "$t" && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "./$(basename "$deb")" >/dev/null) ||
      fail "apt-get install failed"
    freezer=/usr/bin/freezer
    [ "$(command -v freezer)" = /usr/bin/freezer ] || fail "freezer on PATH is $(command -v freezer), not /usr/bin/freezer"
    ;;
  *) echo "usage: package_test.sh wheel|deb PACKAGE_DIR SOURCE_DIR" >&2; exit 2 ;;
esac

step "freezer --version"
version=$("$freezer" --version)
echo "$version"
case $version in "freezer "[0-9]*) ;; *) fail "unexpected version line: $version" ;; esac

step "freezer backends: the in-tree plugins, found next to the executable"
"$freezer" backends > "$t/backends" || { cat "$t/backends"; fail "freezer backends failed"; }
cat "$t/backends"
for b in pyinstaller nuitka pex-scie cosmofy; do
  grep -q "^ *$b\b" "$t/backends" || fail "backend $b not found"
done

step "a scratch project outside the repository: freezer.yaml and an HTTP server"
proj=$t/project
mkdir -p "$proj/server"
cat > "$proj/freezer.yaml" <<'YAML'
version: 1
python: .venv/bin/python
sidecars:
  api:
    root: server
    entry: main.py
    backend: pyinstaller
    mode: onefile
    exclude_modules: [tkinter]
    smoke:
      http: {args: ["--port", "{port}"], path: /health, expect_status: 200, startup_timeout: 30s}
YAML
cat > "$proj/server/main.py" <<'PY'
"""A sidecar's HTTP backend: GET /health answers 200."""
import argparse
import http.server


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"ok": true}' if self.path == "/health" else b"{}"
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(prog="api")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    http.server.HTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
PY
pins=$(grep -E '^(pyinstaller|pyinstaller-hooks-contrib|altgraph|packaging)==' "$src/requirements.txt" | sort -u | tr '\n' ' ')
step "the project's build venv: $pins"
/usr/bin/python3 -m venv "$proj/.venv"
# shellcheck disable=SC2086
"$proj/.venv/bin/pip" install -q $pins > "$t/pip.log" 2>&1 || { tail -5 "$t/pip.log"; skip "PyInstaller could not be installed from the package index (offline?)"; }

step "freezer build (the HTTP smoke test loads libcurl: the wheel's own, or for the .deb the system's)"
cd "$proj"
LD_DEBUG=files LD_DEBUG_OUTPUT="$t/ld" "$freezer" build > "$t/build.out" 2>&1 || { cat "$t/build.out"; fail "freezer build failed"; }
cat "$t/build.out"
grep -q "api" "$t/build.out" || fail "the build said nothing about api"
[ -x "$proj/dist/api/api" ] || fail "dist/api/api was not installed"
curl_loaded=$(grep -ho "file=[^ ]*libcurl[^ ]*" "$t"/ld.* | sort -u | head -3 || true)
echo "libcurl: ${curl_loaded:-none}"
case $mode in
  wheel) echo "$curl_loaded" | grep -q "freezer.libs/libcurl" || fail "the smoke test did not load the wheel's libcurl" ;;
  deb)   echo "$curl_loaded" | grep -q "libcurl.so.4" || fail "the smoke test did not load the system's libcurl" ;;
esac

step "freezer build again: nothing changed, nothing built"
"$freezer" build > "$t/again.out" 2>&1 || { cat "$t/again.out"; fail "the second build failed"; }
cat "$t/again.out"
grep -qi "up to date\|skipped\|unchanged" "$t/again.out" || fail "the second build did not skip api"

step "freezer smoke: the installed binary answers again"
"$freezer" smoke > "$t/smoke.out" 2>&1 || { cat "$t/smoke.out"; fail "freezer smoke failed"; }
cat "$t/smoke.out"
echo "ok: the $mode package froze a project outside the repository"
