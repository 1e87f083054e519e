package cnn

import (
	"fmt"

	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models/onnx"
	"github.com/fastgo-ml/fastgo/internal/ops"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// ExportONNX writes the inference graph of learn — a learner made by
// [Learner], or loaded by [LoadPredictor] or [LoadFastai] — to path as an
// ONNX model (IR version 8, opset 17; see package onnx) that ONNX Runtime
// and other engines run without fastgo. The graph's input "image" is uint8
// RGB NHWC [batch, S, S, 3]: images decoded and put through the item
// transforms (Predictor.Prepare, with S the Resize size); the graph does
// the rest as Predict does — ÷255, aug_transforms' validation resize
// (bilinear, align_corners), Normalize, the network in evaluation mode —
// and outputs "logits" and "probs" (softmax), float32 [batch, classes],
// with the vocab in its metadata. The file is written as learner.Export
// writes (see onnx.WriteFile): through a temporary file renamed into place,
// its folder created if missing, readable by all (0644).
//
// Errors, naming path, with nothing written: path is empty, ends in a
// separator or is an existing folder (give a file path); a full or read-only disk (saying so, and what to
// do); a weight that is NaN or infinite (a diverged fit: the first such
// variable is named, with what to do — see learner.CheckFinite); a
// learner whose model is not one cnn.Learner builds, whose
// weights do not exist yet (never trained or run), whose items are not
// resized to a fixed square by vision.Resize, or with a batch transform
// other than augment.AugTransforms and augment.Normalize (named).
// It reads the weights as they are: call it when no fit runs on learn.
func ExportONNX(learn *learner.Learner, path string) error {
	c, err := onnxClassifier(learn)
	if err != nil {
		return fmt.Errorf("cnn.ExportONNX %s: %w", path, err)
	}
	if err := onnx.WriteFile(path, c); err != nil {
		return fmt.Errorf("cnn.ExportONNX %s: %w", path, err)
	}
	return nil
}

// ExportONNX writes the predictor's model as ONNX (see the function
// [ExportONNX]). It only reads the weights: predictions may run meanwhile.
//
// Errors are the function's, naming path: not a file path (empty, a
// final separator, an existing folder), a full or
// read-only disk, NaN or infinite weights, a model or transform the ONNX
// graph cannot describe.
func (p *Predictor) ExportONNX(path string) error {
	return ExportONNX(p.Learner, path)
}

// onnxClassifier describes learn's network, weights and input preparation.
func onnxClassifier(learn *learner.Learner) (onnx.Classifier, error) {
	arch, head, err := parseModelName(learn.Model.Name)
	if err != nil {
		return onnx.Classifier{}, fmt.Errorf("the learner's model %q is not one cnn.Learner builds: %w", learn.Model.Name, err)
	}
	c := onnx.Classifier{Arch: arch, Head: head, Classes: learn.NumClasses(), Vocab: learn.Data.Vocab,
		Weights: map[string]models.StateTensor{}, Std: [3]float32{1, 1, 1}}
	for _, t := range learn.Data.ItemTfms {
		r, ok := t.(*vision.ResizeTransform)
		if !ok || c.InputSize != 0 {
			return c, fmt.Errorf("item transform %s: the ONNX graph takes images resized by one vision.Resize", t.Name())
		}
		c.InputSize = r.Size
	}
	if c.InputSize == 0 {
		return c, fmt.Errorf("the learner's items are not resized (no vision.Resize item transform): the ONNX graph needs the images' size")
	}
	c.Size = c.InputSize
	for _, t := range learn.Data.BatchTfms {
		switch x := t.(type) {
		case *augment.Augment:
			// Validation: the input's centre square (all of it: Resize makes
			// squares) resized to Size, area-averaged first where fastai's
			// _grid_sample is (the onnx package asks augment.ValidPreShrink).
			if x.Size() > 0 {
				c.Size = x.Size()
			}
		case *augment.Normalization:
			mean, std := x.Mean(), x.Std()
			if len(mean) == 1 {
				mean, std = []float32{mean[0], mean[0], mean[0]}, []float32{std[0], std[0], std[0]}
			}
			if len(mean) != 3 || len(std) != 3 {
				return c, fmt.Errorf("batch transform %s: want statistics for 3 channels", t.Name())
			}
			copy(c.Mean[:], mean)
			copy(c.Std[:], std)
		default:
			return c, fmt.Errorf("batch transform %s: the ONNX graph has aug_transforms' validation resize and Normalize only", t.Name())
		}
	}
	for v := range learn.Store().IterVariables() {
		key, ok := models.LearnerKey(v.Path())
		if !ok || !v.HasValue() {
			continue
		}
		value, err := v.Value()
		if err != nil {
			return c, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		if value.DType() != dtypes.Float32 {
			return c, fmt.Errorf("variable %s is %s, not float32", v.Path(), value.DType())
		}
		// NaN weights would give an ONNX runtime user NaN probabilities.
		if err := learner.CheckFinite(v.Path(), value); err != nil {
			return c, err
		}
		dims := value.Shape().Dimensions
		data := tensors.MustCopyFlatData[float32](value)
		if len(dims) == 4 { // OHWI → OIHW
			data = ops.OHWIToOIHW(data, dims[0], dims[1], dims[2], dims[3])
			dims = []int{dims[0], dims[3], dims[1], dims[2]}
		}
		c.Weights[key] = models.StateTensor{Shape: dims, Data: data}
	}
	if len(c.Weights) == 0 {
		return c, fmt.Errorf("the model has no weights yet: train it or predict once first")
	}
	return c, nil
}
