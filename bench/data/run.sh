#!/usr/bin/env bash
# make bench-data: fastgo's item pipeline (decode + Resize(460) + collate,
# batch 64, 2 workers) against torchvision's DataLoader doing the same work,
# in one run. Prints images/s for each, the ratio and peak memory (max RSS
# of the largest process, from /usr/bin/time -v).
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOEXPERIMENT=simd
IMAGES=${IMAGES:-../shared/data/oxford-iiit-pet-sample/images}
EPOCHS=${EPOCHS:-2}
if [ ! -d "$IMAGES" ]; then
  echo "bench-data: no images at $IMAGES; set IMAGES=<folder of pet images>" >&2
  exit 1
fi
# Debian's torch stack; the python3 first on PATH may be another one.
PY=/usr/bin/python3
if ! "$PY" -c 'import torch, torchvision, PIL' 2>/dev/null; then
  echo "bench-data: installing python3-torch python3-torchvision python3-pil with apt-get" >&2
  apt-get update -qq && apt-get install -y -qq python3-torch python3-torchvision python3-pil >/dev/null
fi
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench-data: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/bench-data" ./bench/data
cat "$IMAGES"/* >/dev/null # warm the page cache for both sides
echo "== fastgo ($(go version | cut -d' ' -f3), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
$TIME -v "$out/bench-data" -images "$IMAGES" -epochs "$EPOCHS" 2> "$out/go.time" | tee "$out/go.txt"
echo "== torchvision"
$TIME -v "$PY" bench/data/torch_loader.py --images "$IMAGES" --epochs "$EPOCHS" 2> "$out/py.time" | tee "$out/py.txt"

rss() { awk -F': ' '/Maximum resident set size/ {printf "%.0f MiB", $2/1024}' "$1"; }
go_ips=$(awk '/^RESULT fastgo/ {print $3}' "$out/go.txt")
py_ips=$(awk '/^RESULT torchvision/ {print $3}' "$out/py.txt")
echo "== summary (load after: $(cut -d' ' -f1-3 /proc/loadavg))"
printf 'fastgo      %8.1f images/s  peak RSS %s\n' "$go_ips" "$(rss "$out/go.time")"
printf 'torchvision %8.1f images/s  peak RSS %s (largest single process; workers are separate processes)\n' "$py_ips" "$(rss "$out/py.time")"
awk -v a="$go_ips" -v b="$py_ips" 'BEGIN {printf "ratio fastgo/torchvision: %.2fx (target >= 2x)\n", a/b}'
