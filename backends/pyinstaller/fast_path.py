"""freezer's PyInstaller fast path: the previous executable with the bytecode of some
pure-Python modules replaced, without PyInstaller's Analysis.

freezer runs this only when the modules it names are the only inputs that changed and
none of their imports did, so the set of modules, binaries and data stays what the
previous build bundled. It reads and writes the archives with PyInstaller's own classes
(PyInstaller.archive): the PYZ entries of the changed modules are compiled the way
PyInstaller compiles them (same optimize level, same names); every other entry of the
PYZ and of the executable's CArchive is copied byte for byte, not recompressed. The
CArchive goes back into the executable the way PyInstaller put it there: on Linux the
ELF section `pydata`, replaced with objcopy. Other formats (Mach-O, PE) are refused.

Anything unexpected (a module the previous build did not bundle, a work folder that
does not describe the installed executable) exits 1 with the reason, and freezer then
runs a full PyInstaller build instead.

usage: python fast_path.py --executable PREV_EXE --mode onefile|onedir --workpath DIR
                           --stage DIR --out DIR --name NAME CHANGED...
"""
import argparse
import marshal
import os
import shutil
import struct
import subprocess
import sys
import zlib


class Refused(Exception):
    """The fast path does not apply: freezer builds in full instead."""


def main(argv):
    ap = argparse.ArgumentParser(prog="fast_path")
    ap.add_argument("--executable", required=True, help="the previous build's executable")
    ap.add_argument("--mode", choices=["onefile", "onedir"], required=True)
    ap.add_argument("--workpath", required=True, help="PyInstaller's work folder for this name")
    ap.add_argument("--stage", required=True, help="the staged inputs")
    ap.add_argument("--out", required=True, help="folder the new build goes to")
    ap.add_argument("--name", required=True, help="the executable's name")
    ap.add_argument("changed", nargs="+", help="changed modules, relative to --stage")
    args = ap.parse_args(argv)
    try:
        patch(args)
    except Refused as e:
        print(f"fast path refused: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # a PyInstaller that is not shaped as expected: say what broke
        import traceback
        traceback.print_exc()
        print(f"fast path refused: the helper failed ({type(e).__name__}: {e})", file=sys.stderr)
        return 1
    return 0


def load_guts(target_class, path):
    """The guts PyInstaller saved for a target (PYZ-00.toc, PKG-00.toc) as a dict."""
    from PyInstaller.utils.misc import load_py_data_struct

    if not os.path.isfile(path):
        raise Refused(f"{path} is missing (the work folder is not the one the previous build used)")
    data = load_py_data_struct(path)
    return dict(zip((g[0] for g in target_class._GUTS), data))


def module_map(workpath):
    """{real source path: (kind, name, typecode)} of the modules and scripts PyInstaller
    bundled, from its own record of the last Analysis."""
    from PyInstaller.building.api import PKG, PYZ

    found = {}
    for name, src, typecode in load_guts(PYZ, os.path.join(workpath, "PYZ-00.toc"))["toc"]:
        if src not in ("-", None):
            found[os.path.realpath(src)] = ("pyz", name, typecode)
    for name, src, typecode in load_guts(PKG, os.path.join(workpath, "PKG-00.toc"))["toc"]:
        if typecode.startswith("PYSOURCE"):
            found[os.path.realpath(src)] = ("script", name, typecode)
    return found


def optimize_of(typecode):
    """PyInstaller writes the optimize level into the typecode: PYMODULE-2, PYSOURCE-1."""
    level = typecode.rpartition("-")[2]
    return int(level) if level.isdigit() else 0


def read_carchive(path):
    """The executable's CArchive: its entries in file order (options included, which
    PyInstaller's reader keeps apart), the bytes of the archive, where it starts, and
    the Python library name from its cookie."""
    from PyInstaller.archive.readers import CArchiveReader

    reader = CArchiveReader(path)
    raw = reader.raw_pkg_data()
    cookie = raw[-reader._COOKIE_LENGTH:]
    _, _, toc_offset, toc_length, _, pylib_name = struct.unpack(reader._COOKIE_FORMAT, cookie)
    entries = []
    toc, pos = raw[toc_offset:toc_offset + toc_length], 0
    while pos < len(toc):
        length, offset, stored, size, flag, typecode = struct.unpack(
            reader._TOC_ENTRY_FORMAT, toc[pos:pos + reader._TOC_ENTRY_LENGTH])
        name = toc[pos + reader._TOC_ENTRY_LENGTH:pos + length].rstrip(b"\0").decode("utf-8")
        entries.append((name, offset, stored, size, flag, typecode.decode("ascii")))
        pos += length
    return entries, raw, reader._start_offset, pylib_name.rstrip(b"\0").decode("ascii")


def make_writers():
    from PyInstaller.archive.writers import CArchiveWriter, ZlibArchiveWriter

    class PyzWriter(ZlibArchiveWriter):
        """A PYZ writer that copies unchanged entries as stored: (name, bytes, kind)."""

        @classmethod
        def _write_entry(cls, fp, entry, code_dict):
            if isinstance(entry[1], bytes):
                name, blob, kind = entry
                offset = fp.tell()
                fp.write(blob)
                return (name, (kind, offset, len(blob)))
            return super()._write_entry(fp, entry, code_dict)

    class PkgWriter(CArchiveWriter):
        """A CArchive writer that copies unchanged entries as stored:
        (name, bytes, uncompressed size, compressed flag, typecode)."""

        def _write_entry(self, fp, entry):
            if isinstance(entry[1], bytes):
                name, blob, size, flag, typecode = entry
                offset = fp.tell()
                fp.write(blob)
                return (offset, len(blob), size, flag, typecode, name)
            return super()._write_entry(fp, entry)

    return PyzWriter, PkgWriter


def patch(args):
    from PyInstaller.building.utils import get_code_object
    from PyInstaller.loader.pyimod01_archive import PYZ_ITEM_PKG, ZlibArchiveReader

    modules = module_map(args.workpath)
    entries, pkg, start, pylib_name = read_carchive(args.executable)
    pyz_entries = [e for e in entries if e[5] == "z"]
    if len(pyz_entries) != 1:
        raise Refused(f"the previous executable holds {len(pyz_entries)} PYZ archives, not 1")
    pyz_name, pyz_offset, pyz_stored, _, pyz_flag, _ = pyz_entries[0]
    if pyz_flag:
        raise Refused("the previous executable's PYZ archive is compressed as a whole")
    pyz = pkg[pyz_offset:pyz_offset + pyz_stored]
    pyz_toc = ZlibArchiveReader(args.executable, start + pyz_offset).toc

    # The work folder must describe the executable being patched: same modules.
    recorded = {name for kind, name, _ in modules.values() if kind == "pyz"}
    if not recorded <= set(pyz_toc):
        missing = sorted(recorded - set(pyz_toc))
        raise Refused(f"the work folder names modules the previous executable lacks ({', '.join(missing[:3])}): "
                      "it was left by another build")

    new_code, new_scripts, done = {}, {}, []
    for rel in args.changed:
        src = os.path.realpath(os.path.join(args.stage, rel))
        if src not in modules:
            raise Refused(f"{rel} is not a module PyInstaller bundled in the previous build")
        kind, name, typecode = modules[src]
        if kind == "pyz":
            if name not in pyz_toc:
                raise Refused(f"{rel} ({name}) is not in the previous executable's PYZ")
            is_pkg = os.path.splitext(os.path.basename(src))[0] == "__init__"
            if (pyz_toc[name][0] == PYZ_ITEM_PKG) != is_pkg:
                raise Refused(f"{rel} ({name}) changed between module and package")
            new_code[name] = (src, typecode, get_code_object(name, src, optimize=optimize_of(typecode)))
        else:
            new_scripts[name] = (src, typecode)
        done.append(f"{name} ({rel})")
    if set(new_scripts) - {e[0] for e in entries if e[5] == "s"}:
        raise Refused("a changed script is not in the previous executable")

    PyzWriter, PkgWriter = make_writers()
    tmp = os.path.join(args.out, ".fast-path")
    os.makedirs(tmp, exist_ok=True)

    # The PYZ: entries in the previous order, the changed ones compiled.
    pyz_file = os.path.join(tmp, "PYZ.pyz")
    pyz_items = []
    for name, (kind, offset, length) in pyz_toc.items():
        if name in new_code:
            src, typecode, _ = new_code[name]
            pyz_items.append((name, src, typecode))
        else:
            pyz_items.append((name, pyz[offset:offset + length], kind))
    PyzWriter(pyz_file, pyz_items, code_dict={n: c for n, (_, _, c) in new_code.items()})

    # The CArchive: the new PYZ, the changed scripts compiled, the rest as stored.
    pkg_file = os.path.join(tmp, "PKG.pkg")
    pkg_items = []
    for name, offset, stored, size, flag, typecode in entries:
        if typecode == "z":
            pkg_items.append((name, pyz_file, False, "z"))
        elif typecode == "s" and name in new_scripts:
            src, source_type = new_scripts[name]
            pkg_items.append((name, src, bool(flag), "s" + ("" if optimize_of(source_type) == 0 else str(optimize_of(source_type)))))
        else:
            pkg_items.append((name, pkg[offset:offset + stored], size, flag, typecode))
    PkgWriter(pkg_file, pkg_items, pylib_name)

    # The executable: the previous one with its archive replaced.
    folder = os.path.join(args.out, args.name) if args.mode == "onedir" else args.out
    os.makedirs(folder, exist_ok=True)
    exe = os.path.join(folder, args.name)
    with open(args.executable, "rb") as f:
        elf = f.read(4) == b"\x7fELF"
    if not (elf and sys.platform.startswith("linux")):
        # A Mach-O is signed and a PE has a checksum, both written by PyInstaller after
        # the archive: only the full build makes them right.
        raise Refused("the executable is not a Linux ELF file; a macOS or Windows one is signed or "
                      "checksummed after its archive is written")
    # PyInstaller on Linux: objcopy --add-section pydata=PKG onto the bootloader.
    # Replacing the section of the previous executable gives the same bytes.
    done_cp = subprocess.run(["objcopy", "--update-section", f"pydata={pkg_file}", args.executable, exe],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, encoding="utf-8")
    if done_cp.returncode:
        raise Refused(f"objcopy failed ({done_cp.returncode}): {done_cp.stdout.strip()}")
    os.chmod(exe, 0o755)

    if args.mode == "onedir":
        copied = link_tree(os.path.dirname(args.executable), folder, skip=args.name)
        print(f"fast path: {copied} files of the previous folder linked unchanged")
    shutil.rmtree(tmp)
    print(f"fast path: recompiled {', '.join(done)}; {len(entries) - len(new_scripts)} archive entries "
          f"and {len(pyz_toc) - len(new_code)} modules copied as stored")


def link_tree(src_dir, dst_dir, skip):
    """Everything of the previous onedir folder but its executable: hard links (the
    installed folder is replaced as a whole, never edited in place), copies across
    file systems, symbolic links as links."""
    count = 0
    for root, dirs, files in os.walk(src_dir):
        rel = os.path.relpath(root, src_dir)
        target = dst_dir if rel == "." else os.path.join(dst_dir, rel)
        os.makedirs(target, exist_ok=True)
        for entry in dirs + files:
            s, d = os.path.join(root, entry), os.path.join(target, entry)
            if rel == "." and entry == skip:
                continue
            if os.path.islink(s):
                os.symlink(os.readlink(s), d)
                if entry in dirs:
                    dirs.remove(entry)
                count += 1
            elif entry in files:
                try:
                    os.link(s, d)
                except OSError:
                    shutil.copy2(s, d)
                count += 1
    return count


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
