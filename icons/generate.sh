#!/bin/sh
# Renders the PNG icons that tauri.conf.json lists from icon.svg.
# Needs rsvg-convert (Debian: apt-get install librsvg2-bin).
# The PNGs are kept in the repository; rerun this after editing icon.svg.
set -eu
cd "$(dirname "$0")"

command -v rsvg-convert >/dev/null 2>&1 || {
    echo "rsvg-convert not found; install librsvg2-bin" >&2
    exit 1
}

render() { # size output
    rsvg-convert --width "$1" --height "$1" --keep-aspect-ratio icon.svg --output "$2"
    echo "wrote icons/$2 ($1x$1)"
}

render 32 32x32.png
render 128 128x128.png
render 256 128x128@2x.png
render 512 icon.png
