#!/usr/bin/env bash
# Create the virtual environments of the servers the backend integration tests start:
# MLflow, Feast, MLServer, TorchServe, Spark (the SQL pushdown's Thrift endpoint) and Triton (PyTriton's
# bundled tritonserver with the python backend), each in its own venv (their dependencies conflict).
# Each env lives in ${VIGIL_TEST_ENVS:-$HOME/.cache/vigil-test-envs}/<name> and carries a stamp of
# the pinned requirements it was built from; a rerun with the same pins reuses it, a changed pin
# re-runs pip on it (a broken env is rebuilt). Prometheus comes from Debian (scripts/test.sh) and Java for TorchServe too.
# Usage: scripts/test_servers.sh [name ...]   (default: all)
set -euo pipefail

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
ENVS="${VIGIL_TEST_ENVS:-$HOME/.cache/vigil-test-envs}"
mkdir -p "$ENVS"

# The pins: one line per env. torch goes first and pinned wherever it is needed, so pip never
# resolves another (CUDA) build. Keep these in step with tests/integration/backends/servers.py.
# Feast 0.67's REST registry server passes FastAPI(**extra) keywords, which FastAPI 0.145 removed.
declare -A PINS=(
  [mlflow]="mlflow==3.17.2"
  [feast]="feast==0.67.0 fastapi<0.145"
  [mlserver]="mlserver==1.7.1 onnxruntime numpy"
  [torchserve]="torch==2.13.0 torchserve==0.12.0 torch-model-archiver==0.12.0 pyyaml numpy"
  [spark]="pyspark==4.3.0"
  [triton]="nvidia-pytriton==0.7.0"
)

# What a pre-built env without a stamp must hold to be adopted as it is (package==version ...).
declare -A ADOPT=(
  [mlflow]="mlflow==3.17.2"
  [feast]="feast==0.67.0"
  [mlserver]="mlserver==1.7.1"
  [torchserve]="torch==2.13.0 torchserve==0.12.0 torch-model-archiver==0.12.0"
  [spark]="pyspark==4.3.0"
  [triton]="nvidia-pytriton==0.7.0"
)

holds() {
  # True when the env's python has every package==version of $2 (local build tags ignored).
  "$1/bin/python" - "$2" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
for pin in sys.argv[1].split():
    name, _, wanted = pin.partition("==")
    if version(name).split("+")[0] != wanted:
        sys.exit(1)
EOF
}

ensure() {
  local name="$1" dir="$ENVS/$1" pins="${PINS[$1]}"
  local stamp="$dir/.vigil-pins"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pins" ] && [ -x "$dir/bin/python" ]; then
    echo "test env $name: cached ($pins)"
    return
  fi
  if [ ! -f "$stamp" ] && [ -x "$dir/bin/python" ] && holds "$dir" "${ADOPT[$name]}"; then
    echo "$pins" >"$stamp"
    echo "test env $name: adopted ($pins)"
    return
  fi
  echo "test env $name: installing $pins into $dir"
  local started=$SECONDS
  if ! "$dir/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$dir"
    "$PYTHON" -m venv "$dir"
    "$dir/bin/python" -m pip install -q --upgrade pip
  fi
  local first
  for first in $pins; do
    if [ "${first%%==*}" = torch ]; then
      "$dir/bin/pip" install -q "$first"
    fi
  done
  # shellcheck disable=SC2086
  "$dir/bin/pip" install -q $pins
  echo "$pins" >"$stamp"
  echo "test env $name: installed in $((SECONDS - started)) s"
}

if [ $# -eq 0 ]; then
  set -- mlflow feast mlserver torchserve spark triton
fi
for name in "$@"; do
  if [ -z "${PINS[$name]+x}" ]; then
    echo "unknown test env: $name (known: ${!PINS[*]})" >&2
    exit 2
  fi
  ensure "$name"
done
