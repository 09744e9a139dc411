"""cosmofy preflight: what Cosmopolitan Python cannot run, found before the build.

Usage: python preflight.py STAGE_DIR STRICT(0|1)

Cosmopolitan Python has no os.sched_getaffinity() and loads no C extensions. This
script looks for both in the code the bundle would carry:
- the sidecar's own files (the stage);
- the distributions installed for this interpreter that the sidecar needs: those named
  in pyproject.toml's [project] dependencies, those that provide the top-level modules
  its sources import (not the standard library, not its own modules), and everything
  these require in turn, as their installed metadata says (a requirement for an extra
  nobody asked for, or whose marker does not apply here, is left out).
For each distribution it names one C extension it installs, if any.

It reads code, not text: each .py file that mentions sched_getaffinity is parsed, and
only real uses count (os.sched_getaffinity, `from os import sched_getaffinity` and the
calls of that name), never a docstring, comment or string, nor a use behind
hasattr(os, "sched_getaffinity") or inside a try: that catches AttributeError. Nothing
is imported, so the check takes a moment even for large dependencies; a file that does
not parse is passed over (with a note for the sidecar's own files).

Each finding is one line. Not strict: "::freezer-warning::<finding>", which freezer
shows as a warning, and the exit status is 0. STRICT: "error: <finding>", a count, and
exit status 1, which fails the step; freezer then shows the end of the log.
"""
import ast
import importlib.metadata
import os
import re
import sys
import warnings

NAME = "sched_getaffinity"
NO_AFFINITY = ("os.sched_getaffinity() does not exist in Cosmopolitan Python; "
               "use len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()")
PURE_ONLY = "cosmofy bundles pure Python only"

# What a guard around a use makes safe: ATTR, reading os.sched_getaffinity (which
# raises AttributeError where it is missing); IMPORT, `from os import sched_getaffinity`
# and other imports (ImportError). hasattr(os, "sched_getaffinity") makes both safe.
ATTR, IMPORT = 1, 2
BOTH = ATTR | IMPORT


def names_the_function(call, function, nargs):
    """True for function(x, "sched_getaffinity", ...) with `nargs` arguments."""
    return (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == function
            and len(call.args) == nargs and isinstance(call.args[1], ast.Constant) and call.args[1].value == NAME)


def present(test):
    """True when `test` holds only where os.sched_getaffinity exists."""
    if names_the_function(test, "hasattr", 2) or names_the_function(test, "getattr", 3):
        return True
    return isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) and any(present(v) for v in test.values)


def absent(test):
    """True when `test` holds wherever os.sched_getaffinity is missing (`not hasattr(...)`)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return present(test.operand)
    return isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or) and any(absent(v) for v in test.values)


def exception_names(node):
    if node is None:
        return ["BaseException"]  # a bare except:
    if isinstance(node, ast.Tuple):
        return [n for e in node.elts for n in exception_names(e)]
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):  # builtins.AttributeError
        return [node.attr]
    return []


def caught(handlers):
    """What the handlers of a try: make safe in its body."""
    safe = 0
    for handler in handlers:
        for name in exception_names(handler.type):
            if name in ("Exception", "BaseException"):
                safe |= BOTH
            elif name == "AttributeError":
                safe |= ATTR
            elif name == "ImportError":
                safe |= IMPORT
    return safe


EXITS = (ast.Return, ast.Raise, ast.Continue, ast.Break)
TRIES = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())


class Scan:
    """One walk over a module's tree: the lines that use sched_getaffinity unguarded,
    and the top-level modules it imports unguarded (name -> first line)."""

    def __init__(self, tree):
        self.uses = set()
        self.imports = {}
        self.bare = set()  # names bound by an unguarded `from os import sched_getaffinity`
        self.block(tree.body, 0)

    def block(self, statements, safe):
        for stmt in statements:
            self.node(stmt, safe)
            # `if not hasattr(os, "sched_getaffinity"): return ...` guards the rest.
            if isinstance(stmt, ast.If) and absent(stmt.test) and stmt.body and isinstance(stmt.body[-1], EXITS):
                safe |= BOTH

    def node(self, node, safe):
        if isinstance(node, ast.Attribute) and node.attr == NAME and not safe & ATTR:
            self.uses.add(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.bare \
                and not safe & ATTR:
            self.uses.add(node.lineno)
        elif isinstance(node, ast.Import) and not safe & IMPORT:
            for alias in node.names:
                self.imports.setdefault(alias.name.split(".")[0], node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and not safe & IMPORT:
            self.imports.setdefault(node.module.split(".")[0], node.lineno)
            if node.module in ("os", "posix"):
                for alias in node.names:
                    if alias.name == NAME:
                        self.uses.add(node.lineno)
                        self.bare.add(alias.asname or alias.name)

        if isinstance(node, (ast.If, ast.While, ast.IfExp)):
            self.node(node.test, safe)
            body_safe = safe | (BOTH if present(node.test) else 0)
            else_safe = safe | (BOTH if absent(node.test) else 0)
            if isinstance(node, ast.IfExp):
                self.node(node.body, body_safe)
                self.node(node.orelse, else_safe)
            else:
                self.block(node.body, body_safe)
                self.block(node.orelse, else_safe)
        elif isinstance(node, ast.BoolOp):  # hasattr(os, ...) and os.sched_getaffinity(0)
            guards = present if isinstance(node.op, ast.And) else absent
            for value in node.values:
                self.node(value, safe)
                if guards(value):
                    safe |= BOTH
        elif isinstance(node, TRIES):
            self.block(node.body, safe | caught(node.handlers))
            for handler in node.handlers:
                self.block(handler.body, safe)
            self.block(node.orelse, safe)
            self.block(node.finalbody, safe)
        else:
            for _, value in ast.iter_fields(node):
                if isinstance(value, list):
                    if value and all(isinstance(v, ast.stmt) for v in value):
                        self.block(value, safe)
                    else:
                        for v in value:
                            if isinstance(v, ast.AST):
                                self.node(v, safe)
                elif isinstance(value, ast.AST):
                    self.node(value, safe)


def scan(path, source):
    """The Scan of a module's source, or the reason there is none."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning about escapes in someone's code
            return Scan(ast.parse(source, filename=path)), None
    except (SyntaxError, ValueError, MemoryError) as e:
        return None, f"Python cannot parse it ({type(e).__name__}: {e})"
    except RecursionError:
        return None, "nested too deeply to walk"


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


try:
    from packaging.requirements import Requirement
except ImportError:
    Requirement = None

REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
EXTRA_MARKER = re.compile(r"""extra\s*==\s*['"]([^'"]*)['"]|['"]([^'"]*)['"]\s*==\s*extra""")


def requirement(spec):
    """(name, extras, applies) of a requirement string, or None; applies(active_extras)
    says whether it counts for a distribution installed with those extras."""
    if Requirement is not None:
        try:
            req = Requirement(spec)
        except Exception:
            return None

        def applies(active):
            if req.marker is None:
                return True
            try:
                return any(req.marker.evaluate({"extra": e}) for e in sorted(active | {""}))
            except Exception:  # a marker packaging cannot evaluate: not counted
                return False
        return req.name, {canonical(e) for e in req.extras}, applies

    # Without packaging, only a marker's extras are read: a requirement for an extra
    # counts when that extra was asked for, one whose `extra` test is not a plain
    # `extra == "name"` is left out. Other markers (python_version, sys_platform) are
    # not evaluated: what they exclude still counts when it happens to be installed.
    m = REQUIREMENT.match(spec)
    if not m:
        return None
    marker = spec.split(";", 1)[1] if ";" in spec else ""
    wanted = {canonical(a or b) for a, b in EXTRA_MARKER.findall(marker)}
    mentions_extra = re.search(r"\bextra\b", marker) is not None
    extras = {canonical(e) for e in (m.group(2) or "").split(",") if e.strip()}

    def applies(active):
        if not mentions_extra:
            return True
        return bool(wanted) and bool(wanted & active)
    return m.group(1), extras, applies


def modules_to_distributions():
    """Top-level module name -> names of the distributions that install it."""
    if hasattr(importlib.metadata, "packages_distributions"):  # Python 3.10 and later
        return importlib.metadata.packages_distributions()
    found = {}
    for dist in importlib.metadata.distributions():
        tops = (dist.read_text("top_level.txt") or "").split()
        if not tops:
            tops = [f.parts[0].split(".")[0] for f in dist.files or [] if f.parts and not f.parts[0].endswith(
                (".dist-info", ".egg-info", ".data")) and (f.suffix == ".py" or len(f.parts) > 1)]
        for top in set(tops):
            found.setdefault(top, []).append(dist.metadata["Name"])
    return found


def extension_of(dist):
    """One C extension (or other native library) the distribution installs, or None."""
    native = [str(f) for f in dist.files or [] if str(f).endswith((".so", ".pyd"))]
    modules = [f for f in native if re.search(r"\.(cpython|abi3|pypy)[^/]*\.so$|\.pyd$", f)]
    return (modules or native or [None])[0]


def main(stage, strict):
    findings, notes = [], []

    # The sidecar's own files: uses of sched_getaffinity, C extensions, and imports.
    imported = {}  # top-level module -> "main.py:3", where it is first imported
    local = set()  # the sidecar's own modules and packages, wherever they are
    for root, dirs, files in os.walk(stage):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        local.update(dirs)
        for name in sorted(files):
            path = os.path.join(root, name)
            shown = os.path.relpath(path, stage)
            if name.endswith((".so", ".pyd")):
                findings.append(f"{shown}: a C extension; {PURE_ONLY}")
            if not name.endswith(".py"):
                continue
            local.add(name[:-3])
            try:
                with open(path, "rb") as f:
                    module, why_not = scan(path, f.read())
            except OSError as e:
                module, why_not = None, f"cannot read it ({e.strerror})"
            if module is None:
                notes.append(f"{shown}: not checked, {why_not}")
                continue
            for line in sorted(module.uses):
                findings.append(f"{shown}:{line}: {NO_AFFINITY}")
            for top, line in module.imports.items():
                imported.setdefault(top, f"{shown}:{line}")

    # The distributions the sidecar needs: pyproject's dependencies, the ones its imports
    # come from, then what those require, breadth first. `why` says how each got in.
    project = {}
    try:
        try:
            import tomllib
        except ImportError:  # before Python 3.11
            import tomli as tomllib
        with open(os.path.join(stage, "pyproject.toml"), "rb") as f:
            project = tomllib.load(f).get("project", {})
    except ImportError:
        notes.append("pyproject.toml: not read (no tomllib or tomli); its dependencies are not checked")
    except (OSError, ValueError):
        pass
    queue = []  # (name, extras, why)
    for spec in project.get("dependencies", []) if isinstance(project.get("dependencies"), list) else []:
        req = requirement(spec) if isinstance(spec, str) else None
        if req and req[2](set()):
            queue.append((req[0], req[1], ""))
    stdlib = set(getattr(sys, "stdlib_module_names", ())) | set(sys.builtin_module_names) | {"__future__"}
    wanted = sorted(m for m in imported if m not in local and m not in stdlib)
    if wanted:
        owners = modules_to_distributions()
        for module in wanted:
            for dist_name in owners.get(module, []):
                queue.append((dist_name, set(), f"imported by {imported[module]}"))

    own = canonical(project.get("name", "")) if isinstance(project.get("name"), str) else ""
    done = {}  # canonical name -> the extras its requirements were followed for
    order = []  # (distribution, why), in the order found
    while queue:
        name, extras, why = queue.pop(0)
        key = canonical(name)
        if key == own or (key in done and extras <= done[key]):
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except (importlib.metadata.PackageNotFoundError, ValueError):
            continue  # not installed here: uv installs it for the bundle; nothing to read
        if key not in done:
            order.append((dist, why))
        done[key] = done.get(key, set()) | extras
        shown = dist.metadata["Name"] or name
        for spec in dist.requires or []:
            req = requirement(spec)
            if req and req[2](done[key]):
                queue.append((req[0], req[1], f"required by {shown}"))

    for dist, why in order:
        label = "dependency " + (dist.metadata["Name"] or "?") + (f" ({why})" if why else "")
        try:
            extension = extension_of(dist)
            if extension:
                findings.append(f"{label}: has C extensions ({extension}); {PURE_ONLY}")
            for f in dist.files or []:
                if not str(f).endswith(".py"):
                    continue
                path = str(f.locate())
                try:
                    with open(path, "rb") as fh:
                        source = fh.read()
                except OSError:
                    continue
                if NAME.encode() not in source:
                    continue  # most files: nothing to parse
                module, _ = scan(path, source)  # someone else's file that does not parse: skipped
                for line in sorted(module.uses if module else ()):
                    findings.append(f"{label}: {f}:{line}: {NO_AFFINITY}")
        except Exception as e:  # metadata that cannot be read: say so, check the rest
            notes.append(f"{label}: not checked ({type(e).__name__}: {e})")

    for note in notes:
        print("note: " + note)
    for finding in findings:
        print(("error: " if strict else "::freezer-warning::") + finding)
    if strict and findings:
        n = len(findings)
        print(f"cosmofy preflight: {n} error{'s' if n > 1 else ''} (strict: true): "
              "Cosmopolitan Python cannot run this as it is")
    return 1 if strict and findings else 0


if __name__ == "__main__":
    STRICT = sys.argv[2] == "1"
    try:
        status = main(sys.argv[1], STRICT)
    except Exception as e:  # a bug here must not stop a build that is not strict
        print(("error: " if STRICT else "::freezer-warning::") +
              f"the cosmofy preflight stopped early ({type(e).__name__}: {e}); nothing more was checked")
        status = 1 if STRICT else 0
    sys.stdout.flush()
    sys.exit(status)
