# Shared by the benchmarks: paths, prerequisites, a project generator.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FREEZER="${FREEZER:-$ROOT/build/bin/freezer}"  # FREEZER=... to try another build
PYTHON="$ROOT/.venv/bin/python"
WORK="${BENCH_WORK:-/tmp/freezer-bench}"
RESULTS="$ROOT/bench/results"
mkdir -p "$WORK" "$RESULTS"

need() {
  [ -x "$FREEZER" ] && [ -x "$PYTHON" ] || { echo "bench: run scripts/setup.sh first" >&2; exit 2; }
  command -v hyperfine >/dev/null || {
    echo "bench: installing hyperfine (Debian package)"
    ${SUDO:-} apt-get install -y -qq hyperfine >/dev/null
  }
}

# make_project DIR N: a sidecar whose root holds N small Python modules (in folders of
# 100) besides its entry script, a freezer.yaml for it, committed to git.
make_project() {
  local dir="$1" n="$2"
  rm -rf "$dir"
  mkdir -p "$dir/src"
  "$PYTHON" - "$dir/src" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"pkg{i // 100:04d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"mod{i:06d}.py"), "w") as f:
        f.write(f'"""Module {i}."""\n\nVALUE = {i}\n\ndef get():\n    return VALUE * 2\n')
with open(os.path.join(root, "main.py"), "w") as f:
    f.write('import sys\nprint("app", sys.argv[1:])\n')
PY
  cat > "$dir/freezer.yaml" <<YAML
python: $PYTHON
sidecars:
  app:
    root: src
    entry: main.py
YAML
  printf '.freezer/\ndist/\n.last_build_hash\n' > "$dir/.gitignore"
  (cd "$dir" && git init -q && git add -A && git -c user.name=b -c user.email=b@b commit -qm init)
}
