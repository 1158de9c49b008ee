#!/usr/bin/env bash
# Install what the tests need (into .venv unless a venv is active) and run
# the unit suite. Extra arguments go to pytest, e.g. `-m slow` for the
# long checks.
#
#   bash tools/run_tests.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup_env.sh tests
echo "[tests] running pytest (the default suite skips tests marked slow)"
"$PYTHON" -m pytest "$@"
