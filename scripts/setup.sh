#!/usr/bin/env bash
# Installs everything freezer needs on Debian 12 and builds it. Idempotent: run it as
# often as you like. As root it installs directly; otherwise through sudo.
#   scripts/setup.sh           apt packages, the venvs of requirements.txt, build/
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

APT_PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # C++ libraries (found by CMake; never vendored)
  libboost-dev libyaml-cpp-dev libxxhash-dev libfmt-dev nlohmann-json3-dev libcli11-dev catch2
  libcurl4-openssl-dev libssl-dev
  # Python for the packagers' venv; PyInstaller needs objdump (binutils) and a shared libpython
  python3 python3-venv python3-dev binutils
  # Nuitka: patchelf for standalone builds, ccache for fast rebuilds
  patchelf ccache
  # test support: xmllint checks JUnit reports against tests/junit.xsd; headless
  # Chromium renders the compare report; nginx (WebDAV) serves the remote-cache tests
  curl procps libxml2-utils chromium fonts-dejavu-core nginx
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python tools, pinned in requirements.txt, one section per venv (see its header): each
# venv holds exactly its section. A venv whose section changed is made again from
# scratch rather than patched, so that nothing unpinned lingers in it (a package the
# packagers would bundle). All are made with Debian's python3: it has the shared
# libpython that PyInstaller bundles.
section() {  # the requirement lines of requirements.txt's "# [$1]" section
  awk -v want="# [$1]" 'index($0, "# [") == 1 { on = (index($0, want) == 1); next }
                        on && !/^#/ && NF' requirements.txt
}
make_venv() {  # make_venv DIR SECTION...
  local dir=$1; shift
  local wanted; wanted=$(for s in "$@"; do section "$s"; done | sort -u)
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.freezer-requirements" 2>/dev/null)" = "$wanted" ]; then
    return
  fi
  echo "setup: creating $dir ($*)"
  rm -rf "$dir"
  /usr/bin/python3 -m venv "$dir"
  "$dir/bin/python" -m pip install -q --disable-pip-version-check -r <(printf '%s\n' "$wanted")
  printf '%s\n' "$wanted" > "$dir/.freezer-requirements"
}
make_venv .venv packagers            # the examples' interpreter: the packagers only
make_venv .venv-test tests           # pytest, jsonschema: never seen by a packager
make_venv .venv-apps packagers apps  # the end-to-end tests' sample apps (FastAPI, numpy)
make_venv .venv-pkg packaging        # scikit-build-core and auditwheel (scripts/package.sh)

# ccache, with paths taken relative to the source: build-posix/ and build-wheel/ (same
# flags, same depth) reuse build/'s objects instead of compiling them again.
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER="/usr/bin/env;CCACHE_BASEDIR=$PWD;CCACHE_NOHASHDIR=true;ccache")
fi
echo "setup: building freezer"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
cmake --build build
echo "setup: done: build/bin/freezer"
