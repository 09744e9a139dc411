"""Run a Python app unfrozen and record what it really uses (freezer `trace`).

    python trace_hook.py --record FILE --root ROOT (--script PATH | --module NAME) [--static]
                         -- [APP ARGS...]

The app runs as `python PATH ARGS` or `python -m NAME ARGS` would run it (runpy; sys.path[0]
is the script's folder, or ROOT for --module); its exit code, exceptions and signal handling
pass through. An audit hook appends JSON lines to FILE as things happen (line-buffered, so
a SIGKILL loses nothing already seen). Every item is written once per process:

  {"trace": 1, "mode": "run"|"static", "python": ..., "executable": ..., "prefix": ...,
   "base_prefix": ..., "stdlib": ..., "platstdlib": ..., "purelib": ..., "platlib": ...,
   "site_dirs": [...],  (real paths; site_dirs: every sys.path folder holding *.dist-info)
   "builtin": [...], "stdlib_names": [...], "root": ROOT, "preloaded": [...]}   first line
  {"import": NAME}                   an `import` statement asked for NAME (not yet loaded)
  {"import": NAME, "file": PATH|null, "origin": "builtin"|"frozen"|"stdlib"|"site"|"root"|"other"}
                                     NAME is in sys.modules (also catches importlib.import_module)
  {"open": PATH}                     an existing regular file opened for reading (real path);
                                     code files read by the import system are left out, but
                                     a source read by inspect or linecache (inspect.getsource)
                                     is kept: a bundle of .pyc alone would break that read
  {"static": NAME} / {"static_missing": NAME}   --static only: what modulefinder reaches from
                                     the entry's import statements / could not resolve

A NAME with only the first kind of import line was attempted but never loaded (a failed
optional import, or the process died mid-import). "preloaded" lists the modules already loaded
before the app started (interpreter start-up and this script's own imports): they are never
reported, since importing them again raises no event. Readers should treat the lines as sets
(forked children append to the same file) and ignore a truncated last line.
"""
import _thread
import atexit
import importlib.machinery
import json
import os
import pkgutil  # noqa: F401  runpy.run_path imports it: load it before the app starts
import runpy
import signal
import sys
import sysconfig

USAGE = ("usage: trace_hook.py --record FILE --root ROOT (--script PATH | --module NAME)"
         " [--static] -- [APP ARGS...]")
CODE_SUFFIXES = (".py", ".pyw", ".pyc") + tuple(importlib.machinery.EXTENSION_SUFFIXES)
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC

_rec = None                 # the record file, opened before the hook is installed
_root = ""                  # real path of ROOT
_site = _stdlib = ()        # real paths of the site-packages / standard library folders
_lock = _thread.RLock()
_busy = set()               # threads inside the hook: what it does itself is not recorded
_n = 0                      # len(sys.modules) at the last scan
_done = set()               # modules written with their origin (or never to be: preloaded)
_imported = set()           # names written from `import` events
_opened = set()             # paths written from `open` events


def _emit(item):
    _rec.write(json.dumps(item) + "\n")


def _under(path, dirs):
    return any(path == d or path.startswith(d.rstrip(os.sep) + os.sep) for d in dirs)


def _where(name, mod):
    """(real path of __file__ or None, origin) of a module in sys.modules, without running
    its code (no getattr: a lazy module would load itself)."""
    if name in sys.builtin_module_names:
        return None, "builtin"
    try:
        d = object.__getattribute__(mod, "__dict__")
    except Exception:
        return None, "other"
    spec, file = d.get("__spec__"), d.get("__file__")
    file = os.path.realpath(file) if isinstance(file, str) else None
    if getattr(spec, "origin", None) == "frozen":
        return file, "frozen"
    loc, locs = file, getattr(spec, "submodule_search_locations", None)
    if loc is None and locs:
        loc = next(iter(locs), None)  # a namespace package: classify by its first folder
    if not isinstance(loc, str):
        return file, "builtin" if getattr(spec, "origin", None) == "built-in" else "other"
    loc = os.path.realpath(loc)
    parts = loc.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts or _under(loc, _site):
        return file, "site"
    if _under(loc, _stdlib):
        return file, "stdlib"
    return file, "root" if _under(loc, [_root]) else "other"


def _scan():
    """Write the origin of every module that reached sys.modules since the last scan."""
    global _n
    mods = sys.modules
    _n = len(mods)
    for name in sorted(mods.keys() - _done):  # C-level: no other thread runs meanwhile
        mod = mods.get(name)
        if mod is not None:  # None marks a blocked import
            _done.add(name)
            file, origin = _where(name, mod)
            _emit({"import": name, "file": file, "origin": origin})


def _on_open(path, mode, flags, caller):
    if not isinstance(path, (str, bytes, os.PathLike)):
        return  # an fd
    if mode is None and flags & WRITE_FLAGS or isinstance(mode, str) and any(c in mode for c in "wax+"):
        return  # os.open gives flags only
    path = os.fsdecode(path)
    if path.endswith(CODE_SUFFIXES) and caller.f_code.co_filename.startswith("<frozen "):
        return  # the import system (or runpy) reading a module's code: recorded as an import
    path = os.path.realpath(path)
    if path in _opened or not os.path.isfile(path):
        return
    _opened.add(path)
    _emit({"open": path})


def _hook(event, args):
    try:
        if event != "import" and event != "open" and len(sys.modules) == _n:
            return  # the fast path: most events
        me = _thread.get_ident()
        if me in _busy:
            return
        with _lock:
            _busy.add(me)
            try:
                if event == "import" and args[0] not in _imported and args[0] not in _done:
                    _imported.add(args[0])
                    _emit({"import": args[0]})
                elif event == "open":
                    _on_open(args[0], args[1], args[2], sys._getframe(1))
                if len(sys.modules) != _n:
                    _scan()
            finally:
                _busy.discard(me)
    except Exception:
        pass  # tracing must never break the app


def _flush():
    me = _thread.get_ident()
    if _lock.acquire(timeout=1):
        _busy.add(me)
        try:
            _scan()
        except Exception:
            pass
        finally:
            _busy.discard(me)
            _lock.release()


def _on_sigterm(signum, frame):
    """Installed only while SIGTERM has its default action: flush, then die as that would."""
    _flush()
    if signal.getsignal(signum) is _on_sigterm:  # else the app's own handler chained to us
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def _after_fork():
    global _lock
    _lock = _thread.RLock()
    _busy.clear()


def _parse(argv):
    cut = argv.index("--") if "--" in argv else len(argv)
    opts, static, bad = dict.fromkeys(("--record", "--root", "--script", "--module")), False, False
    it = iter(argv[:cut])
    for arg in it:
        if arg == "--static":
            static = True
        elif arg in opts:
            opts[arg] = next(it, None)
        else:
            bad = True
    record, root, script, module = opts.values()
    if bad or not record or not root or (script is None) == (module is None):
        print(USAGE, file=sys.stderr)
        raise SystemExit(2)
    return record, os.path.abspath(root), script and os.path.abspath(script), module, static, argv[cut + 1:]


def _site_dirs():
    """Real paths of the sys.path folders that hold installed distributions."""
    out = set(_site)
    for p in sys.path:
        try:
            if p and any(n.endswith(".dist-info") for n in os.listdir(p)):
                out.add(os.path.realpath(p))
        except OSError:
            pass
    return out


def _static(script, module):
    import modulefinder

    class Finder(modulefinder.ModuleFinder):
        # Python 3.11's modulefinder fails on a namespace package (a spec without a
        # loader: opentelemetry, google): count it as not found instead.
        def find_module(self, name, path, parent=None):
            try:
                return super().find_module(name, path, parent)
            except AttributeError:
                raise ImportError(name)

    finder = Finder(path=list(sys.path))
    try:
        if script:
            finder.run_script(script)
        else:
            finder.import_hook(module)
            if finder.modules[module].__path__:  # a package runs as NAME.__main__
                finder.import_hook(module + ".__main__")
    except (ImportError, OSError) as e:
        print(f"trace_hook: cannot read the entry: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # a module modulefinder cannot parse (a py2-only branch, ...)
        print(f"trace_hook: static import analysis failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 3
    for name in sorted(set(finder.modules) - {"__main__"}):
        _emit({"static": name})
    for name in sorted(set(finder.any_missing_maybe()[0]) - set(sys.modules)):  # os.path...
        _emit({"static_missing": name})
    return 0


def main(argv):
    global _rec, _root, _site, _stdlib, _n
    record, root, script, module, static, args = _parse(argv)
    entry_dir = os.path.dirname(os.path.realpath(script)) if script else root
    here = os.path.dirname(os.path.realpath(__file__))
    if sys.path and os.path.realpath(sys.path[0] or os.curdir) == here:
        sys.path[0] = entry_dir
    else:
        sys.path.insert(0, entry_dir)
    paths = sysconfig.get_paths()
    _root = os.path.realpath(root)
    _site = {os.path.realpath(paths[k]) for k in ("purelib", "platlib")}
    _stdlib = {os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib")}
    _rec = open(record, "a", buffering=1, encoding="utf-8")
    preloaded = sorted(sys.modules)
    _done.update(preloaded, ("__main__", "__mp_main__"))
    _emit({"trace": 1, "mode": "static" if static else "run", "python": sys.version,
           "executable": sys.executable, "prefix": os.path.realpath(sys.prefix),
           "base_prefix": os.path.realpath(sys.base_prefix),
           **{k: os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib")},
           "site_dirs": sorted(_site_dirs()),
           "builtin": sorted(sys.builtin_module_names),
           "stdlib_names": sorted(sys.stdlib_module_names), "root": root, "preloaded": preloaded})
    if static:
        return _static(script, module)

    _n = len(sys.modules)
    atexit.register(_flush)  # registered first, so it runs after the app's own atexit functions
    os.register_at_fork(after_in_child=_after_fork)
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
    sys.addaudithook(_hook)
    sys.argv = [script or module, *args]
    try:
        if script:
            runpy.run_path(script, run_name="__main__")
        else:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as e:  # print it as python would, without this script's frames
        tb, own = e.__traceback__, {main.__code__.co_filename, runpy.run_path.__code__.co_filename}
        while tb is not None and tb.tb_frame.f_code.co_filename in own:
            tb = tb.tb_next
        _busy.add(_thread.get_ident())  # the traceback reads source lines: not the app's doing
        sys.excepthook(type(e), e, e.with_traceback(tb).__traceback__)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
