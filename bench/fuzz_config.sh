#!/usr/bin/env bash
# The freezer.yaml loader under libFuzzer with ASan and UBSan (fuzz/config_fuzz.cpp) for
# SECONDS on one core, from a copy of fuzz/corpus/ (new inputs stay out of the repository).
# Prints executions, exec/s, coverage and corpus size; a crash, hang or out-of-memory is
# copied into fuzz/crashes/ and the script exits 1.
# Usage: bench/fuzz_config.sh [SECONDS]   (default 600)
source "$(dirname "$0")/common.sh"
seconds="${1:-600}"
build="$ROOT/build-fuzz-clang"   # ignored by git (/build-*/); clang, apart from the gcc builds
scratch="$WORK/fuzz-config"
log="$RESULTS/fuzz_config.log"

if ! command -v clang++ >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "bench: installing clang (Debian package)"
    apt-get update -qq >/dev/null
    apt-get install -y -qq clang >/dev/null
  else
    echo "bench: clang++ not found: run  sudo apt-get install -y clang" >&2
    exit 2
  fi
fi

echo "bench: building freezer_config_fuzz in $build"
cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DFREEZER_FUZZ=ON >/dev/null
cmake --build "$build" -j1 --target freezer_config_fuzz >/dev/null

rm -rf "$scratch"
mkdir -p "$scratch/corpus" "$scratch/artifacts"
cp "$ROOT"/fuzz/corpus/* "$scratch/corpus/"
seeds=$(find "$scratch/corpus" -type f | wc -l)
echo "bench: fuzzing for ${seconds}s from $seeds seed inputs (log: $log)"
rc=0
"$build/bin/freezer_config_fuzz" "$scratch/corpus" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 -artifact_prefix="$scratch/artifacts/" \
  >"$log" 2>&1 || rc=$?

# The last status line: "#N DONE cov: C ft: F corp: U/S lim: L exec/s: E rss: R".
status=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
field() { sed -nE "s/.* $1: ([^ ]+).*/\1/p" <<<"$status"; }
runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log")
speed=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log")
corpus=$(find "$scratch/corpus" -type f | wc -l)
{
  echo "| seconds | executions | exec/s | cov | ft | corpus (files) | exit |"
  echo "|---:|---:|---:|---:|---:|---:|---:|"
  echo "| $seconds | ${runs:-?} | ${speed:-?} | $(field cov) | $(field ft) | $corpus (from $seeds) | $rc |"
} | tee "$RESULTS/fuzz_config.md"

mapfile -t found < <(find "$scratch/artifacts" -type f | sort)
if [ "${#found[@]}" -gt 0 ]; then
  mkdir -p "$ROOT/fuzz/crashes"
  cp "${found[@]}" "$ROOT/fuzz/crashes/"
  echo "bench: ${#found[@]} input(s) broke the loader, copied to fuzz/crashes/:"
  for f in "${found[@]}"; do echo "  fuzz/crashes/$(basename "$f")"; done
  echo "bench: reproduce with  $build/bin/freezer_config_fuzz fuzz/crashes/<file>  (the end of $log shows the first)."
  echo "bench: once fixed, move each into fuzz/corpus/ under a name that says what it is, so ctest keeps it fixed."
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  echo "bench: libFuzzer exited with $rc without a crash file; see $log" >&2
  exit 1
fi
echo "bench: no crash, hang or out-of-memory in ${seconds}s"
