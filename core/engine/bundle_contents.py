#!/usr/bin/env python3
"""List what a frozen Python artifact holds, and how many bytes each part takes.

Usage: python bundle_contents.py ARTIFACT [--report NUITKA_REPORT_XML]

ARTIFACT is the built output: a file (PyInstaller onefile, .pex, cosmofy APE, Nuitka
onefile) or a folder (PyInstaller onedir, Nuitka standalone, or a folder holding a
onefile executable). The format is detected from the content, not from the backend.
Prints one JSON object to stdout:

    {"format": 1,
     "entries": [{"name": str, "module": str | null, "package": str,
                  "kind": str, "bytes": int, "size": int}, ...],
     "notes": [str, ...]}

name     the entry's '/'-separated path inside the bundle; for PyInstaller PYZ modules
         and Nuitka compiled modules, the dotted module name. Entries of a zip inside
         the bundle are named "<zip path>/<member>".
module   the dotted module name the entry provides (Python code or extension), else null.
package  the top-level package it belongs to ("numpy" also for numpy.libs/ and
         numpy-2.1.dist-info/), stdlib modules by their own top-level name,
         "(runtime)" for bootloaders, executables, libpython and packager bootstrap
         code, "(libraries)" for shared libraries at the top of the bundle, and
         "(other)" for anything else (including the app's entry script).
kind     "code", "extension" (extension modules, and shared libraries inside a
         package), "library" (shared libraries outside packages), "data" or "runtime".
bytes    bytes the entry takes in the artifact as stored (compressed length in an
         archive); size is the uncompressed size.

For a single-file artifact, bytes add up to the file's size: what no member claims is a
remainder entry named "<file> (bootloader)" (PyInstaller: bootloader and archive tables),
"<file> (prefix)" (bytes before a zip: shebang, APE loader), "<file> (zip headers)" or
"<file> (rest)" (Nuitka: the binary minus what its report attributes; Nuitka onefile sizes
are uncompressed, so they may exceed the file). Entries are sorted by name.

Python 3.11 standard library only; PyInstaller is imported, when present, to read its
archives (without it a PyInstaller executable is listed as one opaque entry).
"""

import argparse
import io
import json
import os
import re
import sys
import xml.etree.ElementTree as ET
import zipfile

PYI_MAGIC = b"MEI\x0c\x0b\x0a\x0b\x0e"
RUNTIME, LIBRARIES, OTHER = "(runtime)", "(libraries)", "(other)"
EXE_MAGICS = (b"\x7fELF", b"MZ", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe")

# Layout folders that are not part of an import path, stripped from the front repeatedly.
_LAYOUT = re.compile(r"^(?:_internal/|lib/python3\.\d+/|python3\.\d+/|Lib/|lib-dynload/"
                     r"|site-packages/|\.deps/[^/]+\.whl/)")
_IDENT = re.compile(r"^[A-Za-z_]\w*$")
_EXT_TAGGED = re.compile(r"^([A-Za-z_]\w*)\.(?:cpython-[^.]+|abi3|cp\d+[^.]*|pypy[^.]*)\.(?:so|pyd)$")
_SHARED_LIB = re.compile(r"\.(?:so(?:\.[\w.]+)?|dll|dylib)$", re.I)
_PYTHON_RUNTIME = re.compile(r"^(?:lib)?python\d*(?:\.\d+)*[dmt]?(?:\.(?:so|dll|dylib|exe)[.\d]*)?$", re.I)
_PYI_RUNTIME = re.compile(r"^(?:pyimod\d\d_\w+|pyiboot\d\d_\w+|pyi_rth_\w+)$")


def entry(name, nbytes, size, module=None, package=OTHER, kind="data"):
    return {"name": name, "module": module, "package": package, "kind": kind,
            "bytes": int(nbytes), "size": int(size)}


def strip_layout(path):
    while (stripped := _LAYOUT.sub("", path, count=1)) != path:
        path = stripped
    return path


def package_of(component):
    """Top-level package for a path's first folder: numpy.libs, numpy-2.1.dist-info -> numpy."""
    for suffix in (".dist-info", ".egg-info"):
        if component.endswith(suffix):
            return component[: -len(suffix)].split("-")[0].lower()  # dist-info names use _ for -
    if component.endswith(".libs"):
        component = component[:-5]
    return component.lstrip(".") or component


def top_of(module):
    return OTHER if module == "__main__" else module.split(".")[0]


def code_module(parts):
    """Dotted module name for a .py/.pyc path split into components, or None."""
    parts = [p for p in parts if p != "__pycache__"]
    stem = parts[-1].rsplit(".", 1)[0].split(".")[0]  # x.cpython-311.pyc -> x
    names = parts[:-1] + ([] if stem == "__init__" else [stem])
    return ".".join(names) if names and all(_IDENT.match(n) for n in names) else None


def classify(path, executable=False, pex=False):
    """(module, package, kind) for a '/'-separated path inside a bundle."""
    first, base = path.split("/")[0], path.rsplit("/", 1)[-1]
    if _PYI_RUNTIME.match(base) or (pex and (first in (".bootstrap", "__pex__", "PEX-INFO")
                                              or path == "__main__.py")):
        parts = path.split("/")[1 if first == ".bootstrap" else 0:]  # .bootstrap/pex/... -> pex.*
        module = code_module(parts) if base.endswith((".py", ".pyc")) else None
        return module, RUNTIME, "runtime"
    rel = strip_layout(path)
    parts = rel.split("/")
    top = package_of(parts[0]) if len(parts) > 1 else None
    if _PYTHON_RUNTIME.match(base) or (executable and "/" not in rel and not _SHARED_LIB.search(base)):
        return None, RUNTIME, "runtime"
    tagged = _EXT_TAGGED.match(base)
    plain = re.match(r"^([A-Za-z_]\w*)\.(?:so|pyd)$", base)
    if tagged or (plain and (base.endswith(".pyd") or not base.startswith("lib"))):
        names = parts[:-1] + [(tagged or plain).group(1)]
        if all(_IDENT.match(n) for n in names):
            return ".".join(names), names[0], "extension"
    if _SHARED_LIB.search(base):
        return (None, top, "extension") if top else (None, LIBRARIES, "library")
    if base.endswith((".py", ".pyc", ".pyo")):
        module = code_module(parts)
        if module:
            return module, top_of(module), "code"
    return None, top or OTHER, "data"


def classified(name, nbytes, size, path=None, **flags):
    module, package, kind = classify(path if path is not None else name, **flags)
    return entry(name, nbytes, size, module, package, kind)


def scale(entries, stored):
    """Share `stored` bytes among entries in proportion to their bytes (a compressed zip)."""
    total = sum(e["bytes"] for e in entries)
    if total in (0, stored):
        return
    for e in entries:
        e["bytes"] = e["bytes"] * stored // total
    entries[-1]["bytes"] += stored - sum(e["bytes"] for e in entries)


def has_pyinstaller_cookie(path):
    """The CArchive cookie ends the archive; a signature may follow (macOS: ~size/128)."""
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        f.seek(max(0, size - max(1 << 18, size // 32)))
        return PYI_MAGIC in f.read()


def zip_entries(src, name, total, nested):
    """Members of a zip (possibly with a prefix), then the prefix and the zip's own tables."""
    with zipfile.ZipFile(src) as z:
        infos = z.infolist()
    pex = any(i.filename == "PEX-INFO" for i in infos)
    start = min((i.header_offset for i in infos), default=total)
    pfx = name + "/" if nested else ""
    out = [classified(pfx + i.filename, i.compress_size, i.file_size, i.filename, pex=pex)
           for i in infos if not i.is_dir()]
    if nested:  # data in a zip inside a package belongs to that package
        outer = classify(name)[1]
        for e in out:
            e["package"] = outer if e["package"] == OTHER and outer != OTHER else e["package"]
    overhead = total - start - sum(i.compress_size for i in infos)
    if start > 0:
        out.append(entry(name + " (prefix)", start, start, None, RUNTIME, "runtime"))
    if overhead > 0:
        out.append(entry(name + " (zip headers)", overhead, overhead))
    return out


def pyinstaller_entries(path, name, total, notes):
    """A PyInstaller executable: its CArchive TOC, with the PYZ expanded into modules."""
    try:
        from PyInstaller.archive.readers import CArchiveReader
    except ImportError:
        notes.append(f"{name}: PyInstaller archive, but PyInstaller is not importable; listed as opaque")
        return [entry(name, total, total)]
    try:
        pkg = CArchiveReader(path)
    except Exception as exc:  # a stray cookie, or a damaged archive
        notes.append(f"{name}: cannot read the PyInstaller archive ({exc}); listed as opaque")
        return [entry(name, total, total)]
    out = []
    for item, (_offset, length, ulength, _flag, typecode) in sorted(pkg.toc.items()):
        if typecode == "z":
            out.extend(pyz_entries(pkg, item, length, notes))
        elif typecode in "msM":  # modules, packages and scripts, stored as bytecode
            is_runtime = _PYI_RUNTIME.match(item)
            module = item if typecode != "s" or is_runtime else None
            pkg_name = RUNTIME if is_runtime else top_of(item) if module else OTHER
            out.append(entry(item, length, ulength, module, pkg_name, "runtime" if is_runtime else "code"))
        elif item.endswith(".zip") or typecode == "Z":
            data = pkg.extract(item)
            inner = zip_entries(io.BytesIO(data), item, len(data), nested=True) \
                if zipfile.is_zipfile(io.BytesIO(data)) else [classified(item, length, ulength)]
            scale(inner, length)
            out.extend(inner)
        else:
            out.append(classified(item, length, ulength))
    remainder = total - sum(e["bytes"] for e in out)
    out.append(entry(name + " (bootloader)", remainder, remainder, None, RUNTIME, "runtime"))
    notes.append(f"{name}: PyInstaller archive; '{name} (bootloader)' is the bootloader "
                 f"({pkg._start_offset} bytes) plus the archive's table of contents")
    return out


def pyz_entries(pkg, item, length, notes):
    try:
        pyz = pkg.open_embedded_archive(item)
        toc = sorted(pyz.toc.items())
    except Exception as exc:  # e.g. a PYZ written by another Python version (marshal)
        notes.append(f"{item}: cannot read the PYZ ({exc}); listed as one entry")
        return [entry(item, length, length, None, OTHER, "code")]
    out = []
    for module, (typecode, _offset, mlength) in toc:
        raw = pyz.extract(module, raw=True) if mlength else b""
        out.append(entry(module, mlength, len(raw or b""), module, top_of(module), "code"))
    index = length - sum(e["bytes"] for e in out)
    out.append(entry(item, index, index, None, RUNTIME, "runtime"))
    return out


def file_entries(path, name, notes, top_level):
    total = os.path.getsize(path)
    with open(path, "rb") as f:
        executable = f.read(4).startswith(EXE_MAGICS)
    if executable and not _SHARED_LIB.search(name) and has_pyinstaller_cookie(path):
        return pyinstaller_entries(path, name, total, notes)
    if zipfile.is_zipfile(path):
        try:
            return zip_entries(path, name, total, nested=not top_level)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            notes.append(f"{name}: looks like a zip but cannot be read ({exc})")
    if top_level:
        notes.append(f"{name}: not a recognised archive (PyInstaller, zip); listed as one opaque entry"
                     + ("; for Nuitka pass --report" if executable else ""))
        return [entry(name, total, total)]
    return [classified(name, total, total, executable=executable)]


def folder_entries(root, notes):
    out, links = [], 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            full = os.path.join(dirpath, fn)
            if os.path.islink(full) or not os.path.isfile(full):
                links += 1
                continue
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            out.extend(file_entries(full, rel, notes, top_level=False))
    if links:
        notes.append(f"{links} symbolic links or special files not counted")
    return out


def _report_path(path):
    """Best effort: expand the ${...} prefixes Nuitka writes in its report paths."""
    for var, value in (("${sys.real_prefix}", sys.base_prefix), ("${sys.prefix}", sys.prefix),
                       ("${cwd}", os.getcwd())):
        path = path.replace(var, value)
    return path


def nuitka_entries(rep, name, total, notes, standalone):
    """Entries for Nuitka's main binary (standalone) or onefile executable, from the report."""
    out = []
    for m in rep.findall("module"):
        module, kind = m.get("name"), m.get("kind", "")
        if kind != "PythonExtensionModule":
            obj = m.find(".//object-file")
            n = int(obj.get("size")) if obj is not None else 0
            out.append(entry(module, n, n, module, top_of(module), "code"))
    for blob in rep.findall("data_composer/module_data"):
        if blob.get("blob_name") == ".bytecode":
            n = int(blob.get("blob_size", 0))
            out.append(entry(blob.get("filename"), n, n, None, OTHER, "code"))
            uncompiled = sum(1 for m in rep.findall("module") if m.get("kind", "").startswith("Uncompiled"))
            notes.append(f"Nuitka: {uncompiled} modules included as bytecode share '{blob.get('filename')}'; "
                         "they are listed with 0 bytes")
    if not standalone:
        binaries = rep.findall("included_extension") + rep.findall("included_dll")
        sources = [_report_path(el.get("source_path", "")) for el in binaries]
        for el, source in zip(binaries, sources):
            n = os.path.getsize(source) if os.path.isfile(source) else 0
            out.append(classified(el.get("dest_path"), n, n))
        missing = sum(not os.path.isfile(source) for source in sources)
        for tag in ("data_file", "data_blob", "data_file_generated"):
            for el in rep.findall(tag):
                n = int(el.get("size", 0))
                out.append(classified(el.get("name"), n, n))
        have = {e["module"] for e in out}
        for m in rep.findall("module"):
            if m.get("kind") == "PythonExtensionModule" and m.get("name") not in have:
                out.append(entry(m.get("name"), 0, 0, m.get("name"), top_of(m.get("name")), "extension"))
        if missing:
            notes.append(f"Nuitka: {missing} included binaries were not found on disk; listed with 0 bytes")
        notes.append("Nuitka onefile: sizes are before compression")
    notes.append("Nuitka: compiled code sizes are object-file sizes (before linking)")
    remainder = total - sum(e["bytes"] for e in out)
    if remainder > 0:
        out.append(entry(name + " (rest)", remainder, remainder, None, RUNTIME, "runtime"))
    else:
        notes.append(f"Nuitka: attributed sizes exceed '{name}' ({total} bytes) by {-remainder}")
    return out


def nuitka_artifact(artifact, report, notes):
    try:
        rep = ET.parse(report).getroot()
    except ET.ParseError as exc:
        raise SystemExit(f"bundle_contents: {report}: {exc}")
    if rep.tag != "nuitka-compilation-report":
        raise SystemExit(f"bundle_contents: {report}: not a Nuitka compilation report")
    if os.path.isfile(artifact):
        size = os.path.getsize(artifact)
        return nuitka_entries(rep, os.path.basename(artifact), size, notes,
                              standalone=rep.find("onefile_binary") is None)
    # A folder: a standalone dist (the report names its main binary) or one holding the onefile.
    names = {tag: rep.find(tag).get("filename") for tag in ("python_binary", "onefile_binary")
             if rep.find(tag) is not None}
    out, expanded = folder_entries(artifact, notes), []
    for e in [e for e in out if e["name"] in names.values()]:
        out.remove(e)
        expanded += nuitka_entries(rep, e["name"], e["bytes"], notes,
                                   standalone=e["name"] == names.get("python_binary"))
    if not expanded:
        notes.append(f"Nuitka: the report names no file in the folder ({', '.join(names.values())})")
    return out + expanded


def list_artifact(artifact, report=None):
    notes = []
    if report:
        entries = nuitka_artifact(artifact, report, notes)
    elif os.path.isdir(artifact):
        entries = folder_entries(artifact, notes)
    else:
        entries = file_entries(artifact, os.path.basename(artifact), notes, top_level=True)
    entries.sort(key=lambda e: (e["name"], e["kind"], e["bytes"]))
    return {"format": 1, "entries": entries, "notes": sorted(set(notes), key=notes.index)}


def main(argv=None):
    parser = argparse.ArgumentParser(description="List what a frozen Python artifact holds (JSON).")
    parser.add_argument("artifact", help="the built file or folder")
    parser.add_argument("--report", help="Nuitka compilation report (--report=FILE)")
    args = parser.parse_args(argv)
    for path in (args.artifact, args.report):
        if path and not os.path.exists(path):
            print(f"bundle_contents: {path}: no such file or directory", file=sys.stderr)
            return 2
    json.dump(list_artifact(args.artifact, args.report), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
