"""Validates freezer.yaml files against config/freezer.schema.json, and checks that the
schema rejects what freezer rejects. Run by ctest with the project's venv."""
import json
import pathlib
import sys

import jsonschema
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
schema = json.loads((ROOT / "config" / "freezer.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

failures = 0
good = [ROOT / "examples" / "freezer.yaml", *sorted((ROOT / "config" / "examples").glob("*.yaml"))]
for path in good:
    errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
    for e in errors:
        print(f"FAIL {path}: {'.'.join(map(str, e.path))}: {e.message}")
    failures += bool(errors)
    print(("ok   " if not errors else "FAIL ") + str(path.relative_to(ROOT)))

bad = {
    "unknown key": "sidecars: {api: {entyr: main.py}}",
    "both entry and module": "sidecars: {api: {entry: a.py, module: a}}",
    "neither entry nor module": "sidecars: {api: {root: x}}",
    "bad mode": "sidecars: {api: {entry: a.py, mode: fat}}",
    "path outside project": "sidecars: {api: {root: ../x, entry: a.py}}",
    "bad sidecar name": "sidecars: {'../evil': {entry: a.py}}",
    "unknown pyinstaller option": "sidecars: {api: {entry: a.py, backends: {pyinstaller: {optimise: 1}}}}",
    "token in the file": "cache: {remote: {url: 'http://c', token: abc}}",
    "remote url not http": "cache: {remote: {url: 'ftp://c'}}",
    "bad max_size": "cache: {max_size: lots}",
    "http path without slash": "sidecars: {api: {entry: a.py, smoke: {http: {path: health}}}}",
}
for name, text in bad.items():
    ok = validator.is_valid(yaml.safe_load(text))
    print(("FAIL " if ok else "ok   ") + "rejects " + name)
    failures += ok

print(f"{len(good) + len(bad) - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
