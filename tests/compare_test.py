"""`freezer compare` end to end, with real PyInstaller, Nuitka and pex from the venv.

Checks what the report claims against the disk (sizes, file counts, run counts), that
the user's project is byte-for-byte the same afterwards, the JSON against
config/compare.schema.json, the JUnit XML against tests/junit.xsd (xmllint), and that the
HTML page renders with its charts in headless Chromium.

Run by ctest: FREEZER_BIN names the freezer binary; needs the venv (scripts/setup.sh),
chromium and xmllint (both installed by scripts/setup.sh).
"""
import hashlib
import json
import os
import pathlib
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


def freezer(*args, cwd):
    return subprocess.run([FREEZER, *args], cwd=cwd, capture_output=True, text=True, timeout=3600)


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
    schema = json.loads((ROOT / "config" / "compare.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(compared["report"])


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
    r = freezer("compare", "cli-wrong", "--backends", "pyinstaller", "--runs", "1", "--junit",
                str(tmp_path / "junit.xml"), "--markdown", cwd=project)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "| cli-wrong | pyinstaller | **failed** |" in r.stdout
    assert "does not match /^this is not what it prints/" in r.stdout
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
