"""cosmofy preflight: what Cosmopolitan Python cannot run, found before the build.

Usage: python preflight.py STAGE_DIR STRICT(0|1)
Prints one "::freezer-warning::" line per finding (freezer shows them as warnings);
exits 1 when STRICT and anything was found.
"""
import importlib.metadata
import os
import re
import sys

STAGE, STRICT = sys.argv[1], sys.argv[2] == "1"
AFFINITY = re.compile(r"\bsched_getaffinity\b")
findings = []


def scan_file(path, shown):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                if AFFINITY.search(line) and "hasattr" not in line:
                    findings.append(
                        f"{shown}:{n}: os.sched_getaffinity() does not exist in Cosmopolitan Python; "
                        "use len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()")
    except OSError:
        pass


for root, dirs, files in os.walk(STAGE):
    dirs[:] = [d for d in dirs if d != "__pycache__"]
    for name in files:
        path = os.path.join(root, name)
        if name.endswith(".py"):
            scan_file(path, os.path.relpath(path, STAGE))
        elif name.endswith((".so", ".pyd")):
            findings.append(f"{os.path.relpath(path, STAGE)}: a C extension; cosmofy bundles pure Python only")

# Dependencies named in pyproject.toml, as installed for this interpreter.
deps = []
try:
    import tomllib

    with open(os.path.join(STAGE, "pyproject.toml"), "rb") as f:
        deps = tomllib.load(f).get("project", {}).get("dependencies", [])
except (OSError, ImportError, ValueError):
    pass
for spec in deps:
    name = re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0]
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        continue
    for f in dist.files or []:
        s = str(f)
        if s.endswith((".so", ".pyd")):
            findings.append(f"dependency {name}: has C extensions ({s}); cosmofy bundles pure Python only")
            break
    for f in dist.files or []:
        if str(f).endswith(".py"):
            scan_file(f.locate(), f"dependency {name}: {f}")

for message in findings:
    print("::freezer-warning::" + message)
sys.exit(1 if STRICT and findings else 0)
