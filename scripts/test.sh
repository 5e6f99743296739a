#!/usr/bin/env bash
# Install everything the tests need, then lint, type-check and run the whole suite.
# The README's test command and .ci/run both run this script.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

# System packages: tmux (the end-to-end TUI test), Prometheus (the scrape test) and
# openssh-server + client (the console over a real SSH session, tests/integration/test_ssh.py).
missing=()
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
# Triton's python backend stub (PyTriton's, scripts/test_servers.sh) links Debian's libpython3.11.
dpkg -s libpython3.11 >/dev/null 2>&1 || missing+=(libpython3.11)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch first and pinned: the CPU build; a looser requirement pulls several GB of CUDA packages.
.venv/bin/pip install -q torch==2.13.0
.venv/bin/pip install -q -e '.[torch,dev]'
# The real servers behind the backends (MLflow, Feast, MLServer, TorchServe), each in its own
# cached venv under ${VIGIL_TEST_ENVS:-~/.cache/vigil-test-envs}.
bash scripts/test_servers.sh

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy console backends runbooks local_serving
echo "== import-linter"
.venv/bin/lint-imports
echo "== pytest"
.venv/bin/pytest -p no:cacheprovider --durations=20 "$@"
