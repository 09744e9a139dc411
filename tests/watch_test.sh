#!/bin/sh
# `freezer watch` end to end: the real binary on a scratch project whose two sidecars are
# built by the fake packager (tests/plugins/fake.cpp, found through FREEZER_BACKEND_PATH).
# The first build; an edit rebuilds that sidecar only, with one status line, and dist/ and
# the Tauri copy change; a file that is no input rebuilds nothing; a freezer.yaml with
# errors is reported and the watch goes on; a failing build keeps the previous binary;
# Ctrl-C while waiting exits 0, during a build cancels it and exits 130, and leaves no
# process behind; --json prints one object per build.
# Every wait is for a condition (polled, with a generous limit), never for a time.
# Usage: watch_test.sh FREEZER_BIN FAKE_PLUGIN_DIR
set -eu
freezer=$1 plugins=$2
t=$(mktemp -d)
p=$t/project
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$t"
}
trap cleanup EXIT
export FREEZER_BACKEND_PATH="$plugins" NO_COLOR=1
step() { echo "--- $*"; }
fail() {
  echo "FAIL: $*"
  for f in out err; do [ -f "$t/$f" ] && { echo "--- watch's std$f:"; cat "$t/$f"; }; done
  exit 1
}

# wait_for WHAT COMMAND...: COMMAND until it succeeds, every 0.1 s, for up to 60 s; the
# watch must stay alive meanwhile.
wait_for() {
  what=$1
  shift
  i=0
  until "$@"; do
    i=$((i + 1))
    [ $i -le 600 ] || fail "timed out waiting for: $what"
    kill -0 "$pid" 2>/dev/null || fail "freezer watch ended while waiting for: $what"
    sleep 0.1
  done
}
# How many lines of the watch's stdout contain $1.
count() { grep -c -- "$1" "$t/out" || true; }
# How many status lines ("12:03:04 api built in ...") name sidecar $1.
status_lines() { grep -c "^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] $1 " "$t/out" || true; }
has_count() { [ "$(count "$1")" -eq "$2" ]; }
has_err() { grep -q -- "$1" "$t/err"; }
# What the installed binary prints (the fake's binary prints its inputs).
prints() { "$p/dist/$1/$1" 2>/dev/null | grep -q -- "$2"; }
runs() { cat "$p/.freezer/cache/backends/fake/$1/runs" 2>/dev/null || echo 0; }

# $1: more lines for the api sidecar.
write_config() {
  cat > "$p/freezer.yaml" <<YAML
version: 1
python: /usr/bin/python3
output: {tauri: src-tauri/binaries}
sidecars:
  api:
    root: api
    entry: main.py
    backend: fake
    smoke: {run: [], expect_stdout: "^VERSION = "}
$1
  cli:
    root: cli
    entry: main.py
    backend: fake
    smoke: {run: [], expect_stdout: "^VERSION = "}
YAML
}

start_watch() {
  : > "$t/out"
  : > "$t/err"
  "$freezer" -C "$p" watch --debounce 100 "$@" > "$t/out" 2> "$t/err" &
  pid=$!
}

# stop_watch EXPECTED_EXIT_CODE: Ctrl-C, then the exit code and no process left behind.
stop_watch() {
  kill -INT "$pid"
  rc=0
  wait "$pid" || rc=$?
  pid=
  [ "$rc" -eq "$1" ] || fail "freezer watch exited $rc after Ctrl-C, not $1"
  # Every process a build starts has the project's path in its command line.
  stray=
  for d in /proc/[0-9]*; do
    args=$(tr '\0' ' ' 2>/dev/null < "$d/cmdline") || continue
    case "$args" in *"$p"*) stray="$stray
  ${d#/proc/} $args" ;; esac
  done
  [ -z "$stray" ] || fail "processes were left behind:$stray"
}

mkdir -p "$p/api" "$p/cli"
printf "VERSION = 'A'\n" > "$p/api/main.py"
printf "VERSION = 'C'\n" > "$p/cli/main.py"
write_config ""

step "the first build makes dist/ and the Tauri copy fresh"
start_watch
wait_for "the first build" sh -c "grep -q 'api built in' '$t/out' && grep -q 'cli built in' '$t/out'"
grep -q "^freezer: watching api, cli" "$t/out" || fail "no 'watching' line"
prints api "'A'" || fail "dist/api/api does not print version A"
ls "$p"/src-tauri/binaries/api-* > /dev/null || fail "no Tauri copy of api"
[ "$(runs api)" -eq 1 ] || fail "the fake ran $(runs api) times for api, not once"

step "an edit rebuilds that sidecar: one status line, dist/ and the Tauri copy change"
# The same size as 'A', milliseconds later: the Tauri copy must still be rewritten.
printf "VERSION = 'B'\n" > "$p/api/main.py"
wait_for "api's second build" has_count "api built in" 2
prints api "'B'" || fail "dist/api/api does not print version B"
grep -q "'B'" "$p"/src-tauri/binaries/api-* || fail "the Tauri copy of api was not updated"
grep "api built in" "$t/out" | tail -n 1 | grep -q "main.py" || fail "the status line does not say main.py changed"
[ "$(wc -l < "$t/out")" -eq 4 ] || fail "expected 4 lines (watching, 2 first builds, 1 rebuild)"
[ "$(status_lines cli)" -eq 1 ] || fail "cli was rebuilt for an edit of api"

step "a save by rename (how most editors save) rebuilds too"
printf "VERSION = 'B2'\n" > "$p/api/.main.py.tmp"
mv "$p/api/.main.py.tmp" "$p/api/main.py"
wait_for "api's third build" has_count "api built in" 3
prints api "'B2'" || fail "dist/api/api does not print version B2"

step "files that are no input rebuild nothing"
printf "notes\n" > "$p/api/notes.txt"
mkdir -p "$p/api/__pycache__" "$p/api/node_modules" "$p/api/.git"
printf "x\n" > "$p/api/__pycache__/main.cpython-311.pyc"
printf "x\n" > "$p/api/node_modules/x.js"
printf "x\n" > "$p/api/.git/x.py"
# The barrier: an edit of the other sidecar, made after them. Had any of them mapped to
# api, api would have been built in this batch or before it.
printf "VERSION = 'D'\n" > "$p/cli/main.py"
wait_for "cli's second build" has_count "cli built in" 2
[ "$(status_lines api)" -eq 3 ] || fail "a file that is no input started a build of api"
[ "$(runs api)" -eq 3 ] || fail "the fake ran $(runs api) times for api, not 3"

step "a freezer.yaml with errors is reported; the watch goes on with the previous one"
sed 's/entry: main.py/entyr: main.py/' "$p/freezer.yaml" > "$t/bad.yaml"
mv "$t/bad.yaml" "$p/freezer.yaml"
wait_for "the config error" has_err "still watching with the previous"
has_err "unknown key 'entyr'" || fail "the config error does not name the key"
printf "VERSION = 'B3'\n" > "$p/api/main.py"
wait_for "api built with the previous config" has_count "api built in" 4
prints api "'B3'" || fail "dist/api/api does not print version B3"

step "a failing build says why and keeps the previous binary"
write_config "    backends: {fake: {fail: true}}"
wait_for "api's failure" has_count "api FAILED" 1
grep -q "freezer.yaml changed: reloaded" "$t/out" || fail "no line about the reload"
grep "api FAILED" "$t/out" | grep -q "the previous binary in dist/api/ was kept" ||
  fail "the failure does not say the binary was kept"
grep -q "| fake: failing on purpose" "$t/out" || fail "no log tail"
wait_for "cli up to date" has_count "cli up to date" 1
prints api "'B3'" || fail "the failed build replaced dist/api/api"

step "Ctrl-C while waiting: exit 0, nothing left behind"
write_config ""
wait_for "api back to its last good build" sh -c "grep -c 'api up to date' '$t/out' | grep -qx 1"
stop_watch 0
grep -q "^freezer: stopped" "$t/out" || fail "no 'stopped' line"

step "--json: one JSON object per build, per line"
start_watch --json api
wait_for "the first JSON line" has_count '"trigger":"start"' 1
printf "VERSION = 'E'\n" > "$p/api/main.py"
wait_for "the second JSON line" has_count '"trigger":"change"' 1
python3 - "$t/out" <<'PY' || fail "the JSON lines are not what they should be"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 2, lines
start, change = lines
assert start["command"] == "watch" and [s["sidecar"] for s in start["sidecars"]] == ["api"], start
assert change["changed"] == ["api/main.py"], change
assert change["sidecars"][0]["status"] == "built", change
PY
stop_watch 0

step "Ctrl-C during a build cancels it, keeps the previous binary, exits 130"
write_config "    backends: {fake: {delay_ms: 60000}}"
before=$(runs api)
start_watch api
wait_for "the slow build to start" sh -c "[ \"\$(cat '$p/.freezer/cache/backends/fake/api/runs')\" -gt $before ]"
stop_watch 130
grep -q "api cancelled" "$t/out" || fail "no 'cancelled' line"
prints api "'E'" || fail "the cancelled build replaced dist/api/api"

echo "PASS"
