// Command gpucheck measures fastgo on an NVIDIA GPU (make gpu-check):
//
//   - the backend fastgo chose (it must be XLA on CUDA);
//   - ResNet training steps at 224 px, batch 64, in float32 and bfloat16
//     (Learner.ToFP16), in images/s;
//   - the augmentation graph (AugTransforms(224, MinScale(0.75)) +
//     Normalize on 460 px batches of 64), in images/s;
//   - one FineTune(1) over the pets sample, end to end (decode, Resize(460),
//     augmentation, a frozen epoch, an unfrozen epoch), in seconds;
//
// and, with -torch PYTHON, the same with PyTorch + torchvision
// (scripts/gpucheck_torch.py), with the ratios.
//
//	go run -tags xla ./cmd/gpucheck -torch python3
//
// On a machine without a GPU backend it says why and exits with status 0;
// -allow-cpu runs it anyway (use small -size/-bs/-steps there).
package main
