"""freezer's import scanner: what each Python file imports, as the packagers' module
analysis sees it, read from the syntax tree (never the text: a docstring that says
"import os" imports nothing).

usage: python -I -c <script> ROOT LIST_FILE
LIST_FILE holds one path per line, relative to ROOT. Prints one JSON object:
  {"path": {"imports": ["app.util", "json", ".models", ".models.User", ...]}, ...}
or, for a file that does not parse, {"path": {"error": "SyntaxError: ... (line 3)"}}.

What counts, anywhere in the file (in functions too, as modulegraph scans them):
  import a.b [as c]            -> "a.b"
  from a import x, y           -> "a", "a.x", "a.y" (x may be a submodule)
  from ..a import x            -> "..a", "..a.x"   (relative, as written)
  from a import *              -> "a", "a.*"
  __import__("a"), importlib.import_module("a"), import_module("a") with a string
  literal first argument       -> "a"
A file's set is sorted and has no duplicates; two versions of a file with equal sets
pull in the same modules.
"""
import ast
import json
import os
import sys

DYNAMIC = {"__import__", "import_module"}


def imports_of(tree):
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found.add(base)
            for alias in node.names:
                sep = "" if base.endswith(".") else "."
                found.add(base + sep + alias.name)
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if name in DYNAMIC and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return sorted(found)


def main(root, list_file):
    out = {}
    with open(list_file, encoding="utf-8", errors="surrogateescape") as f:
        paths = [line.rstrip("\n") for line in f if line.strip()]
    for rel in paths:
        try:
            with open(os.path.join(root, rel), "rb") as f:
                tree = ast.parse(f.read(), rel)
            out[rel] = {"imports": imports_of(tree)}
        except SyntaxError as e:
            out[rel] = {"error": f"SyntaxError: {e.msg} (line {e.lineno})"}
        except (OSError, ValueError) as e:
            out[rel] = {"error": f"{type(e).__name__}: {e}"}
    json.dump(out, sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
