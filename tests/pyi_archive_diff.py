"""Compares two PyInstaller executables (or onedir folders) by what they hold.

usage: python pyi_archive_diff.py A B

Same when:
  - their CArchives list the same entries (names, typecodes, options in order);
  - their PYZ archives list the same modules, with the same kind (module, package,
    namespace package);
  - every module, script and bootstrap module holds the same code: the code objects,
    unmarshalled and compared field by field, nested code included, with co_filename;
  - every other entry holds the same bytes once decompressed; a zip (base_library.zip,
    which PyInstaller writes again with new timestamps) the same members and code.
For onedir folders the files beside the executables must be the same too (a zip: the
same members and code, as above).
Prints each difference; exits 1 when there is one, 0 when none.
"""
import filecmp
import io
import marshal
import os
import sys
import types
import zipfile

from PyInstaller.archive.readers import CArchiveReader
from PyInstaller.loader.pyimod01_archive import ZlibArchiveReader

CODE_FIELDS = ("co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals", "co_stacksize", "co_flags",
               "co_code", "co_names", "co_varnames", "co_freevars", "co_cellvars", "co_filename", "co_name",
               "co_qualname", "co_firstlineno", "co_linetable", "co_exceptiontable")


def code_diff(a, b, where):
    """The first field in which two code objects differ, or None."""
    for field in CODE_FIELDS:
        if hasattr(a, field) and getattr(a, field) != getattr(b, field):
            return f"{where}: {field} differs"
    if len(a.co_consts) != len(b.co_consts):
        return f"{where}: co_consts differ in length"
    for i, (x, y) in enumerate(zip(a.co_consts, b.co_consts)):
        if isinstance(x, types.CodeType) and isinstance(y, types.CodeType):
            d = code_diff(x, y, f"{where}/{x.co_name}")
            if d:
                return d
        elif type(x) is not type(y) or x != y:
            if not (isinstance(x, float) and x != x and y != y):  # NaN
                return f"{where}: constant {i} differs ({x!r} vs {y!r})"
    return None


def zip_diff(a, b, where, problems):
    """A zip (PyInstaller's base_library.zip) compared by what it holds: its members'
    names (in any order), and their code (.pyc, whose header carries a timestamp) or bytes. Adds what
    differs to `problems`; False when something does."""
    za, zb = zipfile.ZipFile(io.BytesIO(a)), zipfile.ZipFile(io.BytesIO(b))
    before = len(problems)
    # PyInstaller writes its members in an order that varies from build to build.
    if sorted(za.namelist()) != sorted(zb.namelist()):
        problems.append(f"{where}: members differ")
        return False
    for member in za.namelist():
        x, y = za.read(member), zb.read(member)
        if member.endswith(".pyc"):
            d = code_diff(marshal.loads(x[16:]), marshal.loads(y[16:]), f"{where}/{member}")
            if d:
                problems.append(d)
        elif x != y:
            problems.append(f"{where}/{member}: contents differ")
    return len(problems) == before


def executable_of(path):
    """A onedir folder's executable: the one executable file at its top."""
    if not os.path.isdir(path):
        return path
    found = [e.path for e in os.scandir(path) if e.is_file() and os.access(e.path, os.X_OK)]
    if len(found) != 1:
        raise SystemExit(f"{path}: expected one executable at the top, found {len(found)}")
    return found[0]


def contents(path):
    exe = executable_of(path)
    pkg = CArchiveReader(exe)
    pyz = None
    items = {}
    for name, (offset, stored, size, flag, typecode) in pkg.toc.items():
        if typecode == "z":
            pyz = ZlibArchiveReader(exe, pkg._start_offset + offset)
            items[name] = ("z", None)
        elif typecode in ("s", "m", "M"):
            items[name] = (typecode, marshal.loads(pkg.extract(name)))
        else:
            items[name] = (typecode, pkg.extract(name))
    modules = {}
    if pyz is not None:
        for name, (kind, _, _) in pyz.toc.items():
            modules[name] = (kind, pyz.extract(name))
    return pkg.options, items, modules


def payload_diff(name, va, vb, problems):
    """Two entries' contents: code by code object, a zip by its members, else bytes."""
    if (va is None) != (vb is None):
        problems.append(f"{name}: code in one only")
    elif isinstance(va, types.CodeType):
        d = code_diff(va, vb, name)
        if d:
            problems.append(d)
    elif va != vb:
        if name.endswith(".zip"):
            zip_diff(va, vb, name, problems)
        else:
            problems.append(f"{name}: contents differ")


def table_diff(what, a, b, problems):
    """Two tables {name: (kind, contents)}: the same names in the same order, and for
    each the same kind and contents."""
    if list(a) != list(b):
        problems.append(f"{what} differ: only in A {sorted(set(a) - set(b))[:5]}, "
                        f"only in B {sorted(set(b) - set(a))[:5]}, or their order")
    for name in a.keys() & b.keys():
        (ka, va), (kb, vb) = a[name], b[name]
        if ka != kb:
            problems.append(f"{what}: {name}: kind {ka} vs {kb}")
        else:
            payload_diff(name, va, vb, problems)


def compare(a, b):
    problems = []
    a_opts, a_items, a_mods = contents(a)
    b_opts, b_items, b_mods = contents(b)
    if a_opts != b_opts:
        problems.append(f"runtime options differ: {a_opts} vs {b_opts}")
    table_diff("CArchive entries", a_items, b_items, problems)
    table_diff("PYZ modules", a_mods, b_mods, problems)
    if os.path.isdir(a) and os.path.isdir(b):
        name = os.path.basename(executable_of(a))
        for rel in folder_diff(a, b, skip=name):
            if rel.endswith(".zip") and os.path.isfile(os.path.join(a, rel)) and os.path.isfile(os.path.join(b, rel)):
                with open(os.path.join(a, rel), "rb") as fa, open(os.path.join(b, rel), "rb") as fb:
                    zip_diff(fa.read(), fb.read(), rel, problems)
            else:
                problems.append(f"onedir file differs: {rel}")
    return problems, len(a_items), len(a_mods)


def folder_diff(a, b, skip):
    out = []
    cmp = filecmp.dircmp(a, b, ignore=[skip])
    def walk(c, prefix):
        out.extend(prefix + n for n in c.left_only + c.right_only + c.funny_files)
        _, mismatch, errors = filecmp.cmpfiles(c.left, c.right, c.common_files, shallow=False)
        out.extend(prefix + n for n in mismatch + errors)
        for n, sub in c.subdirs.items():
            walk(sub, prefix + n + "/")
    walk(cmp, "")
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    problems, n_items, n_mods = compare(sys.argv[1], sys.argv[2])
    for p in problems:
        print("DIFFERENT:", p)
    if not problems:
        print(f"same: {n_items} archive entries and {n_mods} PYZ modules hold the same code and bytes")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
