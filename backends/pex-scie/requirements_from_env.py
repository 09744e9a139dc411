"""The requirements of a .pex, read from the environment it is built from.

    python requirements_from_env.py STAGE OUT [MODULE...]

Walks the staged sources' import statements (and the MODULEs freezer.yaml names in
hidden_imports and collect_submodules), drops the standard library and the sidecar's
own modules, and maps each remaining top-level name to the distribution that provides
it in this interpreter (importlib.metadata). Writes OUT with one `name==version` per
distribution; pex then takes them, with their dependencies, from this same environment
(--venv-repository), so nothing is downloaded and the versions are the ones tested.

Only what the app imports is listed: the packagers installed next to it (PyInstaller,
Nuitka, pex itself) stay out unless the app imports them. A name that no distribution
provides is reported and skipped: it may be an optional import (try: import x).
"""
import ast
import importlib.metadata as metadata
import os
import sys


def is_test(name):
    return name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py")


def imported_names(stage):
    """Top-level names imported by the .py files under stage -> first file importing it.
    Tests are left out: pytest imported by a conftest.py is no requirement of the app."""
    found = {}
    for folder, dirs, files in os.walk(stage):
        dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "tests", "test"))
        for name in sorted(files):
            if not name.endswith(".py") or is_test(name):
                continue
            path = os.path.join(folder, name)
            try:
                with open(path, "rb") as f:
                    tree = ast.parse(f.read(), filename=path)
            except (SyntaxError, ValueError):
                continue  # the packager reports it better
            rel = os.path.relpath(path, stage)
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    tops = [a.name.split(".")[0] for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    tops = [node.module.split(".")[0]]
                else:
                    continue
                for top in tops:
                    found.setdefault(top, rel)
    return found


def own_names(stage):
    """Modules and packages at the top of the staged sources (import app, import util)."""
    names = set()
    for entry in os.listdir(stage):
        path = os.path.join(stage, entry)
        if entry.endswith(".py"):
            names.add(entry[:-3])
        elif os.path.isdir(path) and not entry.startswith("."):
            names.add(entry)
    return names


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    stage, out, extra = argv[1], argv[2], argv[3:]
    wanted = imported_names(stage)
    for module in extra:
        wanted.setdefault(module.split(".")[0], "freezer.yaml")
    skip = own_names(stage) | set(sys.stdlib_module_names) | set(sys.builtin_module_names)
    providers = metadata.packages_distributions()
    pins, missing = {}, []
    for top, where in sorted(wanted.items()):
        if top in skip or top == "__future__":
            continue
        dists = providers.get(top)
        if not dists:
            missing.append(f"{top} (imported by {where})")
            continue
        for dist in dists:
            pins[dist.lower().replace("_", "-")] = f"{dist}=={metadata.version(dist)}"
    with open(out, "w", encoding="utf-8") as f:
        f.writelines(line + "\n" for _, line in sorted(pins.items()))
    print("requirements from the environment: " + (", ".join(v for _, v in sorted(pins.items())) or "none"))
    if missing:
        print("imported but provided by no installed distribution (skipped): " + ", ".join(missing))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
