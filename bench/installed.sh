#!/usr/bin/env bash
# What installing freezer as a wheel costs per command: the `freezer` console script
# (a Python launcher that execs the executable inside the package) against that same
# executable run directly, and the build tree's freezer, on `--version` and on a no-op
# `freezer build` of a 1,000-file project.
# Usage: bench/installed.sh   (after scripts/package.sh wheel)
source "$(dirname "$0")/common.sh"
need
whl=$(ls "$ROOT"/build/packages/freezer-*manylinux*.whl 2>/dev/null | head -1)
[ -n "$whl" ] || { echo "bench: no wheel in build/packages: run scripts/package.sh wheel" >&2; exit 2; }
venv="$WORK/installed-venv"
rm -rf "$venv"
/usr/bin/python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check --no-index "$whl"
inner=$("$venv/bin/python" -c 'import freezer; print(freezer.executable())')
dir="$WORK/installed-1000"
make_project "$dir" 1000
"$venv/bin/freezer" -C "$dir" build >/dev/null  # the one real build
hyperfine -N --warmup 3 --min-runs 20 \
  --export-json "$RESULTS/installed.json" --export-markdown "$RESULTS/installed.md" \
  -n "wheel: freezer --version (console script)" "$venv/bin/freezer --version" \
  -n "wheel: its executable --version (direct)" "$inner --version" \
  -n "build tree: freezer --version" "$FREEZER --version" \
  -n "wheel: freezer build, no change (console script)" "$venv/bin/freezer -C $dir build" \
  -n "wheel: its executable build, no change (direct)" "$inner -C $dir build" \
  -n "build tree: freezer build, no change" "$FREEZER -C $dir build"
