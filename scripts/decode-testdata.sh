#!/usr/bin/env bash
# Writes fastgo/vision/testdata's web images and Pillow's pixels of them
# (what TestDecodeWebImagesLikePillow compares with): progressive JPEGs
# with restart markers (jpegtran from Debian's libjpeg-turbo-progs), the
# same without them, arithmetic-coded ones, animated WebPs (Pillow, and webpmux from Debian's webp
# for a first frame smaller than the canvas, with alpha). Pillow's pixels
# are Image.open(f).convert("RGB").tobytes(), Debian's python3-pil.
set -euo pipefail
cd "$(dirname "$0")/.."
out=fastgo/vision/testdata
if ! command -v jpegtran >/dev/null || ! command -v webpmux >/dev/null || ! /usr/bin/python3 -c 'import PIL' 2>/dev/null; then
	apt-get install -y libjpeg-turbo-progs webp python3-pil >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp" <<'PY'
import sys
from PIL import Image
tmp = sys.argv[1]
# An odd size (61x45): partial MCUs and chroma blocks at the edges.
src = Image.open("testdata/images/pug_166.jpg").convert("RGB").resize((61, 45), Image.BILINEAR)
src.save(tmp + "/base420.jpg", quality=90)
src.save(tmp + "/base422.jpg", quality=90, subsampling=1)
src.save("fastgo/vision/testdata/still.webp", quality=80)
src.save("fastgo/vision/testdata/anim.webp", save_all=True, duration=100, loop=0, quality=80,
         append_images=[src.transpose(Image.FLIP_LEFT_RIGHT)])
src.save("fastgo/vision/testdata/anim_lossless.webp", save_all=True, duration=100, loop=0, lossless=True,
         append_images=[src.transpose(Image.FLIP_LEFT_RIGHT)])
small = src.crop((5, 5, 35, 25)).convert("RGBA")
px = small.load()
for y in range(small.size[1]):
    for x in range(small.size[0]):
        r, g, b, a = px[x, y]
        px[x, y] = (r, g, b, 0 if (x + y) % 5 == 0 else 255)
small.save(tmp + "/f1.webp", quality=85)
src.transpose(Image.FLIP_TOP_BOTTOM).save(tmp + "/f2.webp", quality=85)
PY
jpegtran -progressive -restart 1 "$tmp/base420.jpg" > $out/progressive_restart_420.jpg
jpegtran -progressive "$tmp/base420.jpg" > $out/progressive_420.jpg
jpegtran -progressive -restart 3B "$tmp/base422.jpg" > $out/progressive_restart_422.jpg
jpegtran -progressive "$tmp/base422.jpg" > $out/progressive_422.jpg
# Arithmetic coding, which image/jpeg does not decode (named in its error).
jpegtran -arithmetic "$tmp/base420.jpg" > $out/arithmetic_420.jpg
jpegtran -arithmetic -progressive "$tmp/base420.jpg" > $out/arithmetic_progressive_420.jpg
webpmux -frame "$tmp/f1.webp" +100+8+6+0-b -frame "$tmp/f2.webp" +100+0+0+0+b -loop 0 -o $out/anim_offset_alpha.webp >/dev/null
/usr/bin/python3 - <<'PY'
from PIL import Image
import glob
for f in sorted(glob.glob("fastgo/vision/testdata/*.jpg") + glob.glob("fastgo/vision/testdata/*.webp")):
    im = Image.open(f)
    open(f + ".pillow.rgb", "wb").write(im.convert("RGB").tobytes())
    print(f, im.size, getattr(im, "n_frames", 1))
PY
