#!/usr/bin/env bash
# freezer's cold and one-file-changed PyInstaller builds against calling PyInstaller
# directly with the same flags (same workpath policy: cold = empty workpath, changed =
# kept workpath, no --clean). The example api sidecar, without a smoke test (the direct
# call has none), so that the difference is freezer's own work: hashing, staging,
# installing, recording state.
# Usage: bench/pyinstaller_overhead.sh [RUNS]   (default 5)
source "$(dirname "$0")/common.sh"
need
runs="${1:-5}"
dir="$WORK/overhead"
rm -rf "$dir" && mkdir -p "$dir"
cp -r "$ROOT/examples/api" "$dir/api"
cat > "$dir/freezer.yaml" <<YAML
python: $PYTHON
sidecars:
  api:
    root: api
    entry: run_api.py
    hidden_imports: [app.services.upper]
    exclude_modules: [tkinter]
    data:
      - {src: app/services.json, dest: app}
YAML
direct_work="$WORK/overhead-direct"
direct=("$PYTHON" -m PyInstaller --noconfirm --log-level WARN --distpath "$direct_work/dist" --workpath "$direct_work/build"
        --name api --onefile --specpath "$direct_work/build" --paths "$dir/api" --hidden-import app.services.upper
        --exclude-module tkinter --add-data "$dir/api/app/services.json:app" "$dir/api/run_api.py")
printf -v direct_cmd '%q ' "${direct[@]}"
touch_cmd="echo \"# \$RANDOM\$RANDOM\" >> $dir/api/app/services/upper.py"

hyperfine --runs "$runs" --export-json "$RESULTS/overhead_cold.json" --export-markdown "$RESULTS/overhead_cold.md" \
  -n "freezer build (cold)" --prepare "rm -rf $dir/.freezer $dir/dist" "$FREEZER -C $dir build" \
  -n "pyinstaller direct (cold)" --prepare "rm -rf $direct_work" "$direct_cmd"

# Warm both caches once, then time rebuilds after a one-line change.
"$FREEZER" -C "$dir" build >/dev/null
mkdir -p "$direct_work" && eval "$direct_cmd" >/dev/null 2>&1
hyperfine --runs "$runs" --export-json "$RESULTS/overhead_changed.json" --export-markdown "$RESULTS/overhead_changed.md" \
  -n "freezer build (one file changed)" --prepare "$touch_cmd" "$FREEZER -C $dir build" \
  -n "pyinstaller direct (one file changed)" --prepare "$touch_cmd" "$direct_cmd"
