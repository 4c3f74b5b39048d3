#!/usr/bin/env bash
# The desktop package (.deb), with the `hooky` CLI beside the app in /usr/bin, so the
# commands the Settings screen shows work after installing it.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --locked -p hooky-cli
# Merged into tauri.conf.json for this build: the CLI's path depends on the target dir.
extra="{\"bundle\":{\"linux\":{\"deb\":{\"files\":{\"/usr/bin/hooky\":\"$target_dir/release/hooky\"}}}}}"
npm --prefix tests/desktop run deb -- --config "$extra"
