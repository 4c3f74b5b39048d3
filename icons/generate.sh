#!/bin/sh
# Renders the icons that tauri.conf.json lists (and the tray icon) from icon.svg.
# Needs rsvg-convert (Debian: apt-get install librsvg2-bin) and, for icon.ico,
# ImageMagick's convert (apt-get install imagemagick).
# The files are kept in the repository; rerun this after editing icon.svg.
#
#   32x32 .. icon.png   bundle > icon in tauri.conf.json; the .deb installs each PNG into
#                       /usr/share/icons/hicolor/<size>x<size>/apps (icon.png is 512 px)
#   256x256.png         listed first, so also the window icon
#   64x64.png           also the tray icon (embedded by src-tauri/app/tray.rs)
#   128x128@2x.png      the HiDPI 128 of Tauri's default set (256 px), for macOS bundles;
#                       not listed, since the .deb would install it as "256x256@2"
#   icon.ico            Windows builds (16 to 256 px)
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
render 64 64x64.png
render 128 128x128.png
render 256 256x256.png
render 256 128x128@2x.png
render 512 icon.png

if command -v convert >/dev/null 2>&1; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    for size in 16 24 32 48 64 256; do
        rsvg-convert --width "$size" --height "$size" --keep-aspect-ratio icon.svg --output "$tmp/$size.png"
    done
    convert "$tmp/16.png" "$tmp/24.png" "$tmp/32.png" "$tmp/48.png" "$tmp/64.png" "$tmp/256.png" icon.ico
    echo "wrote icons/icon.ico (16 to 256)"
else
    echo "convert (ImageMagick) not found; icon.ico left as it is" >&2
fi
