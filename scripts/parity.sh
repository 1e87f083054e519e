#!/usr/bin/env bash
# make parity: fastgo's numbers against PyTorch, torchvision and Pillow.
#
# scripts/parity_torch.py (Debian's python3-torch, -torchvision and -pil,
# installed by scripts/deps-torch.sh) writes torchvision-format .pth files
# and reference tensors in float32 and float64 into build/parity; the Go
# tests TestParity* (fastgo/vision, fastgo/vision/augment, fastgo/vision/models, fastgo/learner) load them and compare:
# resnet18/34/50 eval logits from a state_dict, resnet18's train-mode loss,
# gradients and batch-norm statistics, fastai's Adam and one-cycle values,
# fastai's batch augmentation with given draws (affine matrices, warped grid,
# lighting, images, the RandomResizedCropGPU step; at the chapter's 460 -> 224
# too, where fastai's _grid_sample area-averages first), and valid-mode Resize
# against Pillow on the pets images (the sample beside the checkout, else
# testdata/images). Each quantity's error against
# PyTorch float64 must be within 2x of PyTorch float32's own (see
# internal/testutil/parity.go). resnet18's training step is also run on 40
# inputs: its activations layer by layer and its loss are judged by their
# mean error over the inputs, its gradients by their median per parameter
# (TestParityManyInputs), since on one input a ReLU that float32 rounds to
# the other side of zero decides more than rounding does.
# scripts/fastai_files.py writes fastai
# exports of ResNet18/34/50 and the chapter's Resize(460)+aug_transforms(224)
# ResNet34 with PyTorch's predictions (fastai's preprocessing) on the same images,
# which TestParityONNX* run through fastgo's ONNX export and ONNX Runtime
# (npm's onnxruntime-node, scripts/deps-onnxruntime.sh); TestONNX* run
# ONNX Runtime on the small committed fastai models (testdata/fastai) and
# compare it with PyTorch and with fastgo's Predict — make test runs them
# here, where ONNX Runtime is installed. Prints the table; exits 1 on any
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/goenv.sh
out="$(pwd)/build/parity"
images=../shared/data/oxford-iiit-pet-sample/images
[ -d "$images" ] || images=testdata/images

bash scripts/deps-torch.sh
ort="$(bash scripts/deps-onnxruntime.sh)"
rm -rf "$out"
mkdir -p "$out"
echo "==> PyTorch references ($images)"
/usr/bin/python3 scripts/parity_torch.py "$out" "$images"
echo "==> fastai exports of ResNet18/34/50 and their PyTorch predictions (scripts/fastai_files.py)"
/usr/bin/python3 -W ignore::UserWarning scripts/fastai_files.py full "$out/fastai" "$images"
echo "==> go test -run 'TestParity|TestONNX'"
status=0
FASTGO_PARITY_DIR="$out" FASTGO_ONNXRUNTIME="$ort" go test -count=1 -run '^TestParity|^TestONNX' \
	./fastgo/vision ./fastgo/vision/augment ./fastgo/vision/models ./fastgo/learner ./fastgo/vision/models/fastai \
	./fastgo/vision/models/onnx ./fastgo/vision/cnn || status=1
if [ -s "$out/report.tsv" ]; then
	echo
	echo "Relative distance from PyTorch float64 (normwise): fastgo float32 and PyTorch float32; the limit is"
	echo "2 x max(PyTorch float32's distance, float32's epsilon 1.19e-07). Image rows count levels or shares."
	sed 's/×/x/g' "$out/report.tsv" | awk -F'\t' 'BEGIN { printf "%-84s %-10s %-28s %-10s %s\n", "quantity", "fastgo", "PyTorch float32 (reference)", "limit", "result" }
		{ printf "%-84s %-10s %-28s %-10s %s\n", $1, $2, $3, $4, $5 }' 
fi
exit $status
