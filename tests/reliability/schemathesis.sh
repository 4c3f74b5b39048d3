#!/usr/bin/env bash
# Schemathesis (from PyPI) against the OpenAPI document of a running `hooky serve`:
# generated valid and invalid requests on every operation (the live stream excepted),
# checking that no answer is a server error and that every documented answer matches
# its schema. Operations with an id in their path get the ids of seeded resources
# (schemathesis_seed.py), so their cases reach past the lookup.
#
#   tests/reliability/schemathesis.sh            short: 50 examples per operation (about a minute)
#   HOOKY_FULL=1 tests/reliability/schemathesis.sh   500 examples per operation, stateful phase too
#
# HOOKY_SCHEMATHESIS_EXAMPLES and HOOKY_SCHEMATHESIS_SEED override; HOOKY_BIN picks the
# binary (default: target/debug/hooky, built when missing). Schemathesis is installed
# once into a venv under ~/.cache/hooky. The server and Schemathesis run in a network
# namespace with only loopback (unshare), so no generated endpoint URL can send a
# delivery off the machine; without unshare they run as they are, with a warning.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
venv="${HOOKY_SCHEMATHESIS_VENV:-$HOME/.cache/hooky/schemathesis-venv}"
version="4.32.5"
bin="${HOOKY_BIN:-$target_dir/debug/hooky}"

if [ -z "${HOOKY_IN_NETNS:-}" ]; then
  if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
    echo "==> installing schemathesis $version into $venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
  fi
  if [ ! -x "$bin" ]; then
    echo "==> building hooky"
    cargo build -p hooky-cli --locked
  fi
  if command -v unshare >/dev/null && command -v ip >/dev/null && unshare --map-root-user --net true 2>/dev/null; then
    exec unshare --map-root-user --net env HOOKY_IN_NETNS=1 HOOKY_BIN="$bin" "$0" "$@"
  fi
  echo "warning: cannot make a loopback-only network namespace (unshare); running without one" >&2
else
  ip link set lo up
fi

full=0
[ -n "${HOOKY_FULL:-}" ] && [ "${HOOKY_FULL}" != 0 ] && full=1
if [ "$full" = 1 ]; then
  examples="${HOOKY_SCHEMATHESIS_EXAMPLES:-500}"
  phases="examples,coverage,fuzzing,stateful"
else
  examples="${HOOKY_SCHEMATHESIS_EXAMPLES:-50}"
  phases="examples,coverage,fuzzing"
fi
seed="${HOOKY_SCHEMATHESIS_SEED:-$RANDOM}"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

token="schemathesis-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
mkfifo "$work/stdout"
HOOKY_TOKEN="$token" HOOKY_LOG=warn "$bin" serve --listen 127.0.0.1:0 --data-dir "$work/data" \
  >"$work/stdout" 2>"$work/stderr" &
server_pid=$!
exec 3<"$work/stdout"
if ! read -r -t 30 banner <&3; then
  echo "hooky serve did not start:" >&2
  cat "$work/stderr" >&2
  exit 1
fi
# Keep draining stdout so the server never blocks on it.
cat <&3 >/dev/null &
base="${banner##*listening on }"
base="${base%%/}"
echo "==> schemathesis $version against $base (seed $seed, $examples examples per operation, phases $phases)"
# Real ids for the operations with an id in their path, or they would only ever answer 404.
"$venv/bin/python" "$root/tests/reliability/schemathesis_seed.py" "$base" "$token" "$work/schemathesis.toml"

status=0
# Schemathesis keeps a cache (e.g. failures to replay first) in .schemathesis/ of the current dir.
mkdir -p "$target_dir/schemathesis"
cd "$target_dir/schemathesis"
# The hooks keep generated catcher scripts from hanging past the request timeout.
HOOKY_SEED_BASE="$base" HOOKY_SEED_TOKEN="$token" HOOKY_SEED_IDS="$(cat "$work/schemathesis.toml.ids")" \
SCHEMATHESIS_HOOKS="$root/tests/reliability/schemathesis_hooks.py" \
"$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$base/api/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance \
  --exclude-path /api/v1/stream \
  --phases "$phases" \
  --max-examples "$examples" \
  --seed "$seed" \
  --workers 1 \
  --request-timeout 20 \
  --suppress-health-check all \
  --report junit --report-dir "$target_dir/schemathesis" \
  --no-color || status=$?

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "hooky serve died during the run:" >&2
  cat "$work/stderr" >&2
  status=1
fi
if grep -q "panicked" "$work/stderr"; then
  echo "hooky serve panicked:" >&2
  grep -A5 "panicked" "$work/stderr" >&2
  status=1
fi
echo "==> schemathesis finished with status $status (report: $target_dir/schemathesis; seed $seed)"
exit "$status"
