#!/usr/bin/env python3
"""The code map of docs/architecture.md, checked: each folder includes only from the
folders it may depend on. A quoted include names its folder ("cache/manifest.hpp");
one without a folder is a file of the same folder; <freezer/...> is the SDK or config.
Run: python3 tests/layers_test.py [SOURCE_DIR]"""
import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)

# folder -> the core layers it may include from (besides itself, the SDK and config).
ALLOWED = {
    "core/util": set(),
    "core/platform": {"util"},
    "core/inputs": {"util", "platform"},
    "core/cache": {"util", "platform", "inputs"},
    "core/process": {"util", "platform"},
    "core/plugins": {"util", "platform", "process"},
    "core/engine": {"util", "platform", "inputs", "cache", "process", "plugins"},
    "compare": {"util", "inputs", "process", "plugins", "engine"},
    "cli": {"util", "platform", "engine"},
    "config": set(),
    "backends": set(),
}
LAYERS = {"util", "platform", "inputs", "cache", "process", "plugins", "engine"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

problems = []
checked = 0
for folder, allowed in ALLOWED.items():
    for path in sorted((ROOT / folder).rglob("*.[ch]pp")):
        checked += 1
        for inc in INCLUDE.findall(path.read_text()):
            head = inc.split("/")[0] if "/" in inc else None
            if head is None:
                continue  # a file of the same folder
            if head in LAYERS and head not in allowed and f"core/{head}" != folder:
                problems.append(f"{path.relative_to(ROOT)}: includes \"{inc}\", but {folder}/ may use only "
                                f"{', '.join(sorted(allowed)) or 'itself'} (docs/architecture.md, code map)")
            elif head not in LAYERS and not (ROOT / folder / inc).exists() and not (ROOT / inc).exists():
                problems.append(f"{path.relative_to(ROOT)}: includes \"{inc}\", which is no file of the code map")

for p in problems:
    print(p)
print(f"{checked} files checked, {len(problems)} layering problem(s)")
sys.exit(1 if problems else 0)
