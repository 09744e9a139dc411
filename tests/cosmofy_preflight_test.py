"""The cosmofy preflight (backends/cosmofy/preflight.py), run as the plugin runs it.

The script reads a stage folder and the distributions installed for the interpreter
that runs it. Most cases build what they need: a stage in a scratch folder, and fake
installed distributions (a .dist-info with METADATA and RECORD) in a folder put on
PYTHONPATH, so they run anywhere. The last ones use the real pydantic, whose C
extension lives in its dependency pydantic_core, from the apps' venv (.venv-apps,
made by scripts/setup.sh, or FREEZER_APPS_PYTHON); without it they are skipped, saying
why.
"""
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "backends" / "cosmofy" / "preflight.py"
APPS_PYTHON = os.environ.get("FREEZER_APPS_PYTHON", str(ROOT / ".venv-apps" / "bin" / "python"))
NO_AFFINITY = "os.sched_getaffinity() does not exist in Cosmopolitan Python"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def preflight(stage, strict=False, python=sys.executable, path=()):
    """(exit status, output lines) of the preflight on `stage`; `path`: folders
    put first on the interpreter's module path (fake installed distributions)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if path:
        env["PYTHONPATH"] = os.pathsep.join(map(str, path))
    proc = subprocess.run([python, str(SCRIPT), str(stage), "1" if strict else "0"], env=env, cwd=stage,
                          capture_output=True, text=True, timeout=120)
    assert proc.stderr == "", proc.stderr  # nothing but findings and notes, on stdout
    return proc.returncode, proc.stdout.splitlines()


def findings(lines):
    return [line[len("::freezer-warning::"):] for line in lines if line.startswith("::freezer-warning::")]


def fake_distribution(site, name, requires=(), files=()):
    """An installed distribution as importlib.metadata sees it: `files` maps paths
    (relative to site) to their text; each is written and listed in RECORD."""
    info = site / f"{name}-1.0.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    write(info / "METADATA", metadata)
    for rel, text in dict(files).items():
        write(site / rel, text)
    record = [f"{rel},," for rel in dict(files)] + [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    write(info / "RECORD", "\n".join(record) + "\n")


# The sidecar's own code --------------------------------------------------------------


def test_docstring_comment_and_string_are_not_uses_a_real_call_is(tmp_path):
    write(tmp_path / "main.py", '''\
        """Prints len(os.sched_getaffinity(0)), the CPUs this process may use."""
        import os

        # os.sched_getaffinity(0) is missing in Cosmopolitan Python
        HELP = "uses os.sched_getaffinity(0) where it exists"
        LATER = f"{HELP}: sched_getaffinity"
    ''')
    status, lines = preflight(tmp_path)
    assert (status, lines) == (0, [])

    # The same file with a real call, on line 7.
    with open(tmp_path / "main.py", "a") as f:
        f.write("print(len(os.sched_getaffinity(0)))\n")
    status, lines = preflight(tmp_path)
    assert status == 0
    assert [f.split(":")[:2] for f in findings(lines)] == [["main.py", "7"]]
    assert findings(lines)[0].startswith("main.py:7: " + NO_AFFINITY) and "os.cpu_count()" in lines[0]


def test_guarded_uses_are_not_reported_unguarded_ones_are(tmp_path):
    write(tmp_path / "pkg" / "cpus.py", '''\
        import os
        from os import path

        N1 = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        if hasattr(os, "sched_getaffinity"):
            N2 = len(os.sched_getaffinity(0))
        N3 = hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0))
        try:
            N4 = len(os.sched_getaffinity(0))
        except (ValueError, AttributeError):
            N4 = os.cpu_count()
        if not hasattr(os, "sched_getaffinity"):
            from os import cpu_count
        else:
            def cpu_count():
                return len(os.sched_getaffinity(0))

        def early():
            if not hasattr(os, "sched_getaffinity"):
                return os.cpu_count()
            return len(os.sched_getaffinity(0))

        # Not guarded: the wrong branch, the wrong exception, no guard at all.
        if hasattr(os, "sched_getaffinity"):
            pass
        else:
            N5 = os.sched_getaffinity(0)
        try:
            N6 = os.sched_getaffinity(0)
        except ValueError:
            pass
        N7 = (os.sched_getaffinity(0)
              if os.name == "posix" else None)
    ''')
    status, lines = preflight(tmp_path, strict=True)
    assert status == 1
    errors = [line for line in lines if line.startswith("error: ")]
    assert [e.split(":")[1:3] for e in errors] == [[" pkg/cpus.py", "27"], [" pkg/cpus.py", "29"],
                                                   [" pkg/cpus.py", "32"]]


def test_from_os_import_is_a_use_and_so_are_its_calls(tmp_path):
    write(tmp_path / "main.py", '''\
        try:
            from os import sched_getaffinity as guarded
        except ImportError:
            guarded = None
        from os import sched_getaffinity as affinity

        print(len(affinity(0)))
    ''')
    status, lines = preflight(tmp_path)
    assert [f.split(":")[:2] for f in findings(lines)] == [["main.py", "5"], ["main.py", "7"]]


def test_strict_prints_errors_and_a_count_and_fails(tmp_path):
    write(tmp_path / "main.py", "import os\nprint(os.sched_getaffinity(0))\n")
    write(tmp_path / "native" / "_speedups.cpython-311-x86_64-linux-gnu.so", "")
    status, lines = preflight(tmp_path, strict=True)
    assert status == 1
    assert lines[0].startswith("error: main.py:2: " + NO_AFFINITY)
    assert lines[1] == ("error: native/_speedups.cpython-311-x86_64-linux-gnu.so: a C extension; "
                        "cosmofy bundles pure Python only")
    assert lines[2].startswith("cosmofy preflight: 2 errors (strict: true)")
    assert len(lines) == 3 and not findings(lines)

    status, lines = preflight(tmp_path, strict=False)
    assert status == 0 and len(findings(lines)) == 2 and len(lines) == 2


def test_a_file_that_does_not_parse_is_a_note_not_a_crash(tmp_path):
    write(tmp_path / "broken.py", "def broken(:\n    os.sched_getaffinity(0)\n")
    (tmp_path / "nul.py").write_bytes(b"x = 1\0\n")
    write(tmp_path / "main.py", "import os\nprint(os.cpu_count())\n")
    status, lines = preflight(tmp_path, strict=True)
    assert status == 0
    assert sorted(line.split(":")[:2] for line in lines) == [["note", " broken.py"], ["note", " nul.py"]]
    assert "not checked" in lines[0]


# Installed distributions, faked -------------------------------------------------------


@pytest.fixture
def site(tmp_path):
    """A folder of fake installed distributions: top requires middle (which calls
    os.sched_getaffinity), middle requires native (a C extension); top's extra
    `fancy` wants onlyextra, a marker that never applies wants otheros; unrelated is
    installed and required by nobody. All but top and middle carry a C extension."""
    site = tmp_path / "site"

    def native(name):
        return {f"{name}/__init__.py": "", f"{name}/_ext.cpython-311-x86_64-linux-gnu.so": ""}

    fake_distribution(site, "top", ['middle>=1', 'onlyextra; extra == "fancy"',
                                    'otheros; sys_platform == "no-such-platform"'],
                      {"top/__init__.py": '"""Does not call os.sched_getaffinity(0)."""\n'})
    fake_distribution(site, "middle", ["native"],
                      {"middle/__init__.py": "import os\n\nCPUS = len(os.sched_getaffinity(0))\n"})
    for name in ("native", "onlyextra", "otheros", "unrelated"):
        fake_distribution(site, name, files=native(name))
    return site


def project(stage, *dependencies):
    deps = ", ".join(f'"{d}"' for d in dependencies)
    write(stage / "pyproject.toml", f'[project]\nname = "app"\nversion = "0.1.0"\ndependencies = [{deps}]\n')


def test_dependencies_are_followed_through_what_they_require(tmp_path, site):
    stage = tmp_path / "stage"
    write(stage / "main.py", "print('hello')\n")
    project(stage, "top")
    status, lines = preflight(stage, path=[site])
    assert status == 0
    assert findings(lines) == [
        f"dependency middle (required by top): middle/__init__.py:3: {NO_AFFINITY}; use "
        "len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()",
        "dependency native (required by middle): has C extensions (native/_ext.cpython-311-x86_64-linux-gnu.so); "
        "cosmofy bundles pure Python only",
    ]  # not onlyextra (an extra not asked for), otheros (its marker), unrelated (not needed)

    # Asking for the extra brings its requirement in.
    project(stage, "top[fancy]")
    status, lines = preflight(stage, path=[site])
    assert any(f.startswith("dependency onlyextra (required by top): has C extensions") for f in findings(lines))


def test_without_packaging_extras_only_requirements_are_still_left_out(tmp_path, site):
    hidden = tmp_path / "hidden"
    write(hidden / "packaging" / "__init__.py", "raise ImportError('packaging hidden for this test')\n")
    stage = tmp_path / "stage"
    write(stage / "main.py", "print('hello')\n")
    project(stage, "top")
    status, lines = preflight(stage, path=[hidden, site])
    names = [f.split(" ")[1] for f in findings(lines)]
    assert "middle" in names and "native" in names
    assert "onlyextra" not in names and "unrelated" not in names

    project(stage, "top[fancy]")
    status, lines = preflight(stage, path=[hidden, site])
    assert "onlyextra" in [f.split(" ")[1] for f in findings(lines)]


def test_what_the_sources_import_is_checked_too(tmp_path, site):
    stage = tmp_path / "stage"
    write(stage / "app" / "main.py", "import json\nimport helpers\nfrom native import _ext\n")
    write(stage / "app" / "helpers.py", "try:\n    import unrelated\nexcept ImportError:\n    unrelated = None\n")
    project(stage)  # no dependencies named
    status, lines = preflight(stage, path=[site])
    assert findings(lines) == [
        "dependency native (imported by app/main.py:3): has C extensions "
        "(native/_ext.cpython-311-x86_64-linux-gnu.so); cosmofy bundles pure Python only"
    ]  # an optional import (try/except ImportError) copes without it: not unrelated


# Installed distributions, real: pydantic and its C extension, pydantic_core -----------


def apps_python_with_pydantic():
    """The apps' interpreter, or skip saying why there is none."""
    if not os.access(APPS_PYTHON, os.X_OK):
        pytest.skip(f"{APPS_PYTHON} not found: run scripts/setup.sh (or set FREEZER_APPS_PYTHON)")
    probe = subprocess.run([APPS_PYTHON, "-c", "import importlib.metadata as m; m.distribution('pydantic'); "
                            "m.distribution('pydantic_core')"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"{APPS_PYTHON} has no pydantic and pydantic_core installed: run scripts/setup.sh")
    return APPS_PYTHON


def pydantic_core_finding(lines):
    return [f for f in findings(lines)
            if f.startswith("dependency pydantic_core (required by pydantic): has C extensions (pydantic_core/")]


def test_pydantic_in_pyproject_brings_its_c_extension(tmp_path):
    python = apps_python_with_pydantic()
    write(tmp_path / "main.py", "print('hello')\n")
    project(tmp_path, "pydantic>=2")
    status, lines = preflight(tmp_path, python=python)
    assert status == 0
    assert len(pydantic_core_finding(lines)) == 1, lines
    # Installed there, needed by nobody here: freezer's tools and numpy are not reported.
    named = {f.split(" ")[1] for f in findings(lines)}
    assert not named & {"cosmofy", "pex", "numpy", "Nuitka", "pyinstaller", "zstandard"}, lines


def test_import_pydantic_without_dependencies_finds_it_too(tmp_path):
    python = apps_python_with_pydantic()
    write(tmp_path / "main.py", "import pydantic\n\nprint(pydantic.VERSION)\n")
    project(tmp_path)
    status, lines = preflight(tmp_path, python=python)
    assert status == 0
    assert len(pydantic_core_finding(lines)) == 1, lines


# The script cosmofy bundles (backends/cosmofy/script_metadata.py): cosmofy runs
# `uv sync --script` on it, which reads its PEP 723 block and not pyproject.toml.
METADATA = ROOT / "backends" / "cosmofy" / "script_metadata.py"
UV = ROOT / ".venv" / "bin" / "uv"


def script_for(tmp_path, source_text, pyproject_text):
    write(tmp_path / "pyproject.toml", pyproject_text)
    source = write(tmp_path / "main.py", source_text)
    out = tmp_path / "app.py"
    proc = subprocess.run([sys.executable, str(METADATA), str(tmp_path / "pyproject.toml"), str(source), str(out)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return out.read_text()


def test_the_script_gets_pyprojects_dependencies_and_uv_accepts_it(tmp_path):
    text = script_for(tmp_path, "#!/usr/bin/env python3\nprint('hi')\n",
                      '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.10"\ndependencies = []\n')
    assert text.splitlines()[:5] == ["#!/usr/bin/env python3", "# /// script", '# requires-python = ">=3.10"',
                                     "# dependencies = []", "# ///"]
    assert text.endswith("print('hi')\n")
    if not UV.exists():
        pytest.skip(f"{UV} not found (scripts/setup.sh installs uv): the metadata was checked, not uv's reading of it")
    # What cosmofy runs, with nothing to download: the metadata block is what uv needs.
    env = dict(os.environ, UV_CACHE_DIR=str(tmp_path / "uv-cache"), UV_NO_CONFIG="1", UV_OFFLINE="1")
    proc = subprocess.run([str(UV), "sync", "--script", str(tmp_path / "app.py"), "--python", sys.executable,
                           "--no-editable", "--exact", "--output-format", "json"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "PEP 723" not in proc.stderr


def test_dependencies_are_written_as_toml_strings_and_an_own_block_is_kept(tmp_path):
    text = script_for(tmp_path, "import httpx\n",
                      '[project]\nname = "app"\nversion = "0.1.0"\ndependencies = ["httpx>=0.27", "rich[jupyter]; python_version >= \\"3.9\\""]\n')
    assert '# dependencies = ["httpx>=0.27", "rich[jupyter]; python_version >= \\"3.9\\""]' in text
    own = "# /// script\n# dependencies = [\"click\"]\n# ///\nimport click\n"
    assert script_for(tmp_path, own, '[project]\nname = "app"\nversion = "0.1.0"\ndependencies = ["x"]\n') == own
