#!/usr/bin/env bash
# make gpu-check: fastgo on an NVIDIA GPU against PyTorch (see cmd/gpucheck).
#
# Prints the backend fastgo chose; ResNet34 training steps at 224 px, batch
# 64, in float32 and bfloat16 (images/s); the augmentation graph (images/s);
# one FineTune(1) over ../shared/data/oxford-iiit-pet-sample, end to end; the
# same with PyTorch + torchvision when a python with torch is found
# (TORCH_PYTHON, else python3); and the ratios. On a machine without a GPU, or
# without a PJRT CUDA plugin, it says so and exits 0.
#
# Variables: GPUCHECK_ARGS (extra flags for cmd/gpucheck, e.g. "-steps 20"),
# TORCH_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/goenv.sh

if [ ! -d /proc/driver/nvidia/gpus ] && ! nvidia-smi -L >/dev/null 2>&1; then
	echo "gpu-check: no NVIDIA GPU on this machine (no /proc/driver/nvidia/gpus, no working nvidia-smi): nothing to measure."
	exit 0
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

# XLA is linked only with -tags xla (cgo); without a C compiler fastgo would
# fall back to the pure-Go backend, which is not what this check measures.
if ! command -v gcc >/dev/null; then
	echo "gpu-check: gcc is missing: cgo is needed to link XLA (apt-get install -y gcc)" >&2
	exit 1
fi

if ! out=$(GOFLAGS=-tags=xla go list -deps ./cmd/gpucheck 2>&1 >/dev/null); then
	echo "gpu-check: fastgo does not build with -tags xla:" >&2
	echo "$out" | head -n 3 >&2
	echo "gpu-check: go.sum needs go-xla's dependencies: go get github.com/gomlx/go-xla/compute/xla@v0.4.5" >&2
	exit 1
fi

torch_args=()
py=${TORCH_PYTHON:-python3}
if "$py" -c 'import torch, torchvision; assert torch.cuda.is_available()' 2>/dev/null; then
	torch_args=(-torch "$py")
else
	echo "gpu-check: no PyTorch with CUDA for $py (set TORCH_PYTHON): measuring fastgo only."
fi

# shellcheck disable=SC2086 # GPUCHECK_ARGS is a list of flags
go run -tags xla ./cmd/gpucheck "${torch_args[@]}" ${GPUCHECK_ARGS:-}
