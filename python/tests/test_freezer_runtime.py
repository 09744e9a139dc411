"""freezer_runtime outside any packager, and with each packager's markers in place."""
import os
import sys
import zipfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import freezer_runtime  # noqa: E402


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    for name in ("PEX", "SCIE", "SCIE_ARGV0"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    monkeypatch.setattr(freezer_runtime, "_recorded", freezer_runtime._UNSET)
    sys.modules.pop("_freezer_backend", None)
    yield
    sys.modules.pop("_freezer_backend", None)
    freezer_runtime.__dict__.pop("__compiled__", None)


def test_from_source():
    assert freezer_runtime.frozen_backend() is None
    assert not freezer_runtime.is_frozen()
    root = os.path.dirname(os.path.dirname(os.path.abspath(freezer_runtime.__file__)))
    assert freezer_runtime.resource_path("app/x.json") == os.path.join(root, "app/x.json")


def test_pyinstaller(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert freezer_runtime.frozen_backend() == "pyinstaller"
    assert freezer_runtime.resource_path("app/x.json") == os.path.join(str(tmp_path), "app/x.json")


def test_pyinstaller_needs_meipass(monkeypatch):
    # cx_Freeze sets sys.frozen too, without _MEIPASS: not PyInstaller.
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert freezer_runtime.frozen_backend() != "pyinstaller"


def test_nuitka():
    freezer_runtime.__dict__["__compiled__"] = object()
    assert freezer_runtime.frozen_backend() == "nuitka"
    assert freezer_runtime.is_frozen()


def test_scie(monkeypatch):
    monkeypatch.setenv("SCIE", "/opt/app/cli")
    monkeypatch.setenv("SCIE_ARGV0", "cli")
    monkeypatch.setenv("PEX", "/home/u/.cache/nce/x/cli.pex")
    assert freezer_runtime.frozen_backend() == "scie"


def test_pex_only_for_the_pex_itself(monkeypatch, tmp_path):
    pex = tmp_path / "cli.pex"
    pex.write_text("")
    monkeypatch.setenv("PEX", str(pex))
    monkeypatch.setattr(sys, "argv", [str(pex)])
    assert freezer_runtime.frozen_backend() == "pex"
    # A plain Python child that inherited PEX is not frozen.
    monkeypatch.setattr(sys, "argv", ["child.py"])
    monkeypatch.setenv("PEX_ROOT", str(tmp_path / "pex-root"))
    assert freezer_runtime.frozen_backend() is None


def test_pex_module_entry(monkeypatch, tmp_path):
    # With `-m`, argv[0] is the module inside pex's unpacked copy, under the pex root.
    monkeypatch.setenv("PEX", str(tmp_path / "cli.pex"))
    monkeypatch.setenv("PEX_ROOT", os.path.dirname(os.path.dirname(os.path.abspath(freezer_runtime.__file__))))
    monkeypatch.setattr(sys, "argv", ["/somewhere/unzipped_pexes/1/abc/app/__main__.py"])
    assert freezer_runtime.frozen_backend() == "pex"


def test_cosmofy(monkeypatch, tmp_path):
    exe = tmp_path / "app.com"
    with zipfile.ZipFile(exe, "w") as z:
        z.writestr(".args", "-m\napp\n")
    monkeypatch.setattr(sys, "executable", str(exe))
    assert freezer_runtime.frozen_backend() == "cosmofy"


def test_a_plugin_records_its_backend(monkeypatch, tmp_path):
    # What the SDK's frozen_marker step writes into a bundle.
    (tmp_path / "_freezer_backend.py").write_text('BACKEND = "cx_freeze"\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "frozen", True, raising=False)  # cx_Freeze sets it too
    assert freezer_runtime.frozen_backend() == "cx_freeze"
    assert freezer_runtime.is_frozen()
    root = os.path.dirname(os.path.dirname(os.path.abspath(freezer_runtime.__file__)))
    assert freezer_runtime.resource_path("app/x.json") == os.path.join(root, "app/x.json")


def test_another_packager_with_sys_frozen_is_frozen(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert freezer_runtime.frozen_backend() == "frozen"
    assert freezer_runtime.is_frozen()
