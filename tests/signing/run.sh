#!/usr/bin/env bash
# Checks Hooky's signatures with the reference Standard Webhooks verifier from PyPI.
set -euo pipefail
cd "$(dirname "$0")"
venv="${HOOKY_CACHE:-$HOME/.cache/hooky}/venv-signing"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import standardwebhooks' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'standardwebhooks>=1.0'
fi
exec "$venv/bin/python" reference_test.py
