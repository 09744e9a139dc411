#!/usr/bin/env bash
# The GitHub Actions workflow of docs/ci.md, played in a user's repository: the block
# marked "<!-- played by tests/ci_job_test.sh -->" is extracted and its jobs' steps are
# run in order, as a runner would run them, in a scratch repository that holds only what
# a user's repository holds (freezer.yaml, a small CLI sidecar, a requirements file for
# its build venv), with freezer installed as a package, not from this source tree.
#
#   1. the `matrix` job: its output `cells` must be JSON with at least two cells;
#   2. the `freeze` job for the first cell: the JUnit file it wrote validates against
#      tests/junit.xsd and has one testcase, for the cell, that passed; the sidecar's
#      binary is installed in dist/ and runs;
#   3. the `freeze` job again, in a fresh clone with one more commit (a README), with the
#      .freezer/cache that the first play's actions/cache saved, found by `restore-keys:`:
#      the cell is restored from the artifact cache, not built.
#
# Usage: [sh|bash] ci_job_test.sh WHEEL_OR_DIR SOURCE_DIR
#   WHEEL_OR_DIR  freezer-*.whl: pip-installed into a fresh venv (/usr/bin/python3 -m venv),
#                 which must then have bin/freezer;
#                 or a build or install folder with bin/freezer (and lib/freezer/backends/):
#                 the "install" is then a fresh venv whose bin/freezer is a symlink to it
#                 (freezer finds its plugins next to its real path).
#   SOURCE_DIR    freezer's sources: docs/ci.md, tests/junit.xsd, requirements.txt (the
#                 PyInstaller and pex pins of the user's requirements file).
# Environment: FREEZER_TEST_PYTHON  a Python with PyYAML that plays the workflow (default
#              python3); KEEP=1 keeps the scratch folder and prints where it is.
#
# How steps are played. `run:` steps: with `bash --noprofile --norc -eo pipefail` in the
# repository, GitHub's expressions substituted (${{ matrix.* }} from the cell,
# ${{ steps.ID.outputs.* }}, ${{ needs.JOB.outputs.* }}, ${{ secrets.* }} as empty,
# ${{ github.sha }}, ${{ runner.os }}, ...), $GITHUB_OUTPUT, $GITHUB_ENV, $GITHUB_PATH and
# $GITHUB_STEP_SUMMARY as files read back after the step, and a PATH with no freezer on
# it. The step that installs freezer (`pipx install freezer...`, `pip install freezer...`,
# `uv tool install freezer...`) is replaced by the install above: its venv's bin/ goes
# first on PATH. `uses:` steps are played here: actions/checkout (the repository is the
# working folder already), actions/setup-python (nothing: the system python3),
# actions/cache (restores its `path:` from a cache folder of this test by `key:` or
# `restore-keys:`, saves it after a successful job unless the key was hit), and
# actions/upload-artifact (its `path:` must exist). Any other action, or an expression
# this test does not know, fails the test, so that docs/ci.md and this test stay in step.
#
# Exit codes: 0 passed, 1 failed (with FAIL: and the reason), 2 usage, 77 skipped (with
# SKIPPED: and the reason: xmllint, git, python3-venv or PyYAML missing, or PyInstaller
# not installable from the package index).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi  # when started as `sh ci_job_test.sh`
set -euo pipefail

usage() { echo "usage: $0 WHEEL_OR_DIR SOURCE_DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
install_from=$1
src=$(cd "$2" && pwd -P) || usage
py=${FREEZER_TEST_PYTHON:-python3}
step() { echo "=== $*"; }
skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

for f in docs/ci.md tests/junit.xsd requirements.txt; do
  [ -f "$src/$f" ] || { echo "$src/$f not found: is $src freezer's source folder?" >&2; usage; }
done
case "$install_from" in
  *.whl) [ -f "$install_from" ] || { echo "$install_from: no such wheel" >&2; usage; } ;;
  *) [ -x "$install_from/bin/freezer" ] || { echo "$install_from/bin/freezer not found" >&2; usage; } ;;
esac

step "prerequisites"
command -v xmllint > /dev/null || skip "xmllint not found (apt-get install libxml2-utils): it validates the JUnit report"
command -v git > /dev/null || skip "git not found (apt-get install git): the job checks out a repository"
/usr/bin/python3 -c 'import ensurepip, venv' 2> /dev/null ||
  skip "/usr/bin/python3 cannot make a venv with pip (apt-get install python3-venv)"
"$py" -c 'import yaml' 2> /dev/null ||
  skip "$py cannot import yaml (PyYAML): set FREEZER_TEST_PYTHON to a Python that has it (.venv-test/bin/python)"
# The user's requirements file pins what freezer's own set-up pins.
pyinstaller_pin=$(grep -E '^pyinstaller==' "$src/requirements.txt" | head -n 1)
pex_pin=$(grep -E '^pex==' "$src/requirements.txt" | head -n 1)
[ -n "$pyinstaller_pin" ] || fail "no pyinstaller== line in $src/requirements.txt"
[ -n "$pex_pin" ] || fail "no pex== line in $src/requirements.txt"

t=$(mktemp -d)
t=$(cd "$t" && pwd -P)
cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then echo "kept: $t"; else rm -rf "$t"; fi
}
trap cleanup EXIT
case "$t/" in "$src"/*) fail "the scratch folder $t is inside the source tree $src: set TMPDIR elsewhere" ;; esac

step "freezer, installed as a package into a fresh venv"
venv=$t/freezer-venv
/usr/bin/python3 -m venv "$venv"
case "$install_from" in
  *.whl)
    "$venv/bin/pip" install --disable-pip-version-check -q "$install_from" ||
      fail "pip could not install $install_from"
    [ -x "$venv/bin/freezer" ] || fail "the wheel $install_from installed no bin/freezer"
    ;;
  *)
    real=$(cd "$install_from/bin" && pwd -P)/freezer
    ln -s "$real" "$venv/bin/freezer"
    ;;
esac
env -u FREEZER_BACKEND_PATH "$venv/bin/freezer" --version || fail "the installed freezer does not run"
env -u FREEZER_BACKEND_PATH "$venv/bin/freezer" backends > "$t/backends.txt" 2>&1 || true
grep -q pyinstaller "$t/backends.txt" || { cat "$t/backends.txt"; fail "the installed freezer finds no pyinstaller plugin"; }

step "can $pyinstaller_pin be installed from the package index?"
"$venv/bin/pip" download --disable-pip-version-check -q --no-deps -d "$t/probe" "$pyinstaller_pin" > "$t/probe.log" 2>&1 ||
  { cat "$t/probe.log"; skip "$pyinstaller_pin cannot be downloaded from the package index (no network?)"; }
rm -rf "$t/probe"

step "a user's repository: freezer.yaml, a CLI sidecar, its requirements file"
repo=$t/repo
mkdir -p "$repo/app"
cat > "$repo/freezer.yaml" <<'YAML'
version: 1
python: .venv/bin/python          # made by the CI job from requirements-freeze.txt
defaults:
  backend: pyinstaller
  mode: onefile
sidecars:
  hello:
    root: app
    entry: main.py
    smoke:
      run: ["--help"]
      expect_stdout: "^usage: hello"
matrix:
  backends: [pyinstaller, pex-scie]
YAML
cat > "$repo/app/main.py" <<'PY'
"""hello: a small command-line sidecar."""
import argparse


def main() -> None:
    parser = argparse.ArgumentParser(prog="hello", description="Greets someone.")
    parser.add_argument("name", nargs="?", default="world", help="who to greet")
    args = parser.parse_args()
    print(f"hello, {args.name}")


if __name__ == "__main__":
    main()
PY
cat > "$repo/requirements-freeze.txt" <<EOF
# The packagers of freezer.yaml's matrix, installed into .venv
$pyinstaller_pin
$pex_pin
EOF
printf '.freezer/\ndist/\n.venv/\njunit.xml\n' > "$repo/.gitignore"
git -C "$repo" init -q
git -C "$repo" add -A
git -C "$repo" -c user.name=ci-test -c user.email=ci-test@example.invalid commit -q -m "a Tauri app's sidecar"

step "the workflow of docs/ci.md"
cat > "$t/play.py" <<'PY'
"""Plays a GitHub Actions workflow's jobs locally (see tests/ci_job_test.sh).

play.py extract DOC OUT          the block after the marker line, checked, to OUT
play.py job WORKFLOW JOB DIR LABEL
    plays JOB in DIR; state (job outputs, the cell, the build step's log) in $PLAY_STATE
"""
import glob
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

import yaml

MARK = "<!-- played by tests/ci_job_test.sh -->"
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
INSTALL = re.compile(r"^(pipx install|uv tool install|(python3? -m )?pip3? install)\s+(-\S+\s+)*"
                     r"(freezer(==[0-9][0-9a-z.]*)?|\S*freezer-\S*\.whl)$")
KNOWN_ACTIONS = ("actions/checkout", "actions/setup-python", "actions/cache", "actions/upload-artifact")
TOP_KEYS = {"name", "on", True, "permissions", "env", "concurrency", "defaults", "jobs", "run-name"}
JOB_KEYS = {"name", "runs-on", "needs", "outputs", "strategy", "steps", "env", "if", "permissions",
            "timeout-minutes", "defaults", "concurrency", "continue-on-error"}
STEP_KEYS = {"name", "id", "run", "uses", "with", "env", "if", "shell", "working-directory",
             "timeout-minutes", "continue-on-error"}


class Fail(Exception):
    pass


def extract(doc, out):
    lines = open(doc, encoding="utf-8").read().split("\n")
    marks = [i for i, line in enumerate(lines) if line.strip() == MARK]
    if len(marks) != 1:
        raise Fail(f"{doc}: {len(marks)} lines '{MARK}', not one")
    start = marks[0] + 1
    if start >= len(lines) or lines[start].strip() != "```yaml":
        raise Fail(f"{doc}:{start + 1}: the line after '{MARK}' is not ```yaml")
    end = next((j for j in range(start + 1, len(lines)) if lines[j].strip() == "```"), None)
    if end is None:
        raise Fail(f"{doc}:{start + 1}: the ```yaml block does not end")
    text = "\n".join(lines[start + 1:end]) + "\n"
    for bad in ("build/bin/", "scripts/setup.sh"):
        if bad in text:
            raise Fail(f"{doc}: the played workflow uses '{bad}', which a user's repository does not have")
    wf = yaml.safe_load(text)
    if not isinstance(wf, dict):
        raise Fail(f"{doc}:{start + 2}: the block is not a workflow (a mapping)")
    if "on" not in wf and True not in wf:  # YAML 1.1 reads a bare `on` as true
        raise Fail(f"{doc}:{start + 2}: the workflow has no 'on:'")
    unknown = set(wf) - TOP_KEYS
    if unknown:
        raise Fail(f"{doc}: the workflow has keys this test does not play: {sorted(map(str, unknown))}")
    jobs = wf.get("jobs") or {}
    for j in ("matrix", "freeze"):
        if j not in jobs:
            raise Fail(f"{doc}: the workflow has no '{j}' job")
    open(out, "w", encoding="utf-8").write(text)
    print(f"extracted {doc}:{start + 2}-{end} (jobs: {', '.join(jobs)})")


def parse_github_file(path):
    """name=value lines and name<<DELIM ... DELIM blocks ($GITHUB_OUTPUT, $GITHUB_ENV)."""
    out = {}
    if not os.path.exists(path):
        return out
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            continue
        heredoc = "<<" in line and ("=" not in line or line.index("<<") < line.index("="))
        if heredoc:
            name, delim = line.split("<<", 1)
            value = []
            while i < len(lines) and lines[i] != delim:
                value.append(lines[i])
                i += 1
            if i >= len(lines):
                raise Fail(f"{path}: '{name}<<{delim}' has no closing '{delim}'")
            i += 1
            out[name] = "\n".join(value)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        else:
            raise Fail(f"{path}: a line that is neither name=value nor name<<DELIM: {line!r}")
    return out


class Job:
    def __init__(self, wf, name, workdir, label):
        self.wf, self.name, self.workdir, self.label = wf, name, workdir, label
        self.job = wf["jobs"][name]
        self.state_file = os.environ["PLAY_STATE"]
        self.state = json.load(open(self.state_file)) if os.path.exists(self.state_file) else {"jobs": {}}
        self.cache_root = os.environ["PLAY_CACHE"]
        self.logs = os.environ["PLAY_LOGS"]
        self.freezer_bin = os.environ["PLAY_FREEZER_BIN"]
        self.tmp = os.path.join(os.environ["PLAY_TMP"], f"{label}-{name}")
        os.makedirs(self.tmp, exist_ok=True)
        os.makedirs(self.logs, exist_ok=True)
        self.steps = {}          # id -> outputs
        self.exported = {}       # $GITHUB_ENV
        self.paths = []          # $GITHUB_PATH, newest first
        self.matrix = {}
        self.post = []           # post-job actions (cache saves)
        self.record = {"steps": []}
        self.sha = subprocess.run(["git", "-C", workdir, "rev-parse", "HEAD"], check=True,
                                  capture_output=True, text=True).stdout.strip()
        needs = self.job.get("needs", [])
        self.needs = [needs] if isinstance(needs, str) else list(needs)
        for n in self.needs:
            if n not in self.state["jobs"]:
                raise Fail(f"job '{name}' needs '{n}', which was not played before it")

    # --- expressions
    def value(self, expr):
        m = re.fullmatch(r"fromJSON\((.*)\)", expr)
        if m:
            text = self.value(m.group(1).strip())
            try:
                return json.loads(text)
            except ValueError as e:
                raise Fail(f"fromJSON({m.group(1)}): not JSON ({e}): {text!r}")
        m = re.fullmatch(r"matrix\.([\w-]+)", expr)
        if m:
            if m.group(1) not in self.matrix:
                raise Fail(f"${{{{ {expr} }}}}: the cell {self.matrix} has no '{m.group(1)}'")
            return self.matrix[m.group(1)]
        m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
        if m:
            if m.group(1) not in self.steps:
                raise Fail(f"${{{{ {expr} }}}}: no step with id '{m.group(1)}' ran before")
            return self.steps[m.group(1)].get(m.group(2), "")
        m = re.fullmatch(r"needs\.([\w-]+)\.outputs\.([\w-]+)", expr)
        if m:
            if m.group(1) not in self.needs:
                raise Fail(f"${{{{ {expr} }}}}: job '{self.name}' does not need '{m.group(1)}'")
            return self.state["jobs"][m.group(1)]["outputs"].get(m.group(2), "")
        if re.fullmatch(r"secrets\.[\w-]+", expr):
            return ""
        github = {"github.sha": self.sha, "github.ref": "refs/heads/main", "github.ref_name": "main",
                  "github.event_name": "push", "github.workspace": self.workdir, "github.job": self.name,
                  "github.repository": "user/app", "github.run_id": "1", "github.run_number": "1",
                  "runner.os": "Linux", "runner.arch": "X64", "runner.temp": self.tmp}
        if expr in github:
            return github[expr]
        m = re.fullmatch(r"env\.([\w-]+)", expr)
        if m:
            return self.env_for({}).get(m.group(1), "")
        raise Fail(f"an expression this test does not play: ${{{{ {expr} }}}} "
                   "(teach tests/ci_job_test.sh or change docs/ci.md)")

    def subst(self, text):
        def one(m):
            v = self.value(m.group(1))
            return v if isinstance(v, str) else json.dumps(v)
        return EXPR.sub(one, str(text))

    def condition(self, cond, failed):
        if cond is None:
            return not failed
        e = str(cond).strip()
        m = EXPR.fullmatch(e)
        if m:
            e = m.group(1).strip()
        table = {"always()": True, "success()": not failed, "failure()": failed,
                 "!cancelled()": True, "cancelled()": False}
        if e not in table:
            raise Fail(f"an 'if:' this test does not play: {cond!r}")
        return table[e]

    # --- environment
    def base_path(self):
        dirs = []
        for d in ["/usr/local/bin", "/usr/bin", "/bin"]:  # a runner's, without any freezer
            if os.path.exists(os.path.join(d, "freezer")):
                continue
            dirs.append(d)
        return ":".join(self.paths + dirs)

    def env_for(self, step):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("FREEZER_", "PLAY_")) and k not in
               ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CONDA_PREFIX", "PYENV_VERSION")}
        env.update({"CI": "true", "GITHUB_ACTIONS": "true", "RUNNER_OS": "Linux", "RUNNER_TEMP": self.tmp,
                    "GITHUB_WORKSPACE": self.workdir, "GITHUB_SHA": self.sha, "GITHUB_JOB": self.name,
                    "GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main", "GITHUB_EVENT_NAME": "push",
                    "NO_COLOR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_QUIET": "1",
                    "PIP_PROGRESS_BAR": "off"})
        env.update(self.exported)
        for scope in (self.wf.get("env") or {}, self.job.get("env") or {}, step.get("env") or {}):
            for k, v in scope.items():
                env[str(k)] = self.subst(v)
        env["PATH"] = self.base_path()
        return env

    # --- steps
    def play(self):
        unknown = set(self.job) - JOB_KEYS
        if unknown:
            raise Fail(f"job '{self.name}' has keys this test does not play: {sorted(unknown)}")
        strategy = self.job.get("strategy") or {}
        if "matrix" in strategy:
            m = strategy["matrix"]
            cells = self.value(EXPR.fullmatch(m.strip()).group(1)) if isinstance(m, str) and EXPR.fullmatch(m.strip()) else m
            if not isinstance(cells, dict) or set(cells) != {"include"} or not isinstance(cells["include"], list):
                raise Fail(f"job '{self.name}': strategy.matrix is not {{\"include\": [...]}}: {cells!r}")
            if len(cells["include"]) < 2:
                raise Fail(f"job '{self.name}': the matrix has {len(cells['include'])} cells, not at least 2")
            self.matrix = cells["include"][0]
            print(f"job '{self.name}': {len(cells['include'])} cells; playing the first: {json.dumps(self.matrix)}")
        self.record["cell"] = self.matrix
        steps = self.job.get("steps") or []
        installs = [s for s in steps if "run" in s and INSTALL.match(" ".join(str(s["run"]).split()))]
        uses_freezer = any("run" in s and re.search(r"\bfreezer\b", str(s["run"])) for s in steps)
        if uses_freezer and len(installs) != 1:
            raise Fail(f"job '{self.name}' runs freezer and has {len(installs)} steps that install it "
                       "(pipx/pip/uv tool install freezer), not one")
        failed = None
        for n, step in enumerate(steps, 1):
            unknown = set(step) - STEP_KEYS
            if unknown:
                raise Fail(f"job '{self.name}' step {n}: keys this test does not play: {sorted(unknown)}")
            if ("run" in step) == ("uses" in step):
                raise Fail(f"job '{self.name}' step {n}: neither or both of run: and uses:")
            name = self.subst(step.get("name") or (step.get("uses") or str(step["run"]).split("\n")[0]))
            if not self.condition(step.get("if"), failed is not None):
                why = f"if: {step['if']}" if step.get("if") is not None else "an earlier step failed"
                print(f"--- [{self.label} {self.name}] {name}: skipped ({why})")
                continue
            try:
                if "uses" in step:
                    self.uses(step, name)
                elif step in installs:
                    print(f"--- [{self.label} {self.name}] {name}: $ {step['run'].strip()}")
                    print(f"    played by the test: freezer installed in {self.freezer_bin}, first on PATH")
                    self.paths.insert(0, self.freezer_bin)
                else:
                    self.run(step, name, n)
            except Fail as e:
                if step.get("continue-on-error"):
                    print(f"    (continue-on-error) {e}")
                    continue
                print(f"    step failed: {e}")
                failed = failed or f"step {n} '{name}': {e}"
        for action in reversed(self.post):
            action(failed is not None)
        self.record["outputs"] = {}
        for k, v in (self.job.get("outputs") or {}).items():
            try:
                self.record["outputs"][k] = self.subst(v)
            except Fail:
                if not failed:  # else the failed step is the reason
                    raise
        self.state["jobs"][self.name] = self.record
        self.state.setdefault("plays", {})[f"{self.label}-{self.name}"] = self.record
        json.dump(self.state, open(self.state_file, "w"), indent=1)
        if failed:
            raise Fail(f"job '{self.name}' ({self.label} play) failed at {failed}")

    def run(self, step, name, n):
        script = self.subst(step["run"])
        shell = step.get("shell") or ((self.job.get("defaults") or {}).get("run") or {}).get("shell") or "bash"
        if shell != "bash":
            raise Fail(f"shell '{shell}': this test plays bash only")
        print(f"--- [{self.label} {self.name}] {name}")
        for line in script.rstrip("\n").split("\n"):
            print(f"    $ {line}")
        files = {k: os.path.join(self.tmp, f"{n}.{k}") for k in ("output", "env", "path", "summary")}
        for f in files.values():
            open(f, "w").close()
        env = self.env_for(step)
        env.update({"GITHUB_OUTPUT": files["output"], "GITHUB_ENV": files["env"], "GITHUB_PATH": files["path"],
                    "GITHUB_STEP_SUMMARY": files["summary"]})
        script_file = os.path.join(self.tmp, f"{n}.sh")
        open(script_file, "w").write(script)
        cwd = os.path.join(self.workdir, self.subst(step.get("working-directory", ".")))
        log_path = os.path.join(self.logs, f"{self.label}-{self.name}-{n:02d}.log")
        start = time.monotonic()
        with open(log_path, "w") as log:
            p = subprocess.Popen(["bash", "--noprofile", "--norc", "-eo", "pipefail", script_file], cwd=cwd, env=env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 errors="replace")
            for line in p.stdout:
                log.write(line)
                print(f"    | {line}", end="")
            code = p.wait()
        print(f"    ({time.monotonic() - start:.1f}s, exit {code})")
        entry = {"name": name, "script": script, "log": log_path, "exit": code}
        m = re.search(r"\bfreezer\b.*\bbuild\b.*--junit[ =]+(\"[^\"]+\"|'[^']+'|\S+)", script)
        if m:
            entry["junit"] = os.path.normpath(os.path.join(cwd, shlex.split(m.group(1))[0]))
            self.record["build"] = entry
        self.record["steps"].append(entry)
        if step.get("id"):
            self.steps[step["id"]] = parse_github_file(files["output"])
        self.exported.update(parse_github_file(files["env"]))
        for p in reversed([p.strip() for p in open(files["path"]).read().split("\n") if p.strip()]):
            self.paths.insert(0, p)
        summary = open(files["summary"]).read()
        if summary:
            print("    step summary:\n" + "".join(f"    > {line}\n" for line in summary.rstrip("\n").split("\n")))
        if code != 0:
            raise Fail(f"exited {code} (log: {log_path})")

    def uses(self, step, name):
        uses = step["uses"]
        action = uses.split("@", 1)[0]
        if action not in KNOWN_ACTIONS:
            raise Fail(f"uses: {uses}: an action this test does not play (tests/ci_job_test.sh knows "
                       f"{', '.join(KNOWN_ACTIONS)})")
        w = {k: self.subst(v) for k, v in (step.get("with") or {}).items()}
        print(f"--- [{self.label} {self.name}] {name}" + (f" ({uses})" if name != uses else ""))
        for k, v in w.items():
            print(f"    with {k}: {v}")
        if action == "actions/checkout":
            print(f"    played by the test: {self.workdir} is a checkout of {self.sha[:12]}")
        elif action == "actions/setup-python":
            print("    played by the test: nothing (the system python3)")
        elif action == "actions/cache":
            self.cache(step, w)
        elif action == "actions/upload-artifact":
            self.upload(w)

    def cache_paths(self, w):
        paths = [p.strip() for p in w.get("path", "").split("\n") if p.strip()]
        if not paths:
            raise Fail("actions/cache without path:")
        for p in paths:
            if os.path.isabs(p) or p.startswith(("~", "!")) or any(c in p for c in "*?["):
                raise Fail(f"actions/cache path '{p}': this test plays relative paths without patterns only")
        return paths

    def cache(self, step, w):
        paths = self.cache_paths(w)
        key = w.get("key", "")
        if not key:
            raise Fail("actions/cache without key:")
        entries = {}
        for d in glob.glob(os.path.join(self.cache_root, "*", "key")):
            entries[open(d).read()] = os.path.dirname(d)
        hit, exact = entries.get(key), True
        if not hit:
            exact = False
            for prefix in [p.strip() for p in w.get("restore-keys", "").split("\n") if p.strip()]:
                matches = [e for k, e in entries.items() if k.startswith(prefix)]
                if matches:
                    hit = max(matches, key=lambda e: os.path.getmtime(os.path.join(e, "key")))
                    break
        if hit:
            for p in paths:
                stored = os.path.join(hit, "files", p)
                if os.path.exists(stored):
                    shutil.copytree(stored, os.path.join(self.workdir, p), symlinks=True, dirs_exist_ok=True)
            print(f"    played by the test: restored {', '.join(paths)} from key {open(os.path.join(hit, 'key')).read()}"
                  f"{' (exact)' if exact else ' (restore-keys)'}")
        else:
            print(f"    played by the test: cache miss for key {key}")
        if step.get("id"):
            self.steps[step["id"]] = {"cache-hit": "true" if exact and hit else ("false" if hit else "")}
        self.record["cache"] = {"key": key, "hit": bool(hit), "exact": bool(hit and exact)}

        def save(job_failed):
            if job_failed:
                print(f"--- [{self.label} {self.name}] post cache: not saved (the job failed)")
            elif hit and exact:
                print(f"--- [{self.label} {self.name}] post cache: hit on the primary key {key}, not saved")
            elif key in entries:
                print(f"--- [{self.label} {self.name}] post cache: {key} exists already, not saved")
            else:
                entry = os.path.join(self.cache_root, hashlib.sha256(key.encode()).hexdigest()[:16])
                os.makedirs(os.path.join(entry, "files"))
                for p in paths:
                    src = os.path.join(self.workdir, p)
                    if os.path.isdir(src):
                        shutil.copytree(src, os.path.join(entry, "files", p), symlinks=True)
                    elif os.path.exists(src):
                        os.makedirs(os.path.dirname(os.path.join(entry, "files", p)), exist_ok=True)
                        shutil.copy2(src, os.path.join(entry, "files", p))
                open(os.path.join(entry, "key"), "w").write(key)
                print(f"--- [{self.label} {self.name}] post cache: saved {', '.join(paths)} as {key}")
                self.record["cache"]["saved"] = True
        self.post.append(save)

    def upload(self, w):
        if not w.get("name"):
            raise Fail("actions/upload-artifact without name:")
        paths = [p.strip() for p in w.get("path", "").split("\n") if p.strip() and not p.strip().startswith("!")]
        if not paths:
            raise Fail("actions/upload-artifact without path:")
        for p in paths:
            found = glob.glob(os.path.join(self.workdir, p), recursive=True)
            if not found:
                raise Fail(f"actions/upload-artifact '{w['name']}': nothing at '{p}'")
        self.record.setdefault("artifacts", {})[w["name"]] = paths
        print(f"    played by the test: artifact '{w['name']}' has {', '.join(paths)}")


def main(argv):
    try:
        if argv[1:2] == ["extract"] and len(argv) == 4:
            extract(argv[2], argv[3])
        elif argv[1:2] == ["job"] and len(argv) == 6:
            wf = yaml.safe_load(open(argv[2], encoding="utf-8"))
            Job(wf, argv[3], os.path.abspath(argv[4]), argv[5]).play()
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except Fail as e:
        print(f"FAIL: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
PY
export PLAY_STATE=$t/state.json PLAY_CACHE=$t/actions-cache PLAY_LOGS=$t/logs PLAY_TMP=$t/runner
export PLAY_FREEZER_BIN=$venv/bin
mkdir -p "$PLAY_CACHE" "$PLAY_TMP"
"$py" "$t/play.py" extract "$src/docs/ci.md" "$t/workflow.yml" || fail "docs/ci.md has no workflow this test can play"

# state KEY...: a field of the state the player wrote (a string, or JSON).
state() {
  "$py" - "$PLAY_STATE" "$@" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    if not isinstance(v, dict) or k not in v:
        sys.exit(1)
    v = v[k]
print(v if isinstance(v, str) else json.dumps(v))
PY
}

# check_freeze DIR PLAY: the JUnit report and the installed binary of a freeze play.
check_freeze() {
  local dir=$1 play=$2 junit cell sidecar backend bin out
  junit=$(state plays "$play-freeze" build junit) || fail "the $play freeze play ran no 'freezer build ... --junit FILE' step"
  [ -f "$junit" ] || fail "the $play freeze play wrote no JUnit report at $junit"
  xmllint --noout --schema "$src/tests/junit.xsd" "$junit" || fail "$junit is not valid against tests/junit.xsd"
  cell=$(state plays "$play-freeze" cell)
  sidecar=$("$py" -c 'import json,sys; print(json.loads(sys.argv[1])["sidecar"])' "$cell")
  backend=$("$py" -c 'import json,sys; print(json.loads(sys.argv[1])["backend"])' "$cell")
  "$py" - "$junit" "$sidecar:$backend" <<'PY' || fail "the JUnit report of the $play play is not one passed testcase for the cell"
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = list(root.iter("testcase"))
names = [c.get("name") for c in cases]
print(f"JUnit: testcases {names}")
assert names == [sys.argv[2]], f"expected one testcase '{sys.argv[2]}', got {names}"
bad = [e.tag for e in cases[0] if e.tag in ("failure", "error", "skipped")]
assert not bad, f"the testcase has {bad}"
for s in [root] + list(root.iter("testsuite")):
    assert s.get("failures", "0") == "0" and s.get("errors", "0") == "0", f"{s.tag} counts a failure or error"
PY
  bin=
  for d in "$dir/dist/$sidecar" "$dir/dist/$sidecar@$backend"; do
    [ -x "$d/$sidecar" ] && bin=$d/$sidecar
  done
  [ -n "$bin" ] || fail "no $sidecar binary in $dir/dist/$sidecar/ or $dir/dist/$sidecar@$backend/"
  # Self-contained: no venv, no PATH to Python, a fresh HOME and working folder.
  mkdir -p "$t/run-$play"
  out=$(cd "$t/run-$play" && env -i PATH=/nonexistent HOME="$t/run-$play" "$bin" ci) ||
    fail "$bin exited $? for 'ci'"
  [ "$out" = "hello, ci" ] || fail "$bin printed '$out', not 'hello, ci'"
  echo "ok: $bin runs: $out"
}

step "play the matrix job in $repo"
"$py" "$t/play.py" job "$t/workflow.yml" matrix "$repo" first || fail "the matrix job failed"
cells=$(state jobs matrix outputs cells)
"$py" - "$cells" <<'PY' || fail "the matrix job's output 'cells' is not a JSON matrix of 2 cells or more: $cells"
import json, sys
cells = json.loads(sys.argv[1])["include"]
assert len(cells) >= 2, cells
assert all(set(c) >= {"sidecar", "backend"} for c in cells), cells
print(f"cells: {[c['sidecar'] + ':' + c['backend'] for c in cells]}")
PY

step "play the freeze job in $repo, for the first cell"
"$py" "$t/play.py" job "$t/workflow.yml" freeze "$repo" first || fail "the freeze job failed"
check_freeze "$repo" first
[ "$(state plays first-freeze cache saved)" = true ] ||
  fail "the first freeze play's actions/cache saved nothing for the next run"
build_log=$(state plays first-freeze build log)
grep -q "built in" "$build_log" || fail "the first freeze play built nothing: $(cat "$build_log")"

step "play the freeze job again in a fresh clone of a later commit, with the cache the first play saved"
# A later push that does not touch the sidecar: a new commit, so actions/cache finds the
# first play's cache through restore-keys, as the next CI run would.
git clone -q "$repo" "$t/clone"
printf '# app\n\nA desktop app with a Python sidecar.\n' > "$t/clone/README.md"
git -C "$t/clone" add README.md
git -C "$t/clone" -c user.name=ci-test -c user.email=ci-test@example.invalid commit -q -m "README"
"$py" "$t/play.py" job "$t/workflow.yml" freeze "$t/clone" second || fail "the second freeze job failed"
[ "$(state plays second-freeze cache hit)" = true ] || fail "the second freeze play's actions/cache restored nothing"
[ "$(state plays second-freeze cache exact)" = false ] ||
  fail "the second freeze play's cache key is the first one's: it should change with the commit"
check_freeze "$t/clone" second
build_log=$(state plays second-freeze build log)
grep -q "restored from the cache" "$build_log" ||
  fail "the second freeze play did not restore the cell from the artifact cache: $(cat "$build_log")"
grep -q " 0 built," "$build_log" || fail "the second freeze play built the cell again: $(cat "$build_log")"
if [ -f "$t/clone/.freezer/logs/hello.log" ] && grep -q -- "-m PyInstaller" "$t/clone/.freezer/logs/hello.log"; then
  fail "the second freeze play ran PyInstaller"
fi

echo "PASS"
