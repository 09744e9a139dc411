"""Tells a frozen sidecar how it was frozen, the same way under every freezer backend.

Copy this package into your sidecar's root (next to your entry script) so that every
packager bundles it, then::

    import freezer_runtime

    if freezer_runtime.is_frozen():
        ...
    config = freezer_runtime.resource_path("app/services.json")

How each packager is recognised:

* PyInstaller: ``sys.frozen`` is true and ``sys._MEIPASS`` is the bundle folder.
* Nuitka: compiled modules have the global ``__compiled__`` (Nuitka does not set
  ``sys.frozen``).
* scie (PEX's native executables): the ``SCIE`` and ``SCIE_ARGV0`` variables.
* PEX: the ``PEX`` variable names the running .pex, and this package is loaded from it
  (its zip, or pex's unpacked copy under the pex root). Children inherit the variable,
  so the location check keeps a plain Python child from passing for frozen.
* cosmofy: ``sys.executable`` is a zip archive with a ``.args`` member.
* A backend added as a plugin records itself: its plan puts a module
  ``_freezer_backend`` whose ``BACKEND`` is the backend's name into the bundle
  (``frozen_marker`` in the SDK's backend_util.hpp). A recorded name comes first.
* Any other packager that sets ``sys.frozen`` (cx_Freeze, py2exe, ...): "frozen".
"""

import os
import sys
import zipfile

__all__ = ["frozen_backend", "is_frozen", "resource_path"]

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _same_file(a, b):
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except (TypeError, ValueError):
        return False


def _inside(path, folder):
    try:
        path, folder = os.path.realpath(path), os.path.realpath(folder)
    except (TypeError, ValueError):
        return False
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _loaded_from_pex(pex):
    roots = [pex, os.path.expanduser("~/.cache/pex"), os.path.expanduser("~/.pex")]
    if os.environ.get("PEX_ROOT"):
        roots.append(os.environ["PEX_ROOT"])
    return any(_inside(_ROOT, r) for r in roots)


def _is_cosmofy():
    exe = sys.executable or ""
    try:
        if not zipfile.is_zipfile(exe):
            return False
        with zipfile.ZipFile(exe) as z:
            return ".args" in z.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


_UNSET = object()
_recorded = _UNSET


def _recorded_backend():
    """The name a plugin's plan recorded in the bundle, or None (looked up once)."""
    global _recorded
    if _recorded is _UNSET:
        try:
            import _freezer_backend  # written by the plan, never in a source tree
            _recorded = getattr(_freezer_backend, "BACKEND", None) or None
        except ImportError:
            _recorded = None
    return _recorded


def frozen_backend():
    """The freezer backend this program was frozen with: "pyinstaller", "nuitka",
    "scie", "pex", "cosmofy", the name a plugin recorded, "frozen" for another
    packager that sets ``sys.frozen``, or None when it runs from source."""
    recorded = _recorded_backend()
    if recorded:
        return recorded
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        return "pyinstaller"
    if "__compiled__" in globals():
        return "nuitka"
    if os.environ.get("SCIE") and os.environ.get("SCIE_ARGV0"):
        return "scie"
    pex = os.environ.get("PEX")
    if pex and ((sys.argv and _same_file(sys.argv[0], pex)) or _loaded_from_pex(pex)):
        return "pex"
    if _is_cosmofy():
        return "cosmofy"
    if getattr(sys, "frozen", False):
        return "frozen"
    return None


def is_frozen():
    """True when the program runs from a frozen executable, whichever the packager."""
    return frozen_backend() is not None


def resource_path(relative):
    """Absolute path of a data file bundled at ``relative`` (the ``src`` of a
    freezer.yaml ``data`` entry, relative to the sidecar's root), frozen or not."""
    backend = frozen_backend()
    if backend == "pyinstaller":
        return os.path.join(sys._MEIPASS, relative)
    # Every other backend keeps the package layout (cx_Freeze's lib/, a zipapp's unpacked
    # site-packages): this package sits in the sidecar's root, so its parent folder is
    # where bundled files are.
    return os.path.join(_ROOT, relative)
