#!/usr/bin/env bash
# The desktop suite: builds what is missing, then drives the real hooky-desktop
# binary through tauri-driver and WebKitWebDriver on a private Xvfb display and
# D-Bus session. Exits non-zero on failure and leaves no process behind.
#
#   tests/desktop/run.sh                 # builds the UI and the binary if needed
#   HOOKY_DESKTOP_BIN=path tests/desktop/run.sh   # tests that binary instead
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
suite=$repo/tests/desktop
target_dir="${CARGO_TARGET_DIR:-$repo/target}"

step() { printf '\n--> %s\n' "$*"; }

for tool in xvfb-run dbus-run-session WebKitWebDriver xwininfo import; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "desktop suite: $tool is missing; run scripts/setup.sh (xvfb, dbus, webkit2gtk-driver, x11-utils, imagemagick)" >&2
    exit 1
  }
done

step "npm packages of the desktop suite"
if [ -f "$suite/package-lock.json" ]; then
  (cd "$suite" && npm ci --no-audit --no-fund --loglevel=error)
else
  (cd "$suite" && npm install --no-audit --no-fund --loglevel=error)
fi

export PATH="$HOME/.cargo/bin:$PATH"
if [ -z "${TAURI_DRIVER:-}" ] && ! command -v tauri-driver >/dev/null 2>&1; then
  step "installing tauri-driver"
  cargo install tauri-driver --locked --quiet
fi

if [ -z "${HOOKY_DESKTOP_BIN:-}" ]; then
  if [ -f ui/package.json ]; then
    # The binary embeds ui/dist, so the UI is built first when its sources changed.
    if [ ! -f ui/dist/index.html ] || [ -n "$(find ui/src ui/index.html ui/public ui/package.json -newer ui/dist/index.html -print -quit 2>/dev/null)" ]; then
      step "building the web UI into ui/dist"
      [ -x ui/node_modules/.bin/vite ] || (cd ui && npm ci --no-audit --no-fund --loglevel=error)
      (cd ui && npm run build)
    fi
  fi
  step "building the desktop binary"
  cargo build -p hooky-desktop --locked
  export HOOKY_DESKTOP_BIN="$target_dir/debug/hooky-desktop"
fi
[ -x "$HOOKY_DESKTOP_BIN" ] || { echo "desktop suite: no binary at $HOOKY_DESKTOP_BIN" >&2; exit 1; }

# Every process of this run carries this marker, so the cleanup ends exactly those.
export HOOKY_DESKTOP_SUITE_RUN="$$-$(date +%s%N)"
cleanup() {
  local pid
  for environ in /proc/[0-9]*/environ; do
    pid=${environ#/proc/}
    pid=${pid%/environ}
    [ "$pid" = "$$" ] && continue
    if { tr '\0' '\n' <"$environ"; } 2>/dev/null | grep -qx "HOOKY_DESKTOP_SUITE_RUN=$HOOKY_DESKTOP_SUITE_RUN"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}
trap cleanup EXIT

# WebKitGTK under Xvfb: there is no GPU to share DMA-BUFs with.
export WEBKIT_DISABLE_DMABUF_RENDERER=1

step "desktop suite ($HOOKY_DESKTOP_BIN)"
mkdir -p tests/artifacts/desktop
xvfb-run --auto-servernum --server-args="-screen 0 1440x960x24" \
  dbus-run-session -- bash -c 'cd tests/desktop && npm test'
echo "desktop suite: screenshots in tests/artifacts/desktop/"
