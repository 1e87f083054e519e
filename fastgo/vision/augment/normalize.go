package augment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/device"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/support/exceptions"
)

// ImagenetStats returns the ImageNet per-channel mean and standard
// deviation (RGB) that pretrained torchvision models expect, fastai's
// imagenet_stats. Pass both straight to [Normalize]:
//
//	norm, err := augment.Normalize(augment.ImagenetStats())
func ImagenetStats() (mean, std []float32) {
	return []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}
}

// Normalization is fastai's Normalize batch transform: (x-mean)/std per
// channel (the last axis, NHWC), on train and valid alike. It runs last in
// the batch pipeline (fastai's order 99) and [DecodeBatch] inverts it.
type Normalization struct {
	mean, std []float32
}

var _ device.Transform = (*Normalization)(nil)

// Normalize returns the transform (x-mean)/std for images with
// len(mean) channels. mean and std must have the same length and std no
// zero (or non-finite) entry.
func Normalize(mean, std []float32) (*Normalization, error) {
	if len(mean) == 0 || len(mean) != len(std) {
		return nil, fmt.Errorf("augment.Normalize: mean has %d values and std %d; give one of each per channel", len(mean), len(std))
	}
	for i := range mean {
		m, s := float64(mean[i]), float64(std[i])
		if math.IsNaN(m) || math.IsInf(m, 0) || s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("augment.Normalize: channel %d has mean %g, std %g; std must be finite and non-zero, mean finite", i, m, s)
		}
	}
	return &Normalization{mean: append([]float32(nil), mean...), std: append([]float32(nil), std...)}, nil
}

// MustNormalize is [Normalize] for notebooks: it panics with the same
// message instead of returning an error.
func MustNormalize(mean, std []float32) *Normalization {
	n, err := Normalize(mean, std)
	if err != nil {
		panic(err)
	}
	return n
}

// Mean returns a copy of the per-channel means.
func (n *Normalization) Mean() []float32 { return append([]float32(nil), n.mean...) }

// Std returns a copy of the per-channel standard deviations.
func (n *Normalization) Std() []float32 { return append([]float32(nil), n.std...) }

// Name describes the transform as fastai's Pipeline does (the statistics
// as plain lists, not torch tensors).
func (n *Normalization) Name() string {
	list := func(v []float32) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = strconv.FormatFloat(float64(x), 'g', -1, 32)
		}
		return "[" + strings.Join(s, ", ") + "]"
	}
	return "Normalize -- {'mean': " + list(n.mean) + ", 'std': " + list(n.std) + ", 'axes': (0, 2, 3)}"
}

// Params returns nil: normalisation has no randomness.
func (n *Normalization) Params(int, fastgo.Split, *rand.Rand) *tensors.Tensor { return nil }

// Apply normalises x ([..., C] float with C = len(mean)) on every split.
func (n *Normalization) Apply(x, _ *graph.Node, _ fastgo.Split) *graph.Node {
	mean, std := n.stats(x)
	return graph.Div(graph.Sub(x, mean), std)
}

// stats are mean and std as constants shaped [1,…,1,C] for x.
func (n *Normalization) stats(x *graph.Node) (mean, std *graph.Node) {
	if x.Rank() == 0 || x.Shape().Dimensions[x.Rank()-1] != len(n.mean) {
		exceptions.Panicf("augment.Normalize: input shape %s must end in %d channels", x.Shape(), len(n.mean))
	}
	dims := make([]int, x.Rank())
	for i := range dims {
		dims[i] = 1
	}
	dims[len(dims)-1] = len(n.mean)
	c := func(v []float32) *graph.Node {
		return graph.ConvertDType(graph.Reshape(graph.Const(x.Graph(), v), dims...), x.DType())
	}
	return c(n.mean), c(n.std)
}

// DecodeBatch turns a float batch ([B,H,W,3], float32 or float64, NHWC)
// back into images for display: it un-normalises with norm (nil when the
// batch was not normalised), clamps to [0,1] and rounds to 8 bits, which
// inverts the uint8→float conversion exactly.
func DecodeBatch(t *tensors.Tensor, norm *Normalization) ([]vision.Image, error) {
	if t == nil {
		return nil, fmt.Errorf("augment.DecodeBatch: tensor is nil")
	}
	sh := t.Shape()
	if sh.Rank() != 4 || sh.Dimensions[3] != 3 {
		return nil, fmt.Errorf("augment.DecodeBatch: tensor shape %s is not an RGB batch [B,H,W,3]", sh)
	}
	if norm != nil && len(norm.mean) != 3 {
		return nil, fmt.Errorf("augment.DecodeBatch: normalisation has %d channels, images have 3", len(norm.mean))
	}
	var vals []float64
	switch sh.DType {
	case dtypes.Float32:
		v, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, fmt.Errorf("augment.DecodeBatch: %w", err)
		}
		vals = make([]float64, len(v))
		for i, x := range v {
			vals[i] = float64(x)
		}
	case dtypes.Float64:
		v, err := tensors.CopyFlatData[float64](t)
		if err != nil {
			return nil, fmt.Errorf("augment.DecodeBatch: %w", err)
		}
		vals = v
	default:
		return nil, fmt.Errorf("augment.DecodeBatch: tensor dtype %s is not float32 or float64", sh.DType)
	}
	b, h, w := sh.Dimensions[0], sh.Dimensions[1], sh.Dimensions[2]
	out := make([]vision.Image, b)
	for i := range out {
		img := vision.NewImage(w, h)
		for j := range img.Pix {
			v := vals[i*h*w*3+j]
			if norm != nil {
				c := j % 3
				v = v*float64(norm.std[c]) + float64(norm.mean[c])
			}
			if !(v > 0) { // also NaN
				v = 0
			}
			img.Pix[j] = uint8(math.Round(255 * math.Min(1, v)))
		}
		out[i] = img
	}
	return out, nil
}
