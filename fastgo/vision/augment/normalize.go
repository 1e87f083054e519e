package augment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/backend"
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
	// mu guards the statistics, which SetupBatch sets once for a
	// NormalizeFromBatch.
	mu        sync.Mutex
	mean, std []float32
	fromBatch bool
}

var (
	_ device.Transform     = (*Normalization)(nil)
	_ fastgo.BatchSetupper = (*Normalization)(nil)
)

// NormalizeFromBatch is fastai's Normalize() with no statistics: the
// per-channel mean and standard deviation are measured on one training
// batch when DataBlock.DataLoaders sets the batch transforms up (fastai's
// Normalize.setups: x.mean and x.std over the batch, height and width,
// the std unbiased, as torch's, plus 1e-7), after the batch transforms
// before it (augmentation included, on the training split, with the
// loader's seed). A training set smaller than a batch gives the batch it
// has. Until then Apply refuses to run and Mean and Std are nil; once
// measured, the statistics stay (fastai keeps them too), and Export
// records them. [Normalize] with given statistics is fastai's
// Normalize.from_stats.
//
//	BatchTfms: []fastgo.BatchTransform{augment.MustAugTransforms(224), augment.NormalizeFromBatch()},
func NormalizeFromBatch() *Normalization { return &Normalization{fromBatch: true} }

// SetupBatch measures the statistics of a NormalizeFromBatch on dls'
// first training batch after the transforms before it (a no-op once
// measured, and for Normalize). Errors: no training item, a batch of one
// pixel (no standard deviation), a transform failing.
func (n *Normalization) SetupBatch(dls *fastgo.DataLoaders, before []fastgo.BatchTransform) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.fromBatch || n.mean != nil {
		return nil
	}
	if dls == nil || dls.Train == nil {
		return fmt.Errorf("augment.NormalizeFromBatch: no training loader to measure")
	}
	batch, err := firstBatch(dls.Train, dls.Train.BatchSize, false)
	if err != nil {
		return fmt.Errorf("augment.NormalizeFromBatch: %w", err)
	}
	tfms, _ := deviceTransforms(before)
	out, err := device.ApplyBatchTransforms(backend.Default(), tfms, batch.X, fastgo.Train, dls.Train.Seed)
	if err != nil {
		return fmt.Errorf("augment.NormalizeFromBatch: %w", err)
	}
	mean, std, err := channelStats(out)
	if err != nil {
		return fmt.Errorf("augment.NormalizeFromBatch: %w", err)
	}
	n.mean, n.std = mean, std
	return nil
}

// channelStats is the mean and the unbiased standard deviation + 1e-7 of
// each channel (the last axis) of a float32 batch, in float64.
func channelStats(t *tensors.Tensor) (mean, std []float32, err error) {
	v, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nil, nil, err
	}
	dims := t.Shape().Dimensions
	c := dims[len(dims)-1]
	count := len(v) / max(c, 1)
	if count < 2 {
		return nil, nil, fmt.Errorf("the batch has %d value(s) per channel: a standard deviation needs 2 or more", count)
	}
	sum, sq := make([]float64, c), make([]float64, c)
	for i, x := range v {
		sum[i%c] += float64(x)
	}
	mean, std = make([]float32, c), make([]float32, c)
	for k := range c {
		sum[k] /= float64(count)
		mean[k] = float32(sum[k])
	}
	for i, x := range v {
		d := float64(x) - sum[i%c]
		sq[i%c] += d * d
	}
	for k := range c {
		std[k] = float32(math.Sqrt(sq[k]/float64(count-1)) + 1e-7)
	}
	return mean, std, nil
}

// Normalize returns the transform (x-mean)/std for images with
// len(mean) channels (fastai's Normalize.from_stats), on float NHWC
// batches in [0,1], per channel (the last axis). Errors: mean and std of
// different or zero lengths; a non-finite mean, or a std that is zero or
// not finite, naming the channel.
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

// Mean returns a copy of the per-channel means (nil for a
// NormalizeFromBatch not yet set up).
func (n *Normalization) Mean() []float32 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.mean)
}

// Std returns a copy of the per-channel standard deviations (nil for a
// NormalizeFromBatch not yet set up).
func (n *Normalization) Std() []float32 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.std)
}

// Name describes the transform as fastai's Pipeline does (the statistics
// as plain lists, not torch tensors; None before a NormalizeFromBatch is
// set up).
func (n *Normalization) Name() string {
	mean, std := n.Mean(), n.Std()
	list := func(v []float32) string {
		if v == nil {
			return "None"
		}
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = strconv.FormatFloat(float64(x), 'g', -1, 32)
		}
		return "[" + strings.Join(s, ", ") + "]"
	}
	return "Normalize -- {'mean': " + list(mean) + ", 'std': " + list(std) + ", 'axes': (0, 2, 3)}"
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
	m, sd := n.Mean(), n.Std()
	if m == nil {
		exceptions.Panicf("augment.NormalizeFromBatch: the statistics are not measured yet: DataBlock.DataLoaders measures them (or call SetupBatch with the DataLoaders)")
	}
	if x.Rank() == 0 || x.Shape().Dimensions[x.Rank()-1] != len(m) {
		exceptions.Panicf("augment.Normalize: input shape %s must end in %d channels", x.Shape(), len(m))
	}
	dims := make([]int, x.Rank())
	for i := range dims {
		dims[i] = 1
	}
	dims[len(dims)-1] = len(m)
	c := func(v []float32) *graph.Node {
		return graph.ConvertDType(graph.Reshape(graph.Const(x.Graph(), v), dims...), x.DType())
	}
	return c(m), c(sd)
}

// DecodeBatch turns a float batch ([B,H,W,3], float32 or float64, NHWC)
// back into images for display: it un-normalises with norm (nil when the
// batch was not normalised), clamps to [0,1] and rounds to 8 bits, which
// inverts the uint8→float conversion exactly (fastai's decode on a batch).
// Errors: a nil tensor, a shape that is not [B,H,W,3], another dtype than
// float32 or float64.
func DecodeBatch(t *tensors.Tensor, norm *Normalization) ([]vision.Image, error) {
	if t == nil {
		return nil, fmt.Errorf("augment.DecodeBatch: tensor is nil")
	}
	sh := t.Shape()
	if sh.Rank() != 4 || sh.Dimensions[3] != 3 {
		return nil, fmt.Errorf("augment.DecodeBatch: tensor shape %s is not an RGB batch [B,H,W,3]", sh)
	}
	var mean, std []float32
	if norm != nil {
		if mean, std = norm.Mean(), norm.Std(); len(mean) != 3 {
			return nil, fmt.Errorf("augment.DecodeBatch: normalisation has %d channels (none: a NormalizeFromBatch not set up), images have 3", len(mean))
		}
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
				v = v*float64(std[c]) + float64(mean[c])
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
