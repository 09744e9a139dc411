#!/usr/bin/env bash
# Installs everything (scripts/setup.sh), then freezes the example sidecars with freezer:
# both build in parallel, are smoke-tested (the api over HTTP), and are installed into
# examples/dist/ and, named for Tauri, into examples/src-tauri/binaries/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build/bin/freezer -C examples build -j 2 "$@"
echo "example: examples/dist/cli/cli --version -> $(examples/dist/cli/cli --version)"
echo "example: Tauri sidecars: $(ls examples/src-tauri/binaries | tr '\n' ' ')"
echo "example: run the API with: examples/dist/api/api --port 8123  (GET /api/health)"
