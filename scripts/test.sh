#!/usr/bin/env bash
# Installs everything (scripts/setup.sh) and runs the whole test suite through ctest:
#   1. build/: every test (unit, end to end, packages); arguments go to this ctest;
#   2. build-posix/: freezer built with the generic POSIX platform layer
#      (-DFREEZER_PLATFORM=posix: what macOS would run), then its unit tests and its
#      end-to-end tests but the slow ones (Nuitka, compare, contrib) and the packages.
#      Run only when no arguments were given, or with FREEZER_TEST_POSIX=1; never with
#      FREEZER_TEST_POSIX=0.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
rc=0
report_skips() {  # ctest lists skipped tests by name; say why each was skipped
  grep -h "^SKIPPED:" "$1/Testing/Temporary/LastTest.log" 2>/dev/null | sort -u | sed 's/^/test: /' || true
}
ctest --test-dir build --output-on-failure "$@" || rc=$?
report_skips build

posix=${FREEZER_TEST_POSIX:-$([ $# -eq 0 ] && echo 1 || echo 0)}
if [ "$posix" = 1 ]; then
  launcher=()
  if command -v ccache >/dev/null; then  # as in setup.sh: build/'s objects are reused
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER="/usr/bin/env;CCACHE_BASEDIR=$PWD;CCACHE_NOHASHDIR=true;ccache")
  fi
  echo "test: the generic POSIX platform layer (build-posix/)"
  cmake -S . -B build-posix -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFREEZER_PLATFORM=posix "${launcher[@]}" >/dev/null
  cmake --build build-posix
  ctest --test-dir build-posix --output-on-failure -LE 'slow|package' || rc=$?
  report_skips build-posix
fi
exit $rc
