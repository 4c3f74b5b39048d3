#!/usr/bin/env bash
# cargo-fuzz (libFuzzer) on the engine's parsers and matchers:
#   filter        event-filter validation and matching, against a reference matcher
#   trigger_body  the trigger route's body parser (parse_trigger_body)
#   json_depth    the payload nesting-depth scanner, against serde_json
#   retry_after   Retry-After parsing and the retry time it leads to
#   signature     the Standard Webhooks verifier: no panic, sign/verify round trip, tampering refused
#   template      fixture templates: check and render never panic and agree on what is valid
#   fixture       the fixture file parser: no panic, 1-based error places, at least one variation
#
#   tests/reliability/fuzz.sh                  short: 20 s per target (about 80 s after the build)
#   HOOKY_FULL=1 tests/reliability/fuzz.sh     300 s per target
#   tests/reliability/fuzz.sh filter           one target
#
# HOOKY_FUZZ_SECS overrides the time per target. cargo-fuzz needs nightly flags: on a stable
# toolchain this sets RUSTC_BOOTSTRAP=1. It installs cargo-fuzz when missing. The first build
# compiles the engine with sanitizer coverage (about 11 minutes on two cores); later ones reuse
# <cargo target dir>/fuzz. A crash leaves its input in src-tauri/engine/fuzz/artifacts/<target>/
# and fails the script; replay it with `RUSTC_BOOTSTRAP=1 cargo fuzz run <target> <file>` there.
# The same properties also run on stable, on generated inputs, in src-tauri/engine/tests/fuzz_props.rs.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root/src-tauri/engine/fuzz"
# Beside the workspace's own builds (and as persistent as they are, e.g. in CI), but apart:
# the sanitizer flags would otherwise make the two evict each other.
target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
fuzz_target_dir="$target_dir/fuzz"

full=0
[ -n "${HOOKY_FULL:-}" ] && [ "${HOOKY_FULL}" != 0 ] && full=1
secs="${HOOKY_FUZZ_SECS:-$([ "$full" = 1 ] && echo 300 || echo 20)}"
sanitizer="${HOOKY_FUZZ_SANITIZER:-address}"
all_targets=(filter trigger_body json_depth retry_after signature template fixture)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
# The same dependency versions as the workspace: start from its lock file.
[ -f Cargo.lock ] || cp ../../../Cargo.lock Cargo.lock
if ! rustc --version | grep -q nightly; then
  export RUSTC_BOOTSTRAP=1
fi

echo "==> building ${targets[*]} (sanitizer: $sanitizer)"
for target in "${targets[@]}"; do
  cargo fuzz build --sanitizer "$sanitizer" --target-dir "$fuzz_target_dir" "$target"
done

status=0
for target in "${targets[@]}"; do
  echo "==> fuzzing $target for $secs s"
  mkdir -p "corpus/$target"
  if ! cargo fuzz run --sanitizer "$sanitizer" --target-dir "$fuzz_target_dir" "$target" "corpus/$target" "seeds/$target" -- \
      -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 2>"corpus/$target.log"; then
    echo "!! $target found a problem:" >&2
    tail -40 "corpus/$target.log" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+.*DONE" "corpus/$target.log" || tail -3 "corpus/$target.log"
  fi
done
exit "$status"
