"""Gives cosmofy a script that uv can set up: the sidecar's entry with an inline script
metadata block (PEP 723) naming the dependencies and requires-python of its
pyproject.toml.

cosmofy bundles a script (`cosmofy bundle --script`) by running `uv sync --script` on
it, which reads the script's own metadata block and nothing else: a script without one
fails ("does not contain a PEP 723 metadata tag"), and pyproject.toml is not read. A
script that has a block already is copied as it is.

Usage: python script_metadata.py PYPROJECT SOURCE OUT
"""
import json
import sys

pyproject, source, out = sys.argv[1:4]
with open(source, encoding="utf-8") as f:
    text = f.read()

if any(line.rstrip() == "# /// script" for line in text.splitlines()):
    print(f"{source} has its own script metadata block: used as it is")
else:
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        sys.exit("cosmofy script metadata: reading pyproject.toml needs Python 3.11 or later (tomllib)")
    with open(pyproject, "rb") as f:
        project = tomllib.load(f).get("project", {})
    deps = project.get("dependencies", [])
    # TOML basic strings take JSON's escapes.
    block = ["# /// script"]
    if "requires-python" in project:
        block.append(f"# requires-python = {json.dumps(project['requires-python'])}")
    block.append("# dependencies = [" + ", ".join(json.dumps(d) for d in deps) + "]")
    block.append("# ///")
    lines = text.splitlines(keepends=True)
    # A shebang and an encoding declaration must stay the first lines.
    head = 0
    while head < len(lines) and head < 2 and (lines[head].startswith("#!") or "coding" in lines[head]):
        head += 1
    text = "".join(lines[:head]) + "\n".join(block) + "\n" + "".join(lines[head:])
    print(f"script metadata from {pyproject}: {len(deps)} dependencies"
          + (f", requires-python {project['requires-python']}" if "requires-python" in project else ""))

with open(out, "w", encoding="utf-8") as f:
    f.write(text)
