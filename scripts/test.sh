#!/usr/bin/env bash
# Installs everything (scripts/setup.sh) and runs the whole test suite through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
rc=0
ctest --test-dir build --output-on-failure "$@" || rc=$?
# ctest lists skipped tests by name; say why each was skipped.
grep -h "^SKIPPED:" build/Testing/Temporary/LastTest.log 2>/dev/null | sort -u | sed 's/^/test: /' || true
exit $rc
