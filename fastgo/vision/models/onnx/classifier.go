package onnx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
	"github.com/fastgo-ml/fastgo/internal/diskerr"
	"github.com/fastgo-ml/fastgo/internal/ops"
)

// Classifier describes an image classifier as fastgo builds it —
// fastai's nn.Sequential(body, head) with a torchvision ResNet body, the
// network of cnn.Model — with its weights and its input preparation, to
// write as ONNX.
type Classifier struct {
	// Arch is the body, Head the head's layout, Classes its outputs.
	Arch    models.Arch
	Head    models.HeadSpec
	Classes int
	// Weights are keyed as fastai's learn.model.state_dict()
	// (models.LearnerStateDict: "0.4.0.conv1.weight", "1.8.weight"), in
	// PyTorch's layout (convolutions OIHW, Linear [out, in]);
	// num_batches_tracked is not used.
	Weights map[string]models.StateTensor
	// InputSize is the side of the images the model is given (after the
	// item transforms, e.g. Resize(460)); Size the side the body sees
	// (e.g. aug_transforms(size=224)): when they differ, the graph resizes
	// as fastai's valid batch transforms do (_grid_sample: area-averaged
	// first where augment.ValidPreShrink says, 460 → 448, then bilinear
	// with align_corners).
	InputSize, Size int
	// Mean and Std normalise [0,1] RGB values (Normalize).
	Mean, Std [3]float32
	// Vocab is the class names, in output order (written as metadata).
	Vocab []string
}

// Input and output names of the graph.
const (
	InputName  = "image"
	LogitsName = "logits"
	ProbsName  = "probs"
)

// Write writes the classifier as an ONNX model (IR version 8, opset 17) to
// w. The graph's input "image" is uint8 RGB, NHWC [batch, InputSize,
// InputSize, 3]: images decoded and put through the item transforms
// (fastgo's Predictor.Prepare). The graph converts them to float, divides
// by 255, resizes to Size when InputSize differs (fastai's validation
// resize, area step included), normalises, and runs the
// network in evaluation mode (batch norm with running statistics, folded
// into the convolution or Linear next to it: Conv and Gemm with biases, no
// BatchNormalization node; no dropout). Outputs: "logits" and "probs" (softmax), float32
// [batch, Classes]. Metadata: "vocab" (a JSON list), "mean", "std",
// "input_size", "size". Errors name a missing or mis-shaped weight.
func Write(w io.Writer, c Classifier) error {
	model, err := c.model()
	if err != nil {
		return err
	}
	_, err = w.Write(model)
	return err
}

// WriteFile writes the model to path through a temporary file renamed
// into place, so that an interrupted export leaves no partial file, as
// learner.Export writes: the folder is created if missing, and the file
// is readable by all (0644: a server may run as another user). A full or
// read-only disk, or a folder without write permission, is an error
// saying so and what to do (internal/diskerr), as fastgo's other writers;
// so is a path that is empty, ends in a separator or is an existing
// folder (give a file path).
func WriteFile(path string, c Classifier) (err error) {
	if err := diskerr.FilePath(path, ".onnx"); err != nil {
		return err
	}
	model, err := c.model()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	defer func() { err = diskerr.Wrap(err, dir, "") }()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(model); err != nil {
		tmp.Close()
		return err
	}
	// CreateTemp makes the file private (0600).
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// builder accumulates the graph's nodes and initializers.
type builder struct {
	c            *Classifier
	nodes        []message
	initializers []message
	used         map[string]bool
	n            int
	err          error
}

// out names a new intermediate value.
func (b *builder) out(op string) string {
	b.n++
	return fmt.Sprintf("%s_%d", op, b.n)
}

func (b *builder) node(op string, inputs []string, attrs ...attribute) string {
	out := b.out(op)
	b.nodes = append(b.nodes, nodeProto(op, out, inputs, []string{out}, attrs))
	return out
}

// stateTensor returns the values of the state-dict tensor key after
// checking its shape (nil, with b.err set, when it is missing or
// mis-shaped).
func (b *builder) stateTensor(key string, shape ...int) []float32 {
	t, ok := b.c.Weights[key]
	switch {
	case !ok:
		b.fail(fmt.Errorf("onnx: no weight %s %v", key, shape))
		return nil
	case !slices.Equal(t.Shape, shape) || len(t.Data) != prod(shape):
		b.fail(fmt.Errorf("onnx: weight %s has shape %v (%d values), want %v", key, t.Shape, len(t.Data), shape))
		return nil
	}
	return t.Data
}

// initializer adds a float initializer named name (once) and returns its name.
func (b *builder) initializer(name string, shape []int, data []float32) string {
	if !b.used[name] {
		b.used[name] = true
		b.initializers = append(b.initializers, tensorProto(name, dims(shape), data, nil))
	}
	return name
}

// Folded initializers are named after the layer's state-dict weight
// with this suffix ("0.4.0.conv1.weight_folded", "….bias_folded"): their
// values are the layer's with the batch norm next to it folded in.
const foldedSuffix = "_folded"

// batchNormAffine returns the batch norm key's evaluation-mode scale
// s = weight/√(running_var+eps) and shift t = bias − running_mean·s over
// c channels, in float64 (nil after a failure).
func (b *builder) batchNormAffine(key string, c int) (s, t []float64) {
	var v [4][]float32
	for i, p := range []string{"weight", "bias", "running_mean", "running_var"} {
		v[i] = b.stateTensor(key+"."+p, c)
	}
	if b.err != nil {
		return nil, nil
	}
	s, t = make([]float64, c), make([]float64, c)
	for i := range c {
		s[i] = float64(v[0][i]) / math.Sqrt(float64(v[3][i])+ops.TorchBatchNorm.Eps) // fastai's BatchNorm1d has the same eps
		t[i] = float64(v[1][i]) - float64(v[2][i])*s[i]
	}
	return s, t
}

// constant adds a named float or int64 initializer.
func (b *builder) constant(name string, shape []int, f32 []float32, i64 []int64) string {
	b.initializers = append(b.initializers, tensorProto(name, dims(shape), f32, i64))
	return name
}

func (b *builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

func prod(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func dims(s []int) []int64 {
	out := make([]int64, len(s))
	for i, d := range s {
		out[i] = int64(d)
	}
	return out
}

// convBN is a bias-free Conv2d and its batch norm in evaluation mode,
// written as one Conv with the batch norm folded into its weight and a
// bias (computed in float64, rounded once; as PyTorch's
// fuse_conv_bn_weights), their tensors keyed as learn.model.state_dict()
// names the torchvision modules prefix+c.Conv and prefix+c.BN ("layer1.0."
// + "conv1" → "0.4.0.conv1").
func (b *builder) convBN(x, prefix string, c models.ConvBN) string {
	k, s, p := int64(c.Kernel), int64(c.Stride), int64(c.Padding)
	key := learnerKey(prefix + c.Conv)
	shape := []int{c.Out, c.In, c.Kernel, c.Kernel}
	w := b.stateTensor(key+".weight", shape...)
	scale, shift := b.batchNormAffine(learnerKey(prefix+c.BN), c.Out)
	if b.err != nil {
		return x
	}
	folded, bias := make([]float32, len(w)), make([]float32, c.Out)
	per := len(w) / c.Out
	for o := range c.Out {
		for i := o * per; i < (o+1)*per; i++ {
			folded[i] = float32(float64(w[i]) * scale[o])
		}
		bias[o] = float32(shift[o])
	}
	return b.node("Conv", []string{x, b.initializer(key+".weight"+foldedSuffix, shape, folded),
		b.initializer(key+".bias"+foldedSuffix, []int{c.Out}, bias)},
		attrInts("kernel_shape", k, k), attrInts("strides", s, s), attrInts("pads", p, p, p, p))
}

// bnLinear is BatchNorm1d(in) in evaluation mode followed by Linear(in,
// out) (x·Wᵀ + b), written as one Gemm with the batch norm folded in:
// weight W·diag(s), bias W·t + b (float64, rounded once).
func (b *builder) bnLinear(x, bnKey, key string, in, out int, bias bool) string {
	scale, shift := b.batchNormAffine(bnKey, in)
	w := b.stateTensor(key+".weight", out, in)
	var b0 []float32
	if bias {
		b0 = b.stateTensor(key+".bias", out)
	}
	if b.err != nil {
		return x
	}
	folded, fbias := make([]float32, len(w)), make([]float32, out)
	for o := range out {
		acc := 0.0
		if bias {
			acc = float64(b0[o])
		}
		for i := range in {
			wv := float64(w[o*in+i])
			folded[o*in+i] = float32(wv * scale[i])
			acc += wv * shift[i]
		}
		fbias[o] = float32(acc)
	}
	return b.node("Gemm", []string{x, b.initializer(key+".weight"+foldedSuffix, []int{out, in}, folded),
		b.initializer(key+".bias"+foldedSuffix, []int{out}, fbias)}, attrInt("transB", 1))
}

func (b *builder) relu(x string) string { return b.node("Relu", []string{x}) }

// areaResize is torch's area interpolation (adaptive average pooling) of
// axis (2 or 3, NCHW) from n to out pixels, with augment.AreaWindows'
// windows: the t-th pixel of every window is gathered (the window's last
// one again, masked by 0, past its end), the k gathers are summed and each
// sum multiplied by 1/length.
func (b *builder) areaResize(x string, axis, n, out int) string {
	start, end := augment.AreaWindows(n, out)
	k := 0
	for i := range out {
		k = max(k, end[i]-start[i])
	}
	shape := []int{out} // a factor per output pixel, broadcast along the axes after it
	if axis == 2 {
		shape = []int{out, 1}
	}
	var terms []string
	for t := range k {
		index, mask := make([]int64, out), make([]float32, out)
		for i := range out {
			index[i] = int64(min(start[i]+t, end[i]-1))
			if start[i]+t < end[i] {
				mask[i] = 1
			}
		}
		name := fmt.Sprintf("area%d_%d", axis, t)
		term := b.node("Gather", []string{x, b.constant(name+"_index", []int{out}, nil, index)}, attrInt("axis", int64(axis)))
		if t > 0 { // every window has a first pixel
			term = b.node("Mul", []string{term, b.constant(name+"_mask", shape, mask, nil)})
		}
		terms = append(terms, term)
	}
	inv := make([]float32, out)
	for i := range out {
		inv[i] = 1 / float32(end[i]-start[i])
	}
	sum := terms[0]
	if len(terms) > 1 {
		sum = b.node("Sum", terms)
	}
	return b.node("Mul", []string{sum, b.constant(fmt.Sprintf("area%d_inv", axis), shape, inv, nil)})
}

// model builds the ModelProto bytes.
func (c *Classifier) model() ([]byte, error) {
	if c.Arch.Width() < 1 || c.Classes < 1 || c.Head.Hidden < 0 || c.Size < 1 || c.InputSize < 1 {
		return nil, errors.New("onnx: the classifier needs an architecture, classes and input sizes")
	}
	if c.Classes != len(c.Vocab) {
		return nil, fmt.Errorf("onnx: %d classes but %d names in the vocab", c.Classes, len(c.Vocab))
	}
	b := &builder{c: c, used: map[string]bool{}}
	x := b.node("Cast", []string{InputName}, attrInt("to", typeFloat))
	x = b.node("Transpose", []string{x}, attrInts("perm", 0, 3, 1, 2)) // NHWC → NCHW
	x = b.node("Div", []string{x, b.constant("levels", []int{1}, []float32{255}, nil)})
	if c.Size != c.InputSize {
		if h, w, ok := augment.ValidPreShrink(c.InputSize, c.InputSize, c.Size); ok {
			x = b.areaResize(b.areaResize(x, 2, c.InputSize, h), 3, c.InputSize, w)
		}
		// sizes = [N, C, Size, Size], N and C from the input's shape.
		nc := b.node("Slice", []string{b.node("Shape", []string{x}),
			b.constant("slice_start", []int{1}, nil, []int64{0}), b.constant("slice_end", []int{1}, nil, []int64{2})})
		sizes := b.node("Concat", []string{nc, b.constant("target_hw", []int{2}, nil, []int64{int64(c.Size), int64(c.Size)})}, attrInt("axis", 0))
		x = b.node("Resize", []string{x, "", "", sizes}, attrString("mode", "linear"),
			attrString("coordinate_transformation_mode", "align_corners"))
	}
	x = b.node("Sub", []string{x, b.constant("mean", []int{1, 3, 1, 1}, c.Mean[:], nil)})
	x = b.node("Div", []string{x, b.constant("std", []int{1, 3, 1, 1}, c.Std[:], nil)})
	x = c.body(b, x)
	logits := c.head(b, x)
	probs := b.node("Softmax", []string{logits}, attrInt("axis", 1))
	if b.err != nil {
		return nil, b.err
	}
	// Name the outputs.
	b.nodes = append(b.nodes, nodeProto("Identity", LogitsName, []string{logits}, []string{LogitsName}, nil),
		nodeProto("Identity", ProbsName, []string{probs}, []string{ProbsName}, nil))
	vocab, _ := json.Marshal(c.Vocab)
	f3 := func(v [3]float32) string { j, _ := json.Marshal(v); return string(j) }
	meta := [][2]string{{"vocab", string(vocab)}, {"mean", f3(c.Mean)}, {"std", f3(c.Std)},
		{"input_size", strconv.Itoa(c.InputSize)}, {"size", strconv.Itoa(c.Size)}}
	doc := fmt.Sprintf("%s with fastai's head, %d classes. Input %q: uint8 RGB images, NHWC [batch, %d, %d, 3], "+
		"as fastgo's Predictor.Prepare makes them (decoded, item transforms). Outputs %q and %q (softmax), float32 [batch, %d].",
		c.Arch.Name, c.Classes, InputName, c.InputSize, c.InputSize, LogitsName, ProbsName, c.Classes)
	in := valueInfo(InputName, typeUint8, []int64{-1, int64(c.InputSize), int64(c.InputSize), 3})
	outs := []message{valueInfo(LogitsName, typeFloat, []int64{-1, int64(c.Classes)}),
		valueInfo(ProbsName, typeFloat, []int64{-1, int64(c.Classes)})}
	g := graphProto(c.Arch.Name, doc, b.nodes, b.initializers, []message{in}, outs)
	return modelProto("fastgo", "1", doc, g, meta), nil
}

// body is torchvision's ResNet up to layer4 (keys "0.…"), as models lays
// it out (Arch.Stem, MaxPool, Arch.Blocks).
func (c *Classifier) body(b *builder, x string) string {
	x = b.relu(b.convBN(x, "", c.Arch.Stem()))
	mp := models.MaxPool
	k, s, p := int64(mp.Kernel), int64(mp.Stride), int64(mp.Padding)
	x = b.node("MaxPool", []string{x}, attrInts("kernel_shape", k, k), attrInts("strides", s, s), attrInts("pads", p, p, p, p))
	for _, blk := range c.Arch.Blocks() {
		prefix := blk.Key() + "."
		y := x
		for i, conv := range blk.Convs {
			y = b.convBN(y, prefix, conv)
			if i < len(blk.Convs)-1 {
				y = b.relu(y)
			}
		}
		shortcut := x
		if blk.Downsample != nil {
			shortcut = b.convBN(x, prefix, *blk.Downsample)
		}
		x = b.relu(b.node("Add", []string{y, shortcut}))
	}
	return x
}

// learnerKey is the learn.model.state_dict() prefix of a torchvision module
// prefix ("layer1.0" → "0.4.0").
func learnerKey(torchvision string) string {
	k, _ := models.LearnerKey("/" + models.BodyScope + "/" + models.VariablePath(torchvision) + "/x")
	return strings.TrimSuffix(k, ".x")
}

// head is fastai's create_head (keys "1.…"): concat pooling (max, then
// mean), Flatten, BatchNorm1d, Linear, ReLU, BatchNorm1d, Linear (the
// dropouts do nothing in evaluation), each batch norm folded into the
// Linear after it.
func (c *Classifier) head(b *builder, x string) string {
	nf, hidden := c.Arch.NumFeatures(), c.Head.HiddenWidth()
	pooled := b.node("Concat", []string{b.node("GlobalMaxPool", []string{x}), b.node("GlobalAveragePool", []string{x})}, attrInt("axis", 1))
	x = b.node("Flatten", []string{pooled}, attrInt("axis", 1))
	x = b.relu(b.bnLinear(x, "1."+models.HeadBN1, "1."+models.HeadLinear1, 2*nf, hidden, c.Head.Bias))
	return b.bnLinear(x, "1."+models.HeadBN2, "1."+models.HeadLinear2, hidden, c.Classes, c.Head.Bias)
}
