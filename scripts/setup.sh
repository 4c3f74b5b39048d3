#!/usr/bin/env bash
# Installs what building and testing Hooky needs on Debian or Ubuntu, skipping what is there.
# Used by `make run` and `make test`; safe to run again.
set -euo pipefail

APT_PACKAGES=(
  pkg-config curl ca-certificates build-essential python3 python3-venv
  # the desktop shell (Tauri 2 on WebKitGTK)
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev
  # the browser and desktop suites
  xvfb xauth webkit2gtk-driver chromium fonts-dejavu-core dbus x11-utils imagemagick
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "setup: installing the Rust toolchain with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is needed (found $(node --version)); install it from your distribution or nodejs.org" >&2
  exit 1
fi

# npm packages of the UI and of the browser suite, from their lock files.
for dir in ui tests/browser tests/desktop; do
  if [ -f "$dir/package.json" ]; then
    if [ -f "$dir/package-lock.json" ]; then
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    else
      (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
    fi
  fi
done

# tauri-driver bridges WebDriver to WebKitWebDriver for the desktop suite.
if [ -d tests/desktop ] && ! command -v tauri-driver >/dev/null 2>&1; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --locked --quiet
fi
echo "setup: ready"
