#!/usr/bin/env bash
# No-change check at 1k, 10k and 100k input files: `freezer build` on an up-to-date
# project against (a) the seed's script check (find + md5sum of every
# .py/.spec/pyproject.toml/uv.lock, compared with a stored hash) and (b) `git status`.
# Usage: bench/no_change.sh [SIZES...]   (default: 1000 10000 100000)
# With FREEZER_BASELINE=/path/to/another/bin/freezer, that build runs in the same
# hyperfine call (same projects, same machine state): before/after a change.
source "$(dirname "$0")/common.sh"
need
sizes=("${@:-1000 10000 100000}")
# shellcheck disable=SC2206
sizes=(${sizes[*]})
for n in "${sizes[@]}"; do
  dir="$WORK/nochange-$n"
  echo "bench: generating $n files in $dir"
  make_project "$dir" "$n"
  "$FREEZER" -C "$dir" build >/dev/null           # the one real build
  # The seed's check (build-python.sh's calculate_hash), as a script.
  cat > "$dir/seed_check.sh" <<'SH'
#!/usr/bin/env bash
cd "$(dirname "$0")/src"
h=$(find . -type f \( -name '*.py' -o -name '*.spec' -o -name pyproject.toml -o -name uv.lock \) -print0 \
    | sort -z | xargs -0 md5sum | md5sum | cut -d' ' -f1)
if [ -f ../.last_build_hash ] && [ "$(cat ../.last_build_hash)" = "$h" ]; then
  echo "Python source unchanged, skipping build."
else
  echo "$h" > ../.last_build_hash
fi
SH
  chmod +x "$dir/seed_check.sh"
  "$dir/seed_check.sh" >/dev/null
  baseline=()
  if [ -n "${FREEZER_BASELINE:-}" ]; then
    "$FREEZER_BASELINE" -C "$dir" build >/dev/null  # its own state format may differ: settle it
    "$FREEZER" -C "$dir" build >/dev/null
    baseline=(-n "baseline freezer build (no change, $n files)" "$FREEZER_BASELINE -C $dir build")
  fi
  hyperfine -N --warmup 3 --min-runs 10 \
    --export-json "$RESULTS/no_change_$n.json" --export-markdown "$RESULTS/no_change_$n.md" \
    -n "freezer build (no change, $n files)" "$FREEZER -C $dir build" \
    "${baseline[@]}" \
    -n "seed find+md5sum ($n files)" "$dir/seed_check.sh" \
    -n "git status ($n files)" "git -C $dir status --porcelain"
done
