// Package onnx writes fastgo's image classifiers — a torchvision ResNet
// body with fastai's head, laid out as package models builds them
// ([Classifier]) — as ONNX models (IR version 8, opset 17) that
// ONNX Runtime and other ONNX engines run: a model trained in fastgo, or
// imported from fastai, can leave Go.
//
// The graph takes uint8 RGB images, NHWC [batch, H, W, 3], prepared as
// fastgo's Predictor prepares them (decoded, Resize): preprocessing is part
// of the model (cast, ÷255, the valid-set resize of aug_transforms when
// there is one, Normalize), so a caller only decodes and resizes. Outputs
// are the logits and the softmax probabilities; the class names are in the
// model's metadata ("vocab").
//
// The protobuf messages are encoded with google.golang.org/protobuf's
// protowire, field by field, from the field numbers of ONNX's onnx.proto
// (proto.go lists those used): the dozen messages fastgo writes do not
// justify generating, and keeping, code for the whole schema, nor a
// protoc step in the build. Tests run the files with ONNX Runtime
// (npm's onnxruntime-node, installed by scripts/deps-onnxruntime.sh) and
// compare with PyTorch. cnn.ExportONNX writes a learner's or a
// predictor's model with it.
package onnx
