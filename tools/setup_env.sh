#!/usr/bin/env bash
# Create (or reuse) the Python environment and install semmim into it.
# Sourced by tools/demo.sh and tools/run_tests.sh; safe to run repeatedly:
# the install is skipped when nothing it depends on has changed.
#
#   source tools/setup_env.sh [runtime|tests]
#
# Uses the active virtual environment if there is one, else .venv in the
# repository root (created with the python3 on PATH, which must be 3.10+).
set -euo pipefail
_SEMMIM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_SEMMIM_WHAT="${1:-runtime}"

if [ -n "${VIRTUAL_ENV:-}" ]; then
    echo "[setup] using the active virtual environment $VIRTUAL_ENV"
    _SEMMIM_VENV="$VIRTUAL_ENV"
else
    _SEMMIM_VENV="$_SEMMIM_ROOT/.venv"
    if [ ! -x "$_SEMMIM_VENV/bin/python" ]; then
        echo "[setup] creating a virtual environment in $_SEMMIM_VENV"
        python3 -m venv "$_SEMMIM_VENV"
    else
        echo "[setup] reusing the virtual environment $_SEMMIM_VENV"
    fi
fi
PYTHON="$_SEMMIM_VENV/bin/python"
export PYTHON

# what the install depends on; a change triggers a reinstall
_SEMMIM_STAMP="$_SEMMIM_VENV/.semmim-$_SEMMIM_WHAT.stamp"
_SEMMIM_HASH="$(cat "$_SEMMIM_ROOT"/requirements/*.txt "$_SEMMIM_ROOT/setup.py" \
    | sha256sum | cut -d' ' -f1)"
if [ -f "$_SEMMIM_STAMP" ] && [ "$(cat "$_SEMMIM_STAMP")" = "$_SEMMIM_HASH" ] \
    && "$PYTHON" -c "import semmim" 2>/dev/null; then
    echo "[setup] requirements ($_SEMMIM_WHAT) already installed"
else
    echo "[setup] installing requirements/$_SEMMIM_WHAT.txt (torch comes from the local wheel cache; a few minutes the first time)"
    "$PYTHON" -m pip install --quiet "setuptools<81" wheel
    "$PYTHON" -m pip install --quiet -r "$_SEMMIM_ROOT/requirements/$_SEMMIM_WHAT.txt"
    echo "[setup] installing semmim in editable mode"
    "$PYTHON" -m pip install --quiet --no-deps --no-build-isolation -e "$_SEMMIM_ROOT"
    echo "$_SEMMIM_HASH" > "$_SEMMIM_STAMP"
fi
