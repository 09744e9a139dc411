#!/usr/bin/env bash
# The same app (examples/whoami) frozen by PyInstaller, Nuitka and pex on this machine:
# cold build (empty caches), build after a one-line change (caches kept), artifact size.
# Nuitka's warm rebuild with ccache is the one-line-change row.
# Usage: bench/backends.sh [RUNS]   (default 3; Nuitka runs at most 2, it takes minutes)
source "$(dirname "$0")/common.sh"
need
runs="${1:-3}"
dir="$WORK/backends"
rm -rf "$dir" && mkdir -p "$dir"
cp -rL "$ROOT/examples/whoami" "$dir/whoami"
{
  echo "python: $PYTHON"
  echo "sidecars:"
  for b in pyinstaller nuitka pex-scie; do
    cat <<YAML
  whoami-$b:
    root: whoami
    module: whoami
    backend: $b
    data:
      - {src: whoami/message.json, dest: whoami}
YAML
  done
} > "$dir/freezer.yaml"
change="echo \"# \$RANDOM\$RANDOM\" >> $dir/whoami/whoami/__main__.py"
sizes="$RESULTS/backends_sizes.txt"
: > "$sizes"
for b in pyinstaller nuitka pex-scie; do
  n=$runs
  [ "$b" = nuitka ] && [ "$n" -gt 2 ] && n=2
  hyperfine --runs "$n" --export-json "$RESULTS/backends_$b.json" --export-markdown "$RESULTS/backends_$b.md" \
    -n "$b cold" --prepare "rm -rf $dir/.freezer $dir/dist" "$FREEZER -C $dir build whoami-$b" \
    -n "$b one file changed" --prepare "$change" "$FREEZER -C $dir build whoami-$b"
  echo "$b $(stat -c %s "$dir/dist/whoami-$b/whoami-$b") bytes" | tee -a "$sizes"
  grep -h -E "cache (hit|miss)" "$dir/.freezer/logs/whoami-$b.log" >> "$sizes" 2>/dev/null || true
done
