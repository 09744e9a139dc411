"""`freezer compare` end to end, with real PyInstaller, Nuitka and pex from the venv.

Checks what the report claims against the disk (sizes, file counts, run counts), that
the user's project is byte-for-byte the same afterwards, the JSON against
config/compare.schema.json, the JUnit XML against tests/junit.xsd (xmllint), and that the
HTML page renders with its charts in headless Chromium. Then, with pex (seconds per
build): a failed cell keeps what it said (the binary's output, the log) in every report,
and its scratch copy; without a failure the scratch copy goes, unless --keep.

Run by ctest: FREEZER_BIN names the freezer binary; needs the venv (scripts/setup.sh),
chromium and xmllint (both installed by scripts/setup.sh). tests/CMakeLists.txt runs
the tests named failed_cell and scratch_without_failures as ctest entries of their own.
"""
import hashlib
import html
import json
import os
import pathlib
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import jsonschema
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FREEZER = os.environ.get("FREEZER_BIN", str(ROOT / "build" / "bin" / "freezer"))
PYTHON = ROOT / ".venv" / "bin" / "python"
RUNS = 3

YAML = f"""\
version: 1
python: {PYTHON}
cache:                     # compare must neither restore from nor upload to it
  remote: {{url: "http://127.0.0.1:9/not-for-compare", retries: 0, timeout: 2s}}
sidecars:
  cli:
    root: cli
    module: greeter
    exclude_modules: [tkinter]
    smoke:
      run: ["--version"]
      expect_stdout: "^greeter \\\\d+\\\\.\\\\d+"
  cli-wrong:               # a smoke test no build passes
    root: cli
    module: greeter
    smoke:
      run: ["--version"]
      expect_stdout: "^this is not what it prints"
"""


def snapshot(tree: pathlib.Path) -> dict:
    """Every file and link under tree: content hash, mode, size and mtime."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(tree):
        for name in dirnames + filenames:
            p = pathlib.Path(dirpath) / name
            st = p.lstat()
            rel = str(p.relative_to(tree))
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            elif p.is_file():
                out[rel] = (hashlib.sha256(p.read_bytes()).hexdigest(), st.st_mode, st.st_size, st.st_mtime_ns)
            else:
                out[rel] = ("dir", st.st_mode)
    return out


def freezer(*args, cwd, tmpdir=None):
    """Runs freezer; `tmpdir` becomes its TMPDIR, where compare makes its scratch copy."""
    env = dict(os.environ, TMPDIR=str(tmpdir)) if tmpdir else None
    return subprocess.run([FREEZER, *args], cwd=cwd, capture_output=True, text=True, timeout=3600, env=env)


def validate(report):
    schema = json.loads((ROOT / "config" / "compare.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(report)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    if not PYTHON.exists():
        pytest.skip(f"{PYTHON} not found: run scripts/setup.sh")
    d = tmp_path_factory.mktemp("compare")
    shutil.copytree(ROOT / "examples" / "cli", d / "cli")
    (d / "freezer.yaml").write_text(YAML)
    # The user has built before: state, stage, logs, caches and dist/ exist.
    r = freezer("build", "cli", cwd=d)
    assert r.returncode == 0, r.stdout + r.stderr
    return d


@pytest.fixture(scope="module")
def compared(project, tmp_path_factory):
    before = snapshot(project)
    out = tmp_path_factory.mktemp("reports")
    scratch = out / "scratch"
    r = freezer("--json", "compare", "cli", "--backends", "pyinstaller,nuitka,pex-scie,no-such-packager",
                "--runs", str(RUNS), "--html", str(out / "report.html"), "--junit", str(out / "junit.xml"),
                "--scratch", str(scratch), cwd=project)
    after = snapshot(project)
    return {"run": r, "report": json.loads(r.stdout), "before": before, "after": after, "out": out,
            "scratch": scratch}


def rows(report):
    return {row["backend"]: row for row in report["results"]}


def test_every_backend_is_measured_and_the_missing_one_says_why(compared):
    assert compared["run"].returncode == 0, compared["run"].stderr
    by = rows(compared["report"])
    assert list(by) == ["pyinstaller", "nuitka", "pex-scie", "no-such-packager"]
    for b in ["pyinstaller", "nuitka", "pex-scie"]:
        assert by[b]["status"] == "ok", by[b]
        assert by[b]["smoke"]["passed"] is True
        assert by[b]["tool_version"]
        assert by[b]["build"]["cold"]["wall_ms"] > 0 and by[b]["build"]["change"]["wall_ms"] > 0
        assert by[b]["build"]["cold"]["peak_rss_kb"] > 0 and by[b]["build"]["cold"]["cpu_ms"] > 0
        assert by[b]["build"]["changed_file"] == "greeter/__main__.py"
    missing = by["no-such-packager"]
    assert missing["status"] == "missing"
    assert "no backend plugin named 'no-such-packager'" in missing["reason"]
    assert missing["artifact"] is None and missing["startup"] is None
    # Progress is on stderr; the user's remote cache is not used (cold builds are builds).
    assert "cli x nuitka: cold build" in compared["run"].stderr
    assert "remote cache" not in compared["run"].stderr


def test_run_counts_are_right(compared):
    for b, row in rows(compared["report"]).items():
        if row["status"] != "ok":
            continue
        assert len(row["startup"]["samples_ms"]) == RUNS, b
        assert len(row["build"]["no_change"]["samples_ms"]) == RUNS, b
        assert row["startup"]["first_ms"] > 0
        assert min(row["startup"]["samples_ms"]) <= row["startup"]["median_ms"] <= row["startup"]["p90_ms"]
        assert row["startup"]["p90_ms"] <= max(row["startup"]["samples_ms"])
    assert compared["report"]["runs"] == RUNS


def test_sizes_equal_the_files_on_disk(compared):
    for b, row in rows(compared["report"]).items():
        if row["status"] != "ok":
            continue
        dist = compared["scratch"] / f"cli@{b}" / "dist"
        exe = dist / row["artifact"]["path"]
        assert exe.is_file() and os.access(exe, os.X_OK), exe
        out_dir = dist / "cli"
        files = [p for p in out_dir.rglob("*") if p.is_file()]
        assert row["artifact"]["files"] == len(files), b
        assert row["artifact"]["size_bytes"] == sum(p.stat().st_size for p in files), b


def test_nuitka_reports_ccache(compared):
    change = rows(compared["report"])["nuitka"]["build"]["change"]
    assert "ccache_hits" in change["metrics"] and "ccache_misses" in change["metrics"]
    assert change["metrics"]["ccache_hits"] > 0  # the rebuild found the cold build's objects


def test_the_users_tree_and_caches_are_unchanged(compared, project):
    assert compared["before"] == compared["after"]
    assert (project / ".freezer" / "cache").is_dir() and (project / "dist" / "cli" / "cli").is_file()


def test_json_matches_its_schema(compared):
    validate(compared["report"])
    # --scratch keeps the copy, and the report says where; no row failed, so none has a log.
    assert compared["report"]["scratch"] == str(compared["scratch"])
    for row in compared["report"]["results"]:
        assert row["log"] is None and row["log_tail"] == [] and row["output_tail"] == [], row


def xmllint(xml: pathlib.Path):
    if not shutil.which("xmllint"):
        pytest.skip("xmllint not found: apt-get install libxml2-utils (scripts/setup.sh does)")
    return subprocess.run(["xmllint", "--noout", "--schema", str(ROOT / "tests" / "junit.xsd"), str(xml)],
                          capture_output=True, text=True)


def test_junit_is_valid_and_says_what_happened(compared):
    xml = compared["out"] / "junit.xml"
    v = xmllint(xml)
    assert v.returncode == 0, v.stderr
    cases = {c.get("name"): c for c in ET.parse(xml).getroot().iter("testcase")}
    assert set(cases) == {"cli:pyinstaller", "cli:nuitka", "cli:pex-scie", "cli:no-such-packager"}
    assert cases["cli:no-such-packager"].find("skipped") is not None
    assert cases["cli:nuitka"].find("failure") is None


def test_a_failing_smoke_test_is_a_failure(project, tmp_path):
    before = snapshot(project)
    (tmp_path / "tmp").mkdir()
    r = freezer("compare", "cli-wrong", "--backends", "pyinstaller", "--runs", "1", "--junit",
                str(tmp_path / "junit.xml"), "--markdown", cwd=project, tmpdir=tmp_path / "tmp")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "| cli-wrong | pyinstaller | **failed** |" in r.stdout
    assert "does not match /^this is not what it prints/" in r.stdout
    # What the binary printed, folded under the table; the failure kept the scratch copy.
    assert "<details><summary>cli-wrong x pyinstaller:" in r.stdout
    assert re.search(r"What the binary printed:\n\n```text\ngreeter [\d.]+\n```", r.stdout), r.stdout
    scratch = pathlib.Path(re.search(r"the scratch copy is kept in (\S+) ", r.stderr).group(1))
    assert scratch.parent == tmp_path / "tmp" and (scratch / "cli-wrong@pyinstaller" / "failure.log").is_file()
    v = xmllint(tmp_path / "junit.xml")
    assert v.returncode == 0, v.stderr
    failure = ET.parse(tmp_path / "junit.xml").getroot().find(".//testcase/failure")
    assert failure is not None and failure.get("type") == "smoke"
    assert "does not match" in failure.get("message")
    assert snapshot(project) == before
    # build --junit writes the same kind of report, checked by the same schema.
    b = freezer("build", "cli-wrong", "--junit", str(tmp_path / "build.xml"), cwd=project)
    assert b.returncode == 1
    assert xmllint(tmp_path / "build.xml").returncode == 0
    assert ET.parse(tmp_path / "build.xml").getroot().find(".//testcase/failure").get("type") == "smoke"


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("chromium not found: apt-get install chromium (scripts/setup.sh does)")


def test_html_renders_with_its_charts(compared, tmp_path):
    from PIL import Image

    html = compared["out"] / "report.html"
    text = html.read_text()
    assert "<script" not in text and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", "--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run([chromium(), *flags, "--dump-dom", html.as_uri()], capture_output=True, text=True,
                         timeout=120)
    assert dom.returncode == 0, dom.stderr
    # What the browser built from the page: three charts, a bar per measured figure.
    assert dom.stdout.count('<figure class="chart"') == 3
    bars = dom.stdout.count('class="bar"')
    assert bars == 3 * (1 + 3 + 3), bars  # 3 backends x (size + 3 start-up + 3 build figures)
    assert "no-such-packager" in dom.stdout and "missing: no backend plugin" in dom.stdout

    png = tmp_path / "report.png"
    shot = subprocess.run([chromium(), *flags, "--window-size=1200,1800", "--screenshot=" + str(png), html.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert png.exists(), shot.stderr
    shutil.copy(png, compared["out"] / "report.png")
    image = Image.open(png).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    counts = {rgb: n for n, rgb in colours}
    # Every series is on the screen (its legend at least), and the bars are real blocks
    # of colour: the size, first-run and cold-build bars span a good part of the chart.
    for hex_colour, least in (("4e79a7", 3000), ("f28e2b", 3000), ("e15759", 3000), ("59a14f", 100),
                              ("9c755f", 100), ("76b7b2", 100), ("af7aa1", 100)):
        rgb = tuple(int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))
        assert counts.get(rgb, 0) >= least, (hex_colour, counts.get(rgb, 0))


# A failed cell keeps what it said. pex builds in seconds; two sidecars fail in the two
# places a smoke test runs: `broken` in the cold build's (its binary says why on stderr
# and exits before the server is up, as in a user's report), `flaky` while start-up is
# timed (the second run on the same HOME finds what the first left).
FAILING_YAML = f"""\
version: 1
python: {PYTHON}
sidecars:
  broken:
    root: broken
    entry: main.py
    smoke:
      http: {{args: ["--port", "{{port}}"], path: /health}}
  flaky:
    root: flaky
    entry: main.py
    smoke:
      run: []
      expect_stdout: "^started"
"""
BROKEN = "broken sidecar: no database at /nonexistent/app.db"
FLAKY = "flaky sidecar: the lock file of a previous run is in the way"
FAILING_APPS = {
    "broken/main.py": f"""import sys\nprint({BROKEN!r}, file=sys.stderr)\nsys.exit(1)\n""",
    "flaky/main.py": f"""import pathlib, sys
lock = pathlib.Path.home() / "flaky.lock"
if lock.exists():
    print({FLAKY!r}, file=sys.stderr)
    sys.exit(1)
lock.write_text("1")
print("started")
""",
}
# Lines only the log has: the build's own, not the reason's or the binary's.
BROKEN_LOG = "freezer: smoke test (http) FAILED: it exited with 1 before answering GET"
FLAKY_LOG = "freezer compare: smoke run 2 of 3 (run) FAILED: 'flaky' exited with 1, expected 0"


def write_project(d, yaml, apps):
    for rel, text in apps.items():
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text(text)
    (d / "freezer.yaml").write_text(yaml)


@pytest.fixture(scope="module")
def failed(tmp_path_factory):
    """The same comparison twice, as a table and as JSON (with HTML and JUnit); each in a
    TMPDIR of its own, where it keeps its scratch copy."""
    if not PYTHON.exists():
        pytest.skip(f"{PYTHON} not found: run scripts/setup.sh")
    d = tmp_path_factory.mktemp("failing")
    write_project(d, FAILING_YAML, FAILING_APPS)
    out = {"dir": d}
    for kind, first in (("text", []), ("json", ["--json"])):
        tmp = tmp_path_factory.mktemp(f"tmp-{kind}")
        r = freezer(*first, "compare", "--backends", "pex-scie", "--runs", "2", "--html", str(d / f"{kind}.html"),
                    "--junit", str(d / f"{kind}.xml"), cwd=d, tmpdir=tmp)
        assert r.returncode == 1, r.stdout + r.stderr
        # Where the scratch copy is kept, and each failed cell's log in it: the last lines said.
        kept = re.search(r"^freezer compare: the scratch copy is kept in (\S+) for the failed cells' logs; "
                         r"delete it when done$", r.stderr, re.M)
        assert kept, r.stderr
        logs = dict(re.findall(r"^freezer compare: (\S+) x pex-scie failed; its log: (\S+)$", r.stderr, re.M))
        out[kind] = {"run": r, "tmp": tmp, "scratch": pathlib.Path(kept.group(1)),
                     "logs": {k: pathlib.Path(v) for k, v in logs.items()}}
    return out


def test_failed_cell_keeps_the_scratch_copy_with_its_log(failed):
    for kind in ("text", "json"):
        run = failed[kind]
        scratch = run["scratch"]
        assert scratch.is_dir() and scratch.parent == run["tmp"], scratch
        assert set(run["logs"]) == {"broken", "flaky"}, run["run"].stderr
        for sidecar, line, log_line in (("broken", BROKEN, BROKEN_LOG), ("flaky", FLAKY, FLAKY_LOG)):
            log = run["logs"][sidecar]
            assert log == scratch / f"{sidecar}@pex-scie" / "failure.log"
            text = log.read_text()
            assert line in text and log_line in text, text
        # The flaky log is of the build that made the binary, then what the binary said.
        flaky = run["logs"]["flaky"].read_text()
        assert "freezer: installed " in flaky and flaky.index("freezer: installed ") < flaky.index(FLAKY_LOG)


def test_failed_cell_text_says_what_the_binary_printed_and_where_the_log_is(failed):
    out = failed["text"]["run"].stdout
    logs = failed["text"]["logs"]
    # The reason in full (the end of it too), then the binary's line, the log's and the path.
    broken = out[out.index("  broken x pex-scie: failed: cold build: smoke test failed: it exited with 1 before "
                           "answering GET http://127.0.0.1:"):]
    assert broken.index("/health; the previous output was kept\n") < broken.index(
        "    what the binary printed (its last 1 line):\n    | " + BROKEN + "\n")
    assert broken.index(BROKEN) < broken.index("    | " + BROKEN_LOG) < broken.index(
        f"    full log: {logs['broken']}\n")
    flaky = out[out.index("  flaky x pex-scie: failed: smoke run 2 of 3: 'flaky' exited with 1, expected 0\n"):]
    assert flaky.index("    | " + FLAKY + "\n") < flaky.index("    | " + FLAKY_LOG) < flaky.index(
        f"    full log: {logs['flaky']}\n")
    assert f"  scratch copy kept in {failed['text']['scratch']}\n" in out


def test_failed_cell_json_keeps_the_output_and_the_log(failed):
    report = json.loads(failed["json"]["run"].stdout)
    validate(report)
    assert report["scratch"] == str(failed["json"]["scratch"])
    by = {row["sidecar"]: row for row in report["results"]}
    for sidecar, line, log_line in (("broken", BROKEN, BROKEN_LOG), ("flaky", FLAKY, FLAKY_LOG)):
        row = by[sidecar]
        assert row["status"] == "failed"
        assert row["output_tail"] == [line], row
        assert any(log_line in l for l in row["log_tail"]), row["log_tail"]
        assert row["log"] == str(failed["json"]["logs"][sidecar])
        # The log's tail is the end of that file.
        assert pathlib.Path(row["log"]).read_text().splitlines()[-len(row["log_tail"]):] == row["log_tail"]
    assert by["broken"]["reason"].endswith("/health; the previous output was kept")
    assert by["flaky"]["reason"] == "smoke run 2 of 3: 'flaky' exited with 1, expected 0"
    # JUnit carries both too, in one failure text per testcase.
    cases = ET.parse(failed["dir"] / "json.xml").getroot().iter("testcase")
    failures = {c.get("name"): c.find("failure") for c in cases}
    assert BROKEN in failures["broken:pex-scie"].text and BROKEN_LOG in failures["broken:pex-scie"].text
    assert FLAKY in failures["flaky:pex-scie"].text and FLAKY_LOG in failures["flaky:pex-scie"].text


def test_failed_cell_html_has_a_failures_section_the_charts_link_to(failed):
    report = json.loads(failed["json"]["run"].stdout)
    page = (failed["dir"] / "json.html").read_text()
    for row in report["results"]:
        anchor = f"failure-{row['sidecar']}-pex-scie"
        entry = re.search(rf'<div class="failure" id="{anchor}">(.*?)</div>', page, re.S)
        assert entry, anchor
        text = html.unescape(entry.group(1))
        assert row["reason"] in text  # in full
        for line in row["output_tail"] + row["log_tail"]:
            assert line in text, line
        assert row["log"] in text
    # A chart with no bars for a row says why and links to its entry: broken has neither
    # size nor start-up (its cold build and the bundle listing are there), flaky no
    # start-up. broken's long reason is cut short, whole on hover; flaky's fits.
    notes = re.findall(r'<a href="#(failure-[^"]+)"><text [^>]*class="missing">(?:<title>([^<]*)</title>)?([^<]*)'
                       r'</text></a>', page)
    assert sorted(n[0] for n in notes) == ["failure-broken-pex-scie"] * 2 + ["failure-flaky-pex-scie"], notes
    reasons = {f"failure-{r['sidecar']}-pex-scie": "failed: " + r["reason"] for r in report["results"]}
    cut = "\u2026 (in full under Failures)"
    for anchor, title, shown in notes:
        title, shown = html.unescape(title), html.unescape(shown)
        if anchor == "failure-broken-pex-scie":
            assert shown.endswith(cut) and len(shown) < len(reasons[anchor]), shown
            assert title == reasons[anchor] and title.startswith(shown[: -len(cut)])
        else:
            assert shown == reasons[anchor] and title == ""
    for row in report["results"]:  # the table's status links there too
        assert page.count(f'<a href="#failure-{row["sidecar"]}-pex-scie">failed</a>') == 1


@pytest.mark.parametrize("keep", [None, "--keep", "--keep-scratch"])
def test_scratch_without_failures_is_removed_unless_kept(keep, tmp_path):
    if not PYTHON.exists():
        pytest.skip(f"{PYTHON} not found: run scripts/setup.sh")
    write_project(tmp_path, FAILING_YAML, {**FAILING_APPS, "flaky/main.py": 'print("started")\n'})  # flaky passes
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    r = freezer("--json", "compare", "flaky", "--backends", "pex-scie", "--runs", "1", *([keep] if keep else []),
                cwd=tmp_path, tmpdir=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads(r.stdout)
    validate(report)
    assert [row["status"] for row in report["results"]] == ["ok"]
    made = re.search(r"^freezer compare: scratch copy in (\S+) ", r.stderr, re.M)
    assert made and pathlib.Path(made.group(1)).parent == tmp, r.stderr
    if keep is None:
        assert list(tmp.glob("freezer-compare-*")) == [] and report["scratch"] is None, r.stderr
        assert "the scratch copy is kept" not in r.stderr
    else:
        scratch = pathlib.Path(made.group(1))
        assert list(tmp.glob("freezer-compare-*")) == [scratch] and report["scratch"] == str(scratch)
        assert (scratch / "flaky@pex-scie" / "dist" / "flaky").is_dir()
        assert f"freezer compare: the scratch copy is kept in {scratch}\n" in r.stderr
