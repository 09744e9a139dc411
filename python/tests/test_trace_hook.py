"""core/engine/trace_hook.py: the script `freezer trace` runs as a sidecar's smoke-test binary."""
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

HOOK = Path(__file__).resolve().parents[2] / "core" / "engine" / "trace_hook.py"

MAIN = """\
import importlib, sys
import app.services
name = "upper"  # computed: no import statement names it
mod = importlib.import_module("app.services." + name)
print(mod.run("hi"), mod.CONFIG["greeting"], sys.argv[1:], flush=True)
try:
    import not_there_xyz
except ImportError:
    pass
"""


@pytest.fixture
def app(tmp_path):
    """A sidecar source root: main.py, and a package app.services whose `upper` plugin is
    imported by computed name and reads config.json next to it."""
    root = tmp_path / "src"
    (root / "app" / "services").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "services" / "__init__.py").write_text("")
    (root / "app" / "services" / "upper.py").write_text(
        "import json, os\n"
        "with open(os.path.join(os.path.dirname(__file__), 'config.json')) as f:\n"
        "    CONFIG = json.load(f)\n"
        "def run(s):\n"
        "    return s.upper()\n")
    (root / "app" / "services" / "config.json").write_text('{"greeting": "hello"}')
    (root / "main.py").write_text(MAIN)
    return root


@pytest.fixture
def hook(tmp_path):
    # freezer writes the script into a temp folder of its own, as here
    d = tmp_path / "hook"
    d.mkdir()
    return Path(shutil.copy(HOOK, d / "trace_hook.py"))


def command(hook, root, record, *entry, args=()):
    return [sys.executable, str(hook), "--record", str(record), "--root", str(root), *entry, "--", *args]


def trace(hook, root, record, *entry, args=()):
    return subprocess.run(command(hook, root, record, *entry, args=args), cwd=root,
                          capture_output=True, text=True, timeout=120)


def read(record):
    return [json.loads(line) for line in record.read_text().splitlines()]


def loaded(lines):
    """module name -> its origin line."""
    return {item["import"]: item for item in lines if "origin" in item}


def opened(lines):
    return {item["open"] for item in lines if "open" in item}


def test_computed_import_and_data_file(app, hook, tmp_path):
    record = tmp_path / "trace.jsonl"
    run = trace(hook, app, record, "--script", str(app / "main.py"), args=["a", "b"])
    assert run.returncode == 0, run.stderr
    assert run.stdout == "HI hello ['a', 'b']\n"
    lines = read(record)
    header = lines[0]
    assert header["trace"] == 1 and header["root"] == str(app) and header["mode"] == "run"
    assert header["executable"] == sys.executable and "sys" in header["builtin"]
    assert "json" in header["stdlib_names"] and "runpy" in header["preloaded"]
    mods = loaded(lines)
    real = os.path.realpath(app)
    for name in ("app", "app.services", "app.services.upper"):
        assert mods[name]["origin"] == "root"
    assert mods["app.services.upper"]["file"] == os.path.join(real, "app", "services", "upper.py")
    assert {"import": "app.services"} in lines  # the import statement, as soon as it ran
    assert os.path.join(real, "app", "services", "config.json") in opened(lines)
    assert not any(path.endswith((".py", ".pyc")) for path in opened(lines))  # module code
    # a failed optional import is asked for but never loaded; the hook's own modules never show
    assert {"import": "not_there_xyz"} in lines and "not_there_xyz" not in mods
    assert "runpy" not in mods and "__main__" not in mods
    assert len(lines) == len({json.dumps(item, sort_keys=True) for item in lines})  # each once


def test_exit_code_and_exception_pass_through(app, hook, tmp_path):
    (app / "main.py").write_text("import sys\nprint(sys.path[0])\nsys.exit(3)\n")
    run = trace(hook, app, tmp_path / "a.jsonl", "--script", str(app / "main.py"))
    assert run.returncode == 3 and run.stdout == f"{os.path.realpath(app)}\n"
    (app / "main.py").write_text("raise ValueError('boom')\n")
    run = trace(hook, app, tmp_path / "b.jsonl", "--script", str(app / "main.py"))
    assert run.returncode == 1
    assert run.stderr.startswith("Traceback") and run.stderr.endswith("ValueError: boom\n")
    assert "trace_hook" not in run.stderr and "runpy" not in run.stderr
    run = trace(hook, app, tmp_path / "c.jsonl")  # neither --script nor --module
    assert run.returncode == 2 and "usage" in run.stderr


def test_module_mode(app, hook, tmp_path):
    (app / "app" / "cli.py").write_text(
        "import sys\nimport app.services\nprint(__name__, sys.argv, sys.path[0])\n")
    record = tmp_path / "trace.jsonl"
    run = trace(hook, app, record, "--module", "app.cli", args=["--flag", "x"])
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"__main__ {[str(app / 'app' / 'cli.py'), '--flag', 'x']} {app}\n"
    mods = loaded(read(record))
    assert mods["app"]["origin"] == mods["app.services"]["origin"] == "root"


def start(hook, app, record):
    proc = subprocess.Popen(command(hook, app, record, "--script", str(app / "main.py")), cwd=app,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert "ready\n" in iter(proc.stdout.readline, "")
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc


def test_sigkill_keeps_what_was_seen(app, hook, tmp_path):
    (app / "main.py").write_text(
        MAIN + "print('ready', flush=True)\nimport time\ntime.sleep(60)\n")
    record = tmp_path / "trace.jsonl"
    proc = start(hook, app, record)
    proc.kill()
    assert proc.wait(timeout=30) == -signal.SIGKILL
    lines = read(record)
    assert loaded(lines)["app.services.upper"]["origin"] == "root"
    assert str(app / "app" / "services" / "config.json") in opened(lines)


def test_sigterm_with_and_without_the_apps_handler(app, hook, tmp_path):
    own = ("import signal, sys, time\n"
           "def stop(signum, frame):\n"
           "    print('bye', flush=True)\n"
           "    sys.exit(0)\n"
           "signal.signal(signal.SIGTERM, stop)\n"
           "import app.services\n"
           "print('ready', flush=True)\n"
           "time.sleep(60)\n")
    (app / "main.py").write_text(own)
    proc = start(hook, app, tmp_path / "own.jsonl")
    proc.terminate()
    assert proc.wait(timeout=30) == 0  # the app's handler ran, and its exit code passed through
    assert proc.stdout.read() == "bye\n"
    assert loaded(read(tmp_path / "own.jsonl"))["app.services"]["origin"] == "root"

    (app / "main.py").write_text(own.replace("signal.signal(signal.SIGTERM, stop)", "pass"))
    proc = start(hook, app, tmp_path / "default.jsonl")
    proc.terminate()
    assert proc.wait(timeout=30) == -signal.SIGTERM  # as without the hook
    assert loaded(read(tmp_path / "default.jsonl"))["app.services"]["origin"] == "root"


def test_static_finds_import_statements_only(app, hook, tmp_path):
    record = tmp_path / "trace.jsonl"
    run = trace(hook, app, record, "--static", "--script", str(app / "main.py"))
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""  # the app did not run
    lines = read(record)
    assert lines[0]["trace"] == 1 and lines[0]["mode"] == "static"
    static = {item["static"] for item in lines if "static" in item}
    assert {"app", "app.services", "importlib"} <= static
    assert "app.services.upper" not in static  # imported by computed name: only a run sees it
    missing = {item["static_missing"] for item in lines if "static_missing" in item}
    assert "not_there_xyz" in missing and not missing & static
    assert "os.path" not in missing  # set up at run time, but resolvable
    assert not any("import" in item or "open" in item for item in lines)


def test_write_opens_are_not_recorded(app, hook, tmp_path):
    (app / "main.py").write_text(
        "import os\n"
        "open('w.txt', 'w').close(); open('a.txt', 'a').close(); open('x.txt', 'xb').close()\n"
        "open('w.txt', 'r+').close(); open('w.txt', 'w+b').close()\n"
        "os.close(os.open('o.txt', os.O_WRONLY | os.O_CREAT))\n"
        "os.close(os.open('o.txt', os.O_RDWR))\n"
        "open('read.txt', 'w').close()\n"
        "open('read.txt').close()\n"
        "os.close(os.open('o.txt', os.O_RDONLY))\n"
        "open('missing.txt', 'a').close(); os.remove('missing.txt')\n"
        "try:\n    open('missing.txt')\nexcept FileNotFoundError:\n    pass\n"
        "os.listdir('.')\n")
    record = tmp_path / "trace.jsonl"
    run = trace(hook, app, record, "--script", str(app / "main.py"))
    assert run.returncode == 0, run.stderr
    real = os.path.realpath(app)
    assert opened(read(record)) == {os.path.join(real, "read.txt"), os.path.join(real, "o.txt")}
