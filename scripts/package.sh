#!/usr/bin/env bash
# Builds freezer's packages into build/packages/ (run scripts/setup.sh first: it installs
# the toolchain and the packaging venv, and builds build/):
#
#   scripts/package.sh wheel   freezer-<version>-py3-none-manylinux_<glibc>_x86_64.whl:
#                              built by scikit-build-core in build-wheel/, then repaired by
#                              auditwheel (the libraries it links, libcurl's included, are
#                              copied in), so it runs without any -dev package
#   scripts/package.sh deb     freezer_<version>_amd64.deb: CPack from build/, with its
#                              run-time dependencies found by dpkg-shlibdeps
#   scripts/package.sh         both
#
# tests/package_test.sh installs each into a fresh environment and freezes a project.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
out=$src/build/packages
what=${1:-all}

# The same compiler cache settings as scripts/setup.sh: the wheel's build reuses the
# objects of build/ (same flags, same depth below the source).
launcher=""
if command -v ccache >/dev/null; then
  launcher="/usr/bin/env;CCACHE_BASEDIR=$src;CCACHE_NOHASHDIR=true;ccache"
fi

wheel() {
  local py=$src/.venv-pkg/bin/python
  [ -x "$py" ] || { echo "package: $py not found: run scripts/setup.sh" >&2; exit 2; }
  rm -rf "$out/raw" && mkdir -p "$out/raw"
  rm -f "$out"/freezer-*.whl
  echo "package: building the wheel (scikit-build-core, build-wheel/)"
  CMAKE_ARGS="${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER=$launcher}" \
    "$py" -m pip wheel --no-build-isolation --no-deps --disable-pip-version-check -q -w "$out/raw" "$src"
  echo "package: repairing it (auditwheel)"
  PATH="$src/.venv-pkg/bin:$PATH" "$src/.venv-pkg/bin/auditwheel" repair -w "$out" "$out"/raw/freezer-*.whl 2>&1 | grep -v "^INFO:auditwheel" || true
  ls "$out"/freezer-*manylinux*.whl >/dev/null 2>&1 || { echo "package: auditwheel made no wheel" >&2; exit 1; }
  rm -rf "$out/raw"
  echo "package: $(ls "$out"/freezer-*.whl)"
}

deb() {
  [ -x "$src/build/bin/freezer" ] || { echo "package: build/bin/freezer not found: run scripts/setup.sh" >&2; exit 2; }
  mkdir -p "$out"
  rm -f "$out"/freezer_*.deb
  echo "package: building the Debian package (CPack, from build/)"
  (cd "$src/build" && cpack -G DEB -B "$out" >/dev/null)
  rm -rf "$out/_CPack_Packages"
  echo "package: $(ls "$out"/freezer_*.deb)"
}

case $what in
  wheel) wheel ;;
  deb) deb ;;
  all) wheel; deb ;;
  *) echo "usage: scripts/package.sh [wheel|deb]" >&2; exit 2 ;;
esac
