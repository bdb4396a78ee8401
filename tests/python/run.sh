#!/usr/bin/env bash
# Runs the independent Python verifier over docs/test-vectors.json, then over the example
# signed bundle docs/example-bundle.json and the bundle vectors docs/bundle-vectors.json
# (tests/python/bundle_vectors.py: each verdict as council verify gave it), then the self-test
# of its strict input reading (tests/python/test_strict.py: hostile variants of both files must
# be refused cleanly), then the self-test of the bundle's decoding and replay
# (tests/python/test_bundle.py: mutated and freshly signed bundles must give the verdicts
# docs/format.md section 10 prescribes), then a generated corpus of hostile bundles against
# council verify's verdicts (tests/python/corpus.py).
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
"$venv/bin/python" "$root/tests/python/bundle_vectors.py" "$root/docs/bundle-vectors.json"
"$venv/bin/python" "$root/tests/python/test_strict.py"
"$venv/bin/python" "$root/tests/python/test_bundle.py"
# The generated corpus of hostile bundles (app/tests/app/hostile_corpus.rs writes each with
# council verify's verdict): both implementations must agree on every field of every one.
(cd "$root" && cargo test --quiet -p council-app --test app hostile_corpus >/dev/null)
"$venv/bin/python" "$root/tests/python/corpus.py" \
    "${CARGO_TARGET_DIR:-$root/target}/tmp/hostile-bundles"
# With COMPARE_RUST=1 and a built council binary, also compare the two implementations'
# verdicts on the example bundle (tests/python/compare.py; not run by default, since the
# binary may be missing or being rebuilt).
if [ "${COMPARE_RUST:-}" = 1 ] && [ -x "$root/target/debug/council" ]; then
    rust_json="$(mktemp)"
    "$root/target/debug/council" verify --bundle "$root/docs/example-bundle.json" --json \
        >"$rust_json" || true
    "$venv/bin/python" "$root/tests/python/compare.py" --bundle \
        "$root/docs/example-bundle.json" "$rust_json"
    rm -f "$rust_json"
fi
