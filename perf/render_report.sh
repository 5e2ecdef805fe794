#!/usr/bin/env bash
# Renders a `--report-html` output to PNG and fails if the picture is blank.
#
#     perf/render_report.sh FILE.svg  [OUT.png]   # rsvg-convert → OUT.png (default FILE.png)
#     perf/render_report.sh FILE.html [OUT.png]   # every inline <svg> → OUT-chart-N.png with rsvg-convert,
#                                                 # and a headless chromium screenshot → OUT.png
#                                                 # (default OUT: FILE-page.png)
#
# A PNG counts as blank unless more than 1 % of its pixels are not white (transparent counts as
# white); the check decodes the PNG with python3's zlib alone. rsvg-convert comes from the Debian
# package librsvg2-bin, installed with apt-get when missing. The HTML screenshot needs chromium
# (apt-get install -y chromium is tried once when it is missing; HOGWILD_NO_CHROMIUM=1 skips it):
# without it the inline SVG blocks are still rendered and checked, and the script says so.
set -euo pipefail

usage() { echo "usage: $0 FILE.svg|FILE.html [OUT.png]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
input=$1
[[ -f $input ]] || { echo "$0: no such file: $input" >&2; exit 2; }
case $input in
  *.svg|*.SVG) out=${2:-${input%.*}.png} ;;
  *.html|*.htm|*.HTML) out=${2:-${input%.*}-page.png} ;;
  *) usage ;;
esac

apt_install() {
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "$@" >/dev/null 2>&1 ||
    { $sudo apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "$@" >/dev/null 2>&1; }
}

if ! command -v rsvg-convert >/dev/null; then
  echo "installing librsvg2-bin (rsvg-convert)…" >&2
  apt_install librsvg2-bin || { echo "$0: cannot install librsvg2-bin" >&2; exit 1; }
fi

# Fails (exit 1) when the PNG has 1 % or fewer non-white pixels; prints the share either way.
check_png() {
  python3 - "$1" <<'PY'
import struct, sys, zlib

path = sys.argv[1]
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit(f"{path}: not a PNG")
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    elif kind == b"IEND":
        break
    pos += 12 + length
width, height, depth, color, _, _, interlace = ihdr
channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
if depth != 8 or channels is None or interlace:
    sys.exit(f"{path}: unsupported PNG (bit depth {depth}, colour type {color}, interlace {interlace})")
raw = zlib.decompress(idat)
stride = width * channels
previous = bytearray(stride)
ink = 0
offset = 0
for _ in range(height):
    kind = raw[offset]
    line = bytearray(raw[offset + 1:offset + 1 + stride])
    offset += 1 + stride
    for i in range(stride):
        a = line[i - channels] if i >= channels else 0
        b = previous[i]
        c = previous[i - channels] if i >= channels else 0
        if kind == 1:
            line[i] = (line[i] + a) & 255
        elif kind == 2:
            line[i] = (line[i] + b) & 255
        elif kind == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, channels):
        px = line[x:x + channels]
        if channels in (2, 4) and px[-1] < 16:
            continue  # (nearly) transparent: white paper
        if min(px[:3] if channels >= 3 else px[:1]) < 245:
            ink += 1
    previous = line
share = ink / (width * height)
print(f"{path}: {width}×{height}, {100 * share:.1f} % non-white pixels")
sys.exit(0 if share > 0.01 else f"{path}: blank rendering ({100 * share:.2f} % non-white pixels, need > 1 %)")
PY
}

render_svg() {  # SVG → PNG on white, then the blank check
  rsvg-convert --background-color=white --format=png --output "$2" "$1"
  check_png "$2"
}

case $input in
  *.svg|*.SVG)
    render_svg "$input" "$out"
    ;;
  *)
    # Each inline SVG block on its own (also proves they stand alone).
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    python3 - "$input" "$tmp" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
blocks = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
if not blocks:
    print(f"{sys.argv[1]}: no inline <svg> blocks (a run without charts)", file=sys.stderr)
for i, block in enumerate(blocks, 1):
    with open(f"{sys.argv[2]}/chart-{i}.svg", "w", encoding="utf-8") as f:
        f.write(block)
PY
    for svg in "$tmp"/chart-*.svg; do
      [[ -e $svg ]] || continue
      n=${svg##*/chart-}; n=${n%.svg}
      render_svg "$svg" "${out%.png}-chart-$n.png"
    done
    # The whole page, as a browser draws it.
    browser=""
    for name in chromium chromium-browser google-chrome; do
      if command -v "$name" >/dev/null; then browser=$name; break; fi
    done
    if [[ -z $browser && -z ${HOGWILD_NO_CHROMIUM:-} ]]; then
      echo "installing chromium for the page screenshot…" >&2
      apt_install chromium && browser=chromium || true
    fi
    if [[ -z $browser ]]; then
      echo "chromium is not available: only the inline SVG charts were rendered" >&2
    else
      page=$(cd "$(dirname "$input")" && pwd)/$(basename "$input")
      "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
        --screenshot="$out" --window-size=1200,1600 "file://$page" >/dev/null 2>&1 || true
      [[ -s $out ]] || { echo "$0: $browser wrote no screenshot" >&2; exit 1; }
      check_png "$out"
    fi
    ;;
esac
