#!/usr/bin/env bash
# make bench-epoch: one training epoch over the pets sample, data loading and
# augmentation included, fastgo vs a PyTorch loop doing the same work
# (ResNet18 at 128 px from a 192 px presize by default). BASELINE=path to an
# older bench-epoch binary runs it too, first, for a before/after figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/goenv.sh
IMAGES=${IMAGES:-../shared/data/oxford-iiit-pet-sample/images}
ARCH=${ARCH:-resnet18} SIZE=${SIZE:-128} PRESIZE=${PRESIZE:-192}
[ -d "$IMAGES" ] || { echo "bench-epoch: no images at $IMAGES; set IMAGES" >&2; exit 1; }
bash scripts/deps-torch.sh
go build -o build/bench-epoch ./bench/epoch
if [ -n "${BASELINE:-}" ]; then
  echo "baseline: $("$BASELINE" -images "$IMAGES" -arch "$ARCH" -size "$SIZE" -presize "$PRESIZE" 2>/dev/null)"
fi
echo "fastgo:  $(./build/bench-epoch -images "$IMAGES" -arch "$ARCH" -size "$SIZE" -presize "$PRESIZE" 2>/dev/null)"
echo "pytorch: $(/usr/bin/python3 bench/epoch/torch_epoch.py "$IMAGES" "$ARCH" "$SIZE" "$PRESIZE")"
