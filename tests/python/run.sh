#!/usr/bin/env bash
# Runs the independent Python verifier over docs/test-vectors.json, then over the example
# signed bundle docs/example-bundle.json, then the self-test of its strict input reading
# (tests/python/test_strict.py: hostile variants of both files must be refused cleanly).
# Creates a virtual environment under target/pyvenv on first use and installs PyNaCl into it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/target/pyvenv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import nacl" 2>/dev/null; then
    "$venv/bin/pip" install --quiet pynacl
fi
"$venv/bin/python" "$root/tests/python/verify.py" "$root/docs/test-vectors.json"
"$venv/bin/python" "$root/tests/python/verify.py" --bundle "$root/docs/example-bundle.json"
"$venv/bin/python" "$root/tests/python/test_strict.py"
