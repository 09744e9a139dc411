#!/usr/bin/env bash
# Two equal sidecars (two copies of the example api), cold: `freezer build -j 2`
# against `-j 1` on this machine's cores.
# Usage: bench/parallel.sh [RUNS]   (default 3)
source "$(dirname "$0")/common.sh"
need
runs="${1:-3}"
dir="$WORK/parallel"
rm -rf "$dir" && mkdir -p "$dir"
cp -r "$ROOT/examples/api" "$dir/one"
cp -r "$ROOT/examples/api" "$dir/two"
{
  echo "python: $PYTHON"
  echo "sidecars:"
  for s in one two; do
    cat <<YAML
  $s:
    root: $s
    entry: run_api.py
    hidden_imports: [app.services.upper]
    data:
      - {src: app/services.json, dest: app}
    smoke:
      http: {args: ["--port", "{port}"], path: /api/health}
YAML
  done
} > "$dir/freezer.yaml"
hyperfine --runs "$runs" --export-json "$RESULTS/parallel.json" --export-markdown "$RESULTS/parallel.md" \
  --prepare "rm -rf $dir/.freezer $dir/dist" \
  -n "freezer build -j 1 (2 sidecars, cold)" "$FREEZER -C $dir build -j 1" \
  -n "freezer build -j 2 (2 sidecars, cold)" "$FREEZER -C $dir build -j 2"
