"""core/engine/bundle_contents.py on synthetic bundles, and on a real PyInstaller onefile."""
import importlib.util
import io
import json
import os
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "core", "engine", "bundle_contents.py")

_spec = importlib.util.spec_from_file_location("bundle_contents", SCRIPT)
bc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bc)


def run(*args):
    """The script's JSON output, run as the CLI."""
    proc = subprocess.run([sys.executable, SCRIPT, *map(str, args)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["format"] == 1
    names = [e["name"] for e in result["entries"]]
    assert names == sorted(names)
    return result


def by_name(result):
    return {e["name"]: e for e in result["entries"]}


def write(path, data=b"x" * 100):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def make_zip(members, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("path, module, package, kind", [
    ("numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so",
     "numpy.core._multiarray_umath", "numpy", "extension"),
    ("_internal/numpy.libs/libopenblas64_p-r0-0cf96a72.3.23.dev.so", None, "numpy", "extension"),
    ("_internal/numpy-2.1.0.dist-info/METADATA", None, "numpy", "data"),
    ("PyYAML-6.0.dist-info/RECORD", None, "pyyaml", "data"),
    ("app/services/__init__.py", "app.services", "app", "code"),
    ("app/services/__pycache__/upper.cpython-311.pyc", "app.services.upper", "app", "code"),
    ("lib/python3.11/site-packages/yaml/__init__.py", "yaml", "yaml", "code"),
    ("Lib/site-packages/click/core.pyc", "click.core", "click", "code"),
    ("Lib/json/decoder.pyc", "json.decoder", "json", "code"),
    ("lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", "_ssl", "_ssl", "extension"),
    ("_internal/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", "_ssl", "_ssl", "extension"),
    ("_ssl.so", "_ssl", "_ssl", "extension"),  # Nuitka standalone drops the ABI tag
    ("_tkinter.pyd", "_tkinter", "_tkinter", "extension"),
    (".deps/PyYAML-6.0-cp311-cp311-linux_x86_64.whl/yaml/_yaml.cpython-311-x86_64-linux-gnu.so",
     "yaml._yaml", "yaml", "extension"),
    ("_internal/libssl.so.3", None, "(libraries)", "library"),
    ("libz.so.1", None, "(libraries)", "library"),
    ("_internal/libpython3.11.so.1.0", None, "(runtime)", "runtime"),
    ("python311.dll", None, "(runtime)", "runtime"),
    ("tkinter/__init__.pyc", "tkinter", "tkinter", "code"),
    ("certifi/cacert.pem", None, "certifi", "data"),
    ("README.txt", None, "(other)", "data"),
])
def test_classify(path, module, package, kind):
    assert bc.classify(path) == (module, package, kind)


def test_classify_pex_runtime():
    assert bc.classify(".bootstrap/pex/pex.py", pex=True) == ("pex.pex", "(runtime)", "runtime")
    assert bc.classify("__main__.py", pex=True)[1:] == ("(runtime)", "runtime")
    assert bc.classify("PEX-INFO", pex=True) == (None, "(runtime)", "runtime")
    assert bc.classify("__main__.py") == ("__main__", "(other)", "code")


def test_folder(tmp_path):
    art = tmp_path / "dist"
    write(art / "app", b"\x7fELF" + b"\0" * 60)  # the executable (not a PyInstaller one)
    write(art / "_internal/numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so", b"\0" * 300)
    write(art / "_internal/numpy.libs/libopenblas-abc.so.0", b"\0" * 200)
    write(art / "_internal/libssl.so.3", b"\0" * 50)
    write(art / "_internal/libpython3.11.so.1.0", b"\0" * 70)
    write(art / "_internal/app/services/__init__.py", b"")
    write(art / "_internal/app/services.json", b"{}")
    base = make_zip({"encodings/__init__.pyc": b"c" * 500, "os.pyc": b"o" * 400}, zipfile.ZIP_STORED)
    write(art / "_internal/base_library.zip", base)
    os.symlink("libssl.so.3", art / "_internal/libssl.so")
    result = run(art)
    got = by_name(result)
    assert got["app"]["package"] == "(runtime)"
    ext = got["_internal/numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"]
    assert (ext["module"], ext["package"], ext["kind"], ext["bytes"]) == \
        ("numpy.core._multiarray_umath", "numpy", "extension", 300)
    assert got["_internal/numpy.libs/libopenblas-abc.so.0"]["package"] == "numpy"
    assert got["_internal/libssl.so.3"]["package"] == "(libraries)"
    assert got["_internal/libpython3.11.so.1.0"]["package"] == "(runtime)"
    assert got["_internal/app/services/__init__.py"]["module"] == "app.services"
    assert got["_internal/app/services.json"]["package"] == "app"
    # The zip is expanded: its members, then its own headers; together its file size.
    enc = got["_internal/base_library.zip/encodings/__init__.pyc"]
    assert (enc["module"], enc["package"], enc["bytes"]) == ("encodings", "encodings", 500)
    assert "_internal/base_library.zip" not in got
    zipped = [e for n, e in got.items() if n.startswith("_internal/base_library.zip")]
    assert sum(e["bytes"] for e in zipped) == len(base)
    assert "_internal/libssl.so" not in got
    assert any("symbolic links" in n for n in result["notes"])
    files = [p for p in art.rglob("*") if p.is_file() and not p.is_symlink()]
    assert sum(e["bytes"] for e in result["entries"]) == sum(p.stat().st_size for p in files)


def test_zip_with_prefix(tmp_path):
    """A .pex: a shebang, then a zip whose offsets are relative to the zip."""
    prefix = b"#!/usr/bin/env python3.11\n"
    body = make_zip({"__main__.py": b"import sys\n" * 50, "PEX-INFO": b"{}",
                     ".bootstrap/pex/pex.py": b"pass\n" * 100,
                     "whoami/__init__.py": b"", "whoami/message.json": b'{"m": 1}' * 40})
    art = write(tmp_path / "app.pex", prefix + body)
    result = run(art)
    got = by_name(result)
    assert got["app.pex (prefix)"]["bytes"] == len(prefix)
    assert got["app.pex (prefix)"]["package"] == "(runtime)"
    assert got[".bootstrap/pex/pex.py"]["package"] == "(runtime)"
    assert got["__main__.py"]["package"] == "(runtime)"
    msg = got["whoami/message.json"]
    assert (msg["package"], msg["kind"], msg["size"]) == ("whoami", "data", 320)
    assert msg["bytes"] < msg["size"]  # compressed length as stored
    assert got["whoami/__init__.py"]["module"] == "whoami"
    assert sum(e["bytes"] for e in result["entries"]) == len(prefix) + len(body)


def test_zip_appended_to_executable(tmp_path):
    """A cosmofy-style APE: an executable with a zip appended in place (absolute offsets)."""
    art = write(tmp_path / "tool", b"MZqFpD='\n" + b"\0" * 4000)
    with zipfile.ZipFile(art, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("Lib/json/__init__.pyc", b"j" * 700)
        z.writestr("Lib/site-packages/click/core.pyc", b"c" * 900)
        z.writestr(".args", b"-m\ngreeter\n")
    result = run(art)
    got = by_name(result)
    assert got["tool (prefix)"]["bytes"] == 4009
    assert got["Lib/json/__init__.pyc"]["module"] == "json"
    assert got["Lib/site-packages/click/core.pyc"]["package"] == "click"
    assert sum(e["bytes"] for e in result["entries"]) == art.stat().st_size


REPORT = """<?xml version='1.0' encoding='utf8'?>
<nuitka-compilation-report nuitka_version="4.3.3" mode="{mode}" completion="yes">
  <module name="__main__" kind="PythonMainModule" usage="root_module">
    <c-compilation-resources><c-cache tech="none" /><object-file size="1000" /></c-compilation-resources>
  </module>
  <module name="app.core" kind="CompiledPythonModule" usage="import">
    <c-compilation-resources><object-file size="3000" /></c-compilation-resources>
  </module>
  <module name="json" kind="UncompiledPythonPackage" usage="import" />
  <module name="_ssl" kind="PythonExtensionModule" usage="import" />
  <module name="_lzma" kind="PythonExtensionModule" usage="import" />
  <data_file name="app/message.json" source="x" size="49" reason="r" tags="user" />
  <included_extension name="_ssl.so" dest_path="_ssl.so" source_path="{ext}" package="" ignored="no" />
  <included_dll name="libssl.so.3" dest_path="libssl.so.3" source_path="{dll}" package="" ignored="no" />
  <data_composer blob_size="600" total="3">
    <module_data filename="__bytecode.const" blob_name=".bytecode" blob_size="500" input_size="900" />
  </data_composer>
  <python_binary filename="app.bin" size="20000" />
  {onefile}
</nuitka-compilation-report>
"""


def nuitka_report(tmp_path, onefile):
    ext = write(tmp_path / "src/_ssl.cpython-311-x86_64-linux-gnu.so", b"\0" * 200)
    dll = write(tmp_path / "src/libssl.so.3", b"\0" * 300)
    report = tmp_path / "report.xml"
    report.write_text(REPORT.format(mode="onefile" if onefile else "standalone", ext=ext, dll=dll,
                                    onefile='<onefile_binary filename="app" size="9000" />' if onefile else ""))
    return report


def test_nuitka_onefile(tmp_path):
    report = nuitka_report(tmp_path, onefile=True)
    art = write(tmp_path / "out/app", b"\0" * 9000)
    result = run(art, "--report", report)
    got = by_name(result)
    assert (got["app.core"]["module"], got["app.core"]["package"], got["app.core"]["kind"],
            got["app.core"]["bytes"]) == ("app.core", "app", "code", 3000)
    assert got["__main__"]["bytes"] == 1000
    assert got["json"]["bytes"] == 0 and got["json"]["kind"] == "code"
    assert got["__bytecode.const"]["bytes"] == 500
    assert (got["_ssl.so"]["module"], got["_ssl.so"]["kind"], got["_ssl.so"]["bytes"]) == ("_ssl", "extension", 200)
    assert (got["libssl.so.3"]["package"], got["libssl.so.3"]["bytes"]) == ("(libraries)", 300)
    assert got["_lzma"]["kind"] == "extension"  # only in <module>: listed with 0 bytes
    assert got["app/message.json"]["package"] == "app"
    assert "_ssl" not in got  # the <module> is the included_extension entry, not a second one
    attributed = 1000 + 3000 + 500 + 200 + 300 + 49
    assert got["app (rest)"]["bytes"] == 9000 - attributed
    assert sum(e["bytes"] for e in result["entries"]) == 9000
    assert any("object-file" in n for n in result["notes"])
    assert any("before compression" in n for n in result["notes"])
    # The folder holding the onefile gives the same entries.
    assert run(tmp_path / "out", "--report", report)["entries"] == result["entries"]


def test_nuitka_standalone_folder(tmp_path):
    report = nuitka_report(tmp_path, onefile=False)
    dist = tmp_path / "app.dist"
    write(dist / "app.bin", b"\x7fELF" + b"\0" * 19996)
    write(dist / "_ssl.so", b"\0" * 210)
    write(dist / "libssl.so.3", b"\0" * 300)
    write(dist / "app/message.json", b"{}")
    result = run(dist, "--report", report)
    got = by_name(result)
    assert got["app.core"]["bytes"] == 3000
    assert got["_ssl.so"]["bytes"] == 210  # the file in the folder, not the report's source
    assert got["app.bin (rest)"]["bytes"] == 20000 - 1000 - 3000 - 500
    assert "app.bin" not in got
    assert sum(e["bytes"] for e in result["entries"]) == 20000 + 210 + 300 + 2
    assert not any("before compression" in n for n in result["notes"])


def test_opaque_file(tmp_path):
    art = write(tmp_path / "blob", os.urandom(1000))
    result = run(art)
    assert result["entries"] == [{"name": "blob", "module": None, "package": "(other)", "kind": "data",
                                  "bytes": 1000, "size": 1000}]
    assert result["notes"]


def test_pyinstaller_cookie_without_pyinstaller(tmp_path, monkeypatch, capsys):
    art = write(tmp_path / "app", b"\x7fELF" + b"\0" * 500 + bc.PYI_MAGIC + b"\0" * 88)
    monkeypatch.setitem(sys.modules, "PyInstaller.archive.readers", None)  # import fails
    assert bc.main([str(art)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [e["package"] for e in result["entries"]] == ["(other)"]
    assert any("PyInstaller is not importable" in n for n in result["notes"])


def test_missing_artifact(tmp_path):
    proc = subprocess.run([sys.executable, SCRIPT, str(tmp_path / "nope")], capture_output=True, text=True)
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "nope" in proc.stderr


def test_real_pyinstaller_onefile():
    art = os.path.join(ROOT, "examples", "dist", "whoami-pyinstaller", "whoami-pyinstaller")
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("PyInstaller is not importable from " + sys.executable)
    if not os.path.isfile(art):
        pytest.skip(art + " not built (freezer -C examples build whoami-pyinstaller)")
    result = run(art)
    modules = {e["module"] for e in result["entries"]}
    packages = {e["package"] for e in result["entries"]}
    assert "whoami" in modules and "encodings" in modules
    assert "(runtime)" in packages
    got = by_name(result)
    assert got["whoami/message.json"]["package"] == "whoami"
    assert sum(e["bytes"] for e in result["entries"]) == os.path.getsize(art)
