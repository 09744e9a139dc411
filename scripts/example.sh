#!/usr/bin/env bash
# Installs everything (scripts/setup.sh), freezes the example sidecars with freezer and
# runs them once.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build/bin/freezer -C examples build "$@"
echo "example: examples/dist/cli/cli --version ->" "$(examples/dist/cli/cli --version)"
echo "example: examples/dist/api/api serves http://127.0.0.1:PORT/api/health (run it with --port PORT)"
