#!/usr/bin/env bash
# make bench-data: fastgo's item pipeline (decode + Resize(460) + collate,
# batch 64, 2 workers) against torchvision's DataLoader doing the same work,
# in one run. Prints images/s for each, the ratio and peak memory (max RSS
# of the largest process, from /usr/bin/time -v). The machine's load is
# printed too: on a shared machine the figures move with it. BASELINE=path
# to an older bench-data binary measures it too (as the variant baseline).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/goenv.sh
IMAGES=${IMAGES:-../shared/data/oxford-iiit-pet-sample/images}
EPOCHS=${EPOCHS:-2}
if [ ! -d "$IMAGES" ]; then
  echo "bench-data: no images at $IMAGES; set IMAGES=<folder of pet images>" >&2
  exit 1
fi
PY=/usr/bin/python3 # Debian's torch stack; the python3 first on PATH may be another one
bash scripts/deps-torch.sh
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench-data: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# fastgo decodes JPEG with image/jpeg by default; with cgo and libjpeg-turbo's
# headers (Debian: libjpeg62-turbo-dev) the libjpeg build is measured too.
variants=(purego)
go build -o "$out/bench-purego" ./bench/data
if [ -f /usr/include/jpeglib.h ] && [ "$(go env CGO_ENABLED)" = 1 ]; then
  go build -tags libjpeg -o "$out/bench-libjpeg" ./bench/data && variants+=(libjpeg)
fi
if [ -n "${BASELINE:-}" ]; then
  cp "$BASELINE" "$out/bench-baseline" && variants=(baseline "${variants[@]}")
fi
cat "$IMAGES"/* >/dev/null # warm the page cache for both sides
for v in "${variants[@]}"; do
  echo "== fastgo, $v JPEG decoding ($(go version | cut -d' ' -f3), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
  $TIME -v "$out/bench-$v" -images "$IMAGES" -epochs "$EPOCHS" 2> "$out/$v.time" | tee "$out/$v.txt"
done
echo "== torchvision"
$TIME -v "$PY" bench/data/torch_loader.py --images "$IMAGES" --epochs "$EPOCHS" 2> "$out/py.time" | tee "$out/py.txt"

rss() { awk -F': ' '/Maximum resident set size/ {printf "%.0f MiB", $2/1024}' "$1"; }
py_ips=$(awk '/^RESULT torchvision/ {print $3}' "$out/py.txt")
echo "== summary (load after: $(cut -d' ' -f1-3 /proc/loadavg))"
printf 'torchvision       %8.1f images/s  peak RSS %s (largest single process; workers are separate processes)\n' "$py_ips" "$(rss "$out/py.time")"
for v in "${variants[@]}"; do
  go_ips=$(awk '/^RESULT fastgo/ {print $3}' "$out/$v.txt")
  printf 'fastgo %-10s %8.1f images/s  peak RSS %s  ' "$v" "$go_ips" "$(rss "$out/$v.time")"
  awk -v a="$go_ips" -v b="$py_ips" 'BEGIN {printf "%.2fx torchvision (target >= 2x)\n", a/b}'
done
