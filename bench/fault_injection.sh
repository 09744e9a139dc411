#!/usr/bin/env bash
# Fault injection: N builds of a small PyInstaller sidecar, each interrupted at a
# random moment by SIGKILL or SIGINT; one in three is followed by a corruption of a
# random file under .freezer/ (a state record, the inputs list, the stat cache, the
# interpreter probes, a bundle listing, a cached manifest or blob). After each, a complete `freezer build` runs and is checked:
#
#   binary    the installed binary prints the version of the current source
#   strays    no process of the killed run is left a second after it died
#   temp      .freezer/tmp holds nothing after the complete build
#   decision  the complete build did not skip or restore a build of other sources
#             (it printed the version it was asked for: a wrong skip would not)
#
# Between runs the source moves to a new version or back to an earlier one, so the
# complete builds take every path: build, skip, restore from the cache.
# Usage: bench/fault_injection.sh [N]     (N: interrupted builds, default 20)
source "$(dirname "$0")/common.sh"
[ -x "$FREEZER" ] && [ -x "$PYTHON" ] || { echo "fault_injection: run scripts/setup.sh first" >&2; exit 2; }
N="${1:-20}"
dir="$WORK/faults"
rm -rf "$dir"
mkdir -p "$dir/src"
cat > "$dir/freezer.yaml" <<YAML
version: 1
python: $PYTHON
sidecars:
  app:
    root: src
    entry: main.py
    mode: onedir
    smoke:
      run: [--version]
      expect_stdout: "^app "
YAML
set_version() { printf 'import sys\nVERSION = "%s"\nprint("app", VERSION)\n' "$1" > "$dir/src/main.py"; }
installed() { "$dir/dist/app/app" --version 2>/dev/null | awk '{print $2}'; }
freezer_json() { "$FREEZER" -C "$dir" build --json 2>"$dir/err.txt"; }
status_of() { "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["sidecars"][0]["status"])' 2>/dev/null || echo "none"; }
# Processes whose command line mentions the project (a packager, a smoke-tested binary).
strays() { pgrep -f -- "$dir/" | grep -v "^$$\$" || true; }

corrupt() {  # picks a file under .freezer and damages it one of four ways; prints "class file"
  local files f how
  mapfile -t files < <(find "$dir/.freezer/state" "$dir/.freezer/cache/artifacts/ac" "$dir/.freezer/cache/artifacts/cas" \
                         -type f 2>/dev/null | sort)
  [ "${#files[@]}" -gt 0 ] || { echo "none -"; return; }
  f="${files[$((RANDOM % ${#files[@]}))]}"
  chmod u+w "$f"
  case $((RANDOM % 4)) in
    0) how=truncated; truncate -s $(($(stat -c %s "$f") / 2)) "$f" ;;
    1) how=emptied; : > "$f" ;;
    2) how=flipped; "$PYTHON" - "$f" <<'PY'
import os, sys
p = sys.argv[1]
data = bytearray(open(p, "rb").read())
if data:
    i = len(data) // 2
    data[i] ^= 0x5a
open(p, "wb").write(bytes(data))
PY
       ;;
    3) how=garbage; head -c 512 /dev/urandom > "$f" ;;
  esac
  local rel="${f#$dir/.freezer/}"
  # The kind of file, not its name (names carry keys and hashes).
  case "$rel" in
    state/*.inputs) rel="state .inputs" ;;
    state/*.contents*) rel="bundle listing" ;;
    state/statcache*) rel="stat cache" ;;
    state/probes.json) rel="interpreter probes" ;;
    state/*.json) rel="state record" ;;
    cache/artifacts/ac/*) rel="cached manifest" ;;
    cache/artifacts/cas/*) rel="cached blob" ;;
  esac
  echo "$how $rel"
}

echo "fault injection: $N interrupted builds of $dir (PyInstaller, onedir)"
set_version 0
t0=$(date +%s%N)
[ "$(freezer_json | status_of)" = built ] || { echo "fault_injection: the first build failed:" >&2; cat "$dir/err.txt" >&2; exit 1; }
build_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "a complete build takes ${build_ms} ms; kills land at random within 0-$((build_ms * 6 / 5)) ms"

declare -A outcome
failures=0 corruptions=0 version=0 top=0 hits=0
printf '%-4s %-7s %-8s %-7s %-34s %-9s %-8s %s\n' run signal "at(ms)" landed corruption next checks version
for i in $(seq 1 "$N"); do
  # New sources, or back to earlier ones (a cache hit), or the same (a skip).
  case $((RANDOM % 10)) in
    [0-4]) top=$((top + 1)); version=$top ;;
    [5-7]) version=$((RANDOM % (top + 1))) ;;
    *) ;;
  esac
  set_version "$version"
  sig=KILL; [ $((RANDOM % 3)) = 0 ] && sig=INT
  at=$((RANDOM * build_ms * 6 / 5 / 32768))
  "$FREEZER" -C "$dir" build >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((at / 1000)) $((at % 1000)))"
  kill -s "$sig" "$pid" 2>/dev/null || true
  rc=0; wait "$pid" 2>/dev/null || rc=$?
  # Did the signal land while freezer worked (137: SIGKILL, 130: Ctrl-C), or after it was done?
  landed=after; [ "$rc" -ge 128 ] && landed=during; [ "$landed" = during ] && hits=$((hits + 1))
  sleep 1
  left=$(strays)
  [ -z "$left" ] || kill -9 $left 2>/dev/null || true
  damage="-"
  if [ $((RANDOM % 3)) = 0 ]; then damage=$(corrupt); corruptions=$((corruptions + 1)); fi

  next=$(freezer_json | status_of)
  checks=""
  [ "$(installed)" = "$version" ] || checks+=" binary"
  [ -z "$left" ] || checks+=" strays"
  [ -z "$(ls -A "$dir/.freezer/tmp" 2>/dev/null)" ] || checks+=" temp"
  [ "$next" != none ] || checks+=" build"
  if [ -z "$checks" ]; then checks=ok; else failures=$((failures + 1)); checks="FAIL:$checks"; fi
  key="$sig $landed, then $next"; outcome[$key]=$(( ${outcome[$key]:-0} + 1 ))
  printf '%-4s %-7s %-8s %-7s %-34s %-9s %-8s %s\n' "$i" "$sig" "$at" "$landed" "$damage" "$next" "$checks" "$version"
  if [ "$checks" != ok ]; then sed 's/^/     | /' "$dir/err.txt"; fi
done

echo
echo "outcomes (signal, when it landed, then what the complete build after it did):"
for k in "${!outcome[@]}"; do printf '  %-32s %d\n' "$k" "${outcome[$k]}"; done | sort
echo "signals that landed while freezer worked: $hits of $N"
echo "corruptions injected: $corruptions"
echo "failed checks: $failures of $N runs"
[ "$failures" = 0 ]
