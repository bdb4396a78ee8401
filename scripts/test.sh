#!/usr/bin/env bash
# Runs every test of the project: the Rust workspace, then the independent Python verifier over
# the published test vectors (it installs PyNaCl into target/pyvenv on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace
bash tests/python/run.sh
