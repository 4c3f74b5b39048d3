#!/usr/bin/env bash
# The UI's whole check, from a clean checkout:
#   1. npm deps for ui/ and tests/browser (npm ci; npm install when there is no lock yet)
#   2. the hooky binary ($HOOKY_BIN, else `cargo build -p hooky-cli` into $CARGO_TARGET_DIR or target/)
#   3. API types not stale (ui: npm run check:api), svelte-check, vitest, the production build
#   4. the browser suite: real `hooky serve`, real receivers, headless Debian Chromium
# Exits non-zero on the first failure. Screenshots land in tests/artifacts/screenshots/.
set -euo pipefail

suite_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(cd "$suite_dir/../.." && pwd)"
ui_dir="$repo_dir/ui"

step() { printf '\n==> %s\n' "$*"; }

install_deps() { # $1: folder
  if [[ -f "$1/package-lock.json" ]]; then
    (cd "$1" && npm ci --no-audit --no-fund)
  else
    (cd "$1" && npm install --no-audit --no-fund)
  fi
}

step "npm dependencies"
install_deps "$ui_dir"
install_deps "$suite_dir"

step "hooky binary"
if [[ -n "${HOOKY_BIN:-}" ]]; then
  export HOOKY_BIN="$(cd "$(dirname "$HOOKY_BIN")" && pwd)/$(basename "$HOOKY_BIN")"
else
  (cd "$repo_dir" && cargo build -p hooky-cli)
  export HOOKY_BIN="${CARGO_TARGET_DIR:-$repo_dir/target}/debug/hooky"
fi
[[ -x "$HOOKY_BIN" ]] || { echo "no hooky binary at $HOOKY_BIN" >&2; exit 1; }
echo "using $HOOKY_BIN ($("$HOOKY_BIN" --version 2>/dev/null || echo 'version unknown'))"

step "chromium"
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else
    echo "no Chromium at $chromium: apt-get install -y chromium (or set CHROMIUM_PATH)" >&2
    exit 1
  fi
fi
"$chromium" --version

step "ui: API types are up to date"
(cd "$ui_dir" && npm run --silent check:api)

step "ui: svelte-check"
(cd "$ui_dir" && npm run --silent check)

step "ui: unit tests (vitest)"
(cd "$ui_dir" && npm test)

step "ui: production build"
(cd "$ui_dir" && npm run build)

step "browser suite"
rm -rf "$repo_dir/tests/artifacts/screenshots" # no stale FAILED-… shots from an earlier run
(cd "$suite_dir" && npm test)
