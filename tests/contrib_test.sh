#!/bin/sh
# The contrib backends (contrib/: cx_Freeze, shiv) built as an outsider builds a plugin,
# against an installed freezer found with find_package, then:
#   1. their plans, golden: `freezer plan` (tests/golden/plan_whoami_*.txt) and the SDK's
#      harness (contrib/tests/plan_test.cpp, contrib/tests/golden/); FREEZER_UPDATE_GOLDEN=1
#      rewrites both;
#   2. the examples' whoami app built by each: built, smoke-tested ("frozen by cx_freeze",
#      "frozen by shiv", its bundled data file read), then skipped;
#   3. `freezer compare` of whoami across pyinstaller, nuitka, pex-scie, cx_freeze and shiv.
# Usage: contrib_test.sh FREEZER_BUILD_DIR SOURCE_DIR
set -eu
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
python="$src/.venv/bin/python"
if ! "$python" -c 'import cx_Freeze, shiv' 2>/dev/null; then
  echo "SKIPPED: cx_Freeze and shiv are not in $src/.venv (run scripts/setup.sh)"
  exit 77
fi
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
step() { echo "--- $*"; }
fail() { echo "FAIL: $*"; exit 1; }

step "install freezer into $t/prefix; build contrib/ against it"
cmake --install "$build" --prefix "$t/prefix" >/dev/null
cmake -S "$src/contrib" -B "$t/contrib" -DCMAKE_PREFIX_PATH="$t/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$t/contrib" >/dev/null
export FREEZER_BACKEND_PATH="$t/contrib" NO_COLOR=1
freezer="$t/prefix/bin/freezer"

step "a project: the whoami example, once per contrib backend"
mkdir -p "$t/p"
cp -rL "$src/examples/whoami" "$t/p/whoami"
cat > "$t/p/freezer.yaml" <<YAML
version: 1
python: $python
sidecars:
  whoami-cx:
    root: whoami
    module: whoami
    backend: cx_freeze
    mode: onedir
    data:
      - {src: whoami/message.json, dest: whoami}
    smoke: {run: [], expect_stdout: "^frozen by cx_freeze$"}
  whoami-shiv:
    root: whoami
    module: whoami
    backend: shiv
    data:
      - {src: whoami/message.json, dest: whoami}
    smoke: {run: [], expect_stdout: "^frozen by shiv$"}
  whoami:                          # for compare: any packager, in a mode it builds
    root: whoami
    module: whoami
    data:
      - {src: whoami/message.json, dest: whoami}
    smoke: {run: [], expect_stdout: "^frozen by [a-z_-]+$"}
YAML
"$freezer" -C "$t/p" check || fail "freezer check"

step "1. the plans, golden"
for sc in cx shiv; do
  "$freezer" -C "$t/p" plan "whoami-$sc" -j 2 > "$t/plan.txt"
  # Paths and the pid vary; so does a written file's size with them (its content is in
  # the harness's goldens below, with placeholder folders).
  sed -e "s|$t/p|\$PROJECT|g" -e "s|$python|\$PYTHON|g" -e 's|\(@[a-z_-]*\)\.[0-9][0-9]*|\1.$PID|g' \
      -e 's|([0-9]* bytes)|(N bytes)|' "$t/plan.txt" > "$t/plan.norm"
  golden="$src/tests/golden/plan_whoami_$sc.txt"
  if [ -n "${FREEZER_UPDATE_GOLDEN:-}" ]; then cp "$t/plan.norm" "$golden"; fi
  diff -u "$golden" "$t/plan.norm" || fail "the plan of whoami-$sc differs from $golden"
done

step "1b. the plans through the SDK's plan-test harness (<freezer/plan_test.hpp>)"
"$t/contrib/contrib_plan_tests" "$t/contrib" "$src/contrib/tests/golden" || fail "contrib_plan_tests"

step "2. built and smoke-tested, then skipped"
"$freezer" -C "$t/p" build whoami-cx whoami-shiv --json > "$t/first.json" || { cat "$t/first.json"; fail "first build"; }
[ "$(grep -c '"status": *"built"' "$t/first.json")" = 2 ] || { cat "$t/first.json"; fail "not both built"; }
"$freezer" -C "$t/p" build whoami-cx whoami-shiv --json > "$t/second.json"
[ "$(grep -c '"status": *"skipped"' "$t/second.json")" = 2 ] || { cat "$t/second.json"; fail "not both skipped"; }
"$t/p/dist/whoami-cx/whoami-cx" | grep -x "frozen by cx_freeze" >/dev/null || fail "whoami-cx does not name cx_freeze"
HOME="$t/home" "$t/p/dist/whoami-shiv/whoami-shiv" | grep -x "frozen by shiv" >/dev/null || fail "whoami-shiv does not name shiv"

step "3. compare across five backends"
"$freezer" -C "$t/p" compare whoami --backends pyinstaller,nuitka,pex-scie,cx_freeze,shiv --runs 1 --json > "$t/compare.json" ||
  { cat "$t/compare.json"; fail "compare"; }
"$python" - "$t/compare.json" <<'PY' || fail "compare did not report five passing backends"
import json, sys
report = json.load(open(sys.argv[1]))
rows = {r["backend"]: r for r in report["results"]}
for b, r in rows.items():
    print(f"{b}: {r['status']} ({r['mode']}) smoke passed: {r['smoke']['passed']} {r['reason']}")
assert set(rows) == {"pyinstaller", "nuitka", "pex-scie", "cx_freeze", "shiv"}, rows.keys()
assert all(r["status"] == "ok" and r["smoke"]["passed"] for r in rows.values())
assert rows["cx_freeze"]["mode"] == "onedir" and rows["shiv"]["mode"] == "onefile"
PY
echo "ok: cx_Freeze and shiv, built out of tree, freeze whoami; compare runs across five backends"
