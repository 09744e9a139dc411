#!/usr/bin/env bash
# Installs everything freezer needs on Debian 12 and builds it. Idempotent: run it as
# often as you like. As root it installs directly; otherwise through sudo.
#   scripts/setup.sh           apt packages, .venv with the pinned packagers, build/
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

# The packagers run from a venv made with Debian's python3 (it has the shared libpython
# that PyInstaller bundles), pinned by requirements.txt.
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  /usr/bin/python3 -m venv .venv
fi
echo "setup: installing the pinned Python tools (requirements.txt) into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt

echo "setup: building freezer"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build
echo "setup: done: build/bin/freezer"
