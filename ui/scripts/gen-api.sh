#!/usr/bin/env bash
# Generates the API types from the engine's OpenAPI document.
#
#   scripts/gen-api.sh           writes src/lib/api/openapi.json and src/lib/api/schema.d.ts
#   scripts/gen-api.sh --check   regenerates into a temp dir and fails if the committed files differ
#
# The hooky binary comes from $HOOKY_BIN, else ../target/debug/hooky (build it with
# `cargo build -p hooky-cli` at the repository root).
set -euo pipefail

ui_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ui_dir"
hooky="${HOOKY_BIN:-../target/debug/hooky}"
api_dir="src/lib/api"

if [[ ! -x "$hooky" ]]; then
  echo "gen-api: no hooky binary at $hooky; run 'cargo build -p hooky-cli' at the repository root or set HOOKY_BIN" >&2
  exit 2
fi

generate() { # $1: output folder
  "$hooky" openapi > "$1/openapi.json"
  npx --no-install openapi-typescript "$1/openapi.json" --output "$1/schema.d.ts" --alphabetize --empty-objects-unknown >/dev/null
}

if [[ "${1:-}" == "--check" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  generate "$tmp"
  stale=0
  for file in openapi.json schema.d.ts; do
    if ! diff -q "$api_dir/$file" "$tmp/$file" >/dev/null 2>&1; then
      echo "gen-api: $api_dir/$file is stale; run 'npm run gen:api' in ui/ and commit the result" >&2
      diff -u "$api_dir/$file" "$tmp/$file" | head -40 >&2 || true
      stale=1
    fi
  done
  if [[ $stale -ne 0 ]]; then exit 1; fi
  echo "gen-api: API types are up to date"
else
  generate "$api_dir"
  echo "gen-api: wrote $api_dir/openapi.json and $api_dir/schema.d.ts"
fi
