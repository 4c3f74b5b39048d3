#!/usr/bin/env bash
# Every test suite of Hooky, in order from fastest to slowest. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
export HOOKY_BIN="$target_dir/debug/hooky"

step() { printf '\n==> %s\n' "$*"; }

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "engine and CLI: unit, integration and black-box tests"
cargo test -p hooky-engine -p hooky-cli --locked

step "signatures against the reference Standard Webhooks verifier (PyPI)"
cargo build -p hooky-cli --locked
tests/signing/run.sh

step "benchmark smoke run (figures are printed, never asserted)"
"$HOOKY_BIN" bench --quick

step "desktop shell builds"
cargo build -p hooky-desktop --locked

if [ -x tests/browser/run.sh ]; then
  step "web UI: type check, unit tests, browser suite"
  cargo build -p hooky-cli --locked
  tests/browser/run.sh
fi

if [ -x tests/desktop/run.sh ]; then
  step "desktop window suite"
  tests/desktop/run.sh
fi
step "schemathesis against the OpenAPI document"
tests/reliability/schemathesis.sh

step "fuzzing, short mode (HOOKY_FULL=1 for the long run)"
tests/reliability/fuzz.sh

step "all suites passed"
