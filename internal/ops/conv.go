package ops

import (
	"fmt"
	"os"

	"github.com/gomlx/gomlx/core/graph"
)

// Lowering selects how a convolution or a pooling is expressed in the graph.
type Lowering int

const (
	// Auto picks per backend: [Slices] on the pure-Go backend, [Native] elsewhere.
	Auto Lowering = iota
	// Native uses GoMLX's ConvGeneral / ReduceWindow (fast on XLA).
	Native
	// Slices uses im2col for convolutions and strided slices for pooling
	// (fast on the pure-Go backend, whose native versions are scalar loops).
	Slices
	// Winograd computes a 3×3, stride-1, padding-1 convolution by
	// F(2×2, 3×3) (conv3x3Winograd), and any other by im2col. Auto picks it
	// on the pure-Go backend where it measured faster (see useWinograd).
	Winograd
)

// GoBackendName is how the pure-Go backend identifies itself (its String();
// its Name() is the longer "Go Backend").
const GoBackendName = "go"

// resolve turns Auto into the lowering suited to x's backend.
func (l Lowering) resolve(x *graph.Node) Lowering {
	if l != Auto {
		return l
	}
	if x.Graph().Backend().String() == GoBackendName {
		return Slices
	}
	return Native
}

// Conv2D is a 2-D convolution of x (NHWC [B,H,W,Cin]) with kernel w (OHWI
// [Cout,kh,kw,Cin]), the same stride on both spatial axes and `padding` zeros
// on every side. It returns [B,Ho,Wo,Cout] with Ho = (H+2·padding-kh)/stride+1.
// The lowering is chosen from x's backend (see the package documentation).
func Conv2D(x, w *graph.Node, stride, padding int) *graph.Node {
	return Conv2DWith(Auto, x, w, stride, padding)
}

// Conv2DWith is [Conv2D] with an explicit lowering (tests and benchmarks).
func Conv2DWith(l Lowering, x, w *graph.Node, stride, padding int) *graph.Node {
	return conv2D(l, ohwi, x, w, stride, padding)
}

// conv2D is a convolution with a kernel laid out as k says.
func conv2D(l Lowering, k kernelLayout, x, w *graph.Node, stride, padding int) *graph.Node {
	checkConvShapes(k, x, w, stride, padding)
	if l == Auto && useWinograd(k, x, w, stride, padding) {
		l = Winograd
	}
	switch l.resolve(x) {
	case Native:
		return convNative(k, x, w, stride, padding)
	case Winograd:
		if winogradFits(k, w, stride, padding) {
			return conv3x3Winograd(k, x, w)
		}
	}
	return convIm2Col(k, x, w, stride, padding)
}

// kernelLayout is how a convolution kernel's axes are ordered.
type kernelLayout int

const (
	// ohwi is [Cout, kh, kw, Cin], the variables' layout: every product
	// of the training step and its gradients runs without transposing an
	// operand (see Linear).
	ohwi kernelLayout = iota
	// hwio is [kh, kw, Cin, Cout], inference weights' layout (Conv2DFolded):
	// the forward products read the kernel as a row-major [K, Cout]
	// matrix, which compute's matrix multiplication packs with its vector
	// code (an [Cout, K] operand is packed by a scalar loop: 20 % of a
	// batch-of-one prediction).
	hwio
)

// dims returns the kernel's output channels, height, width and input
// channels.
func (k kernelLayout) dims(w *graph.Node) (cout, kh, kw, cin int) {
	d := w.Shape().Dimensions
	if k == hwio {
		return d[3], d[0], d[1], d[2]
	}
	return d[0], d[1], d[2], d[3]
}

// matrix returns the kernel as the matrix product's operand: [Cout,
// kh·kw·Cin] (ohwi) or [kh·kw·Cin, Cout] (hwio), window offset major,
// channel minor.
func (k kernelLayout) matrix(w *graph.Node) *graph.Node {
	cout, kh, kw, cin := k.dims(w)
	if k == hwio {
		return graph.Reshape(w, kh*kw*cin, cout)
	}
	return graph.Reshape(w, cout, kh*kw*cin)
}

// tap returns the kernel at window offset (i, j) as a product operand:
// [Cout, Cin] (ohwi) or [Cin, Cout] (hwio).
func (k kernelLayout) tap(w *graph.Node, i, j int) *graph.Node {
	cout, _, _, cin := k.dims(w)
	if k == hwio {
		s := graph.Slice(w, graph.AxisRange(i, i+1), graph.AxisRange(j, j+1), graph.AxisRange(), graph.AxisRange())
		return graph.Reshape(s, cin, cout)
	}
	s := graph.Slice(w, graph.AxisRange(), graph.AxisRange(i, i+1), graph.AxisRange(j, j+1), graph.AxisRange())
	return graph.Reshape(s, cout, cin)
}

// product returns x·m for x [N, K] and an operand m of matrix or tap:
// [N, Cout].
func (k kernelLayout) product(x, m *graph.Node) *graph.Node {
	if k == hwio {
		return graph.DotGeneral(x, []int{1}, nil, m, []int{0}, nil)
	}
	return Linear(x, m)
}

// useWinograd is Auto's choice of algorithm on the pure-Go backend, per
// shape, from BenchmarkConvTrainAlgorithms (forward and both gradients,
// batch 16, minimum CPU time of 3, on both SIMD levels): F(2×2, 3×3) for
// 3×3 stride-1 padding-1 convolutions whose sides are even and at least 8
// — 1.46× faster than im2col at 56×56×64 (AVX-512; AVX2 1.60×), 1.26×
// (1.34×) at 28×28×128, 1.44× (1.41×) at 14×14×256, 1.21×/1.10×/1.14× at
// 32/16/8 px —, im2col below (4×4×512: 0.74×, 2×2: 0.39×; the transforms'
// fixed costs dominate) and for odd sides (7×7 would be padded to 8×8).
// FASTGO_CONV=im2col turns it off (A/B benchmarks).
func useWinograd(k kernelLayout, x, w *graph.Node, stride, padding int) bool {
	if forceIm2Col || x.Graph().Backend().String() != GoBackendName || !winogradFits(k, w, stride, padding) {
		return false
	}
	h, wd := x.Shape().Dim(1), x.Shape().Dim(2)
	return h%2 == 0 && wd%2 == 0 && h >= 8 && wd >= 8
}

// winogradFits says whether conv3x3Winograd computes this convolution.
func winogradFits(k kernelLayout, w *graph.Node, stride, padding int) bool {
	_, kh, kw, _ := k.dims(w)
	return kh == 3 && kw == 3 && stride == 1 && padding == 1
}

// forceIm2Col, from FASTGO_CONV=im2col (read once), makes Auto use im2col
// for every convolution on the pure-Go backend: for A/B benchmarks.
var forceIm2Col = os.Getenv("FASTGO_CONV") == "im2col"

func checkConvShapes(k kernelLayout, x, w *graph.Node, stride, padding int) {
	name := map[kernelLayout]string{ohwi: "OHWI", hwio: "HWIO"}[k]
	if x.Rank() != 4 || w.Rank() != 4 {
		panic(fmt.Sprintf("ops.Conv2D: want x NHWC rank 4 and w %s rank 4, got x %s and w %s", name, x.Shape(), w.Shape()))
	}
	_, kh, kw, cin := k.dims(w)
	if x.Shape().Dim(3) != cin {
		panic(fmt.Sprintf("ops.Conv2D: input channels differ: x %s has %d, w %s (%s) has %d",
			x.Shape(), x.Shape().Dim(3), w.Shape(), name, cin))
	}
	if stride < 1 || padding < 0 {
		panic(fmt.Sprintf("ops.Conv2D: stride must be ≥ 1 and padding ≥ 0, got stride %d, padding %d", stride, padding))
	}
	if x.Shape().Dim(1)+2*padding < kh || x.Shape().Dim(2)+2*padding < kw {
		panic(fmt.Sprintf("ops.Conv2D: input %s with padding %d is smaller than the %dx%d kernel", x.Shape(), padding, kh, kw))
	}
}

// nhwcOHWI is the ConvGeneral axes configuration for NHWC inputs and OHWI kernels.
var nhwcOHWI = graph.ConvolveAxesConfig{
	InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
	KernelOutputChannels: 0, KernelInputChannels: 3, KernelSpatial: []int{1, 2},
	OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
}

// nhwcHWIO is the ConvGeneral axes configuration for NHWC inputs and HWIO kernels.
var nhwcHWIO = graph.ConvolveAxesConfig{
	InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
	KernelOutputChannels: 3, KernelInputChannels: 2, KernelSpatial: []int{0, 1},
	OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
}

func convNative(k kernelLayout, x, w *graph.Node, stride, padding int) *graph.Node {
	axes := nhwcOHWI
	if k == hwio {
		axes = nhwcHWIO
	}
	return graph.ConvGeneral(x, w, axes, []int{stride, stride},
		[][2]int{{padding, padding}, {padding, padding}}, nil, nil, 1, 1)
}

// convIm2Col builds the patch matrix [B,Ho,Wo,kh·kw·Cin] (window offset major,
// channel minor: the order of an OHWI kernel flattened) and multiplies it by
// the kernel seen as [Cout, kh·kw·Cin] (or [kh·kw·Cin, Cout]: hwio).
func convIm2Col(k kernelLayout, x, w *graph.Node, stride, padding int) *graph.Node {
	cout, kh, kw, cin := k.dims(w)
	xp := padSpatial(x, padding, 0)
	ho := (xp.Shape().Dim(1)-kh)/stride + 1
	wo := (xp.Shape().Dim(2)-kw)/stride + 1
	b := x.Shape().Dim(0)
	n := b * ho * wo
	parts := make([]*graph.Node, 0, kh*kw)
	for i := range kh {
		for j := range kw {
			win := window(xp, i, j, ho, wo, stride)
			if i == 0 && j == 0 && kh == kw && kh > 1 {
				// Its gradient receives the whole input gradient (see im2colVJP).
				win = mark(win, col2imAliasPrefix)
			}
			parts = append(parts, graph.Reshape(win, n, cin))
		}
	}
	patches := parts[0]
	if len(parts) > 1 {
		// Marked so that its gradient is computed per part (see im2colVJP).
		patches = mark(graph.Concatenate(parts, 1), im2colAliasPrefix, im2colGeometry{kh, stride, ho, wo}.suffix())
	}
	out := k.product(patches, k.matrix(w))
	return graph.Reshape(out, b, ho, wo, cout)
}

// window returns xp[:, i : i+(ho-1)·stride+1 : stride, j : …, :], the inputs
// seen by kernel offset (i, j) for every output position.
func window(xp *graph.Node, i, j, ho, wo, stride int) *graph.Node {
	if i == 0 && j == 0 && stride == 1 && xp.Shape().Dim(1) == ho && xp.Shape().Dim(2) == wo {
		return xp
	}
	if stride == 1 {
		return cropSpatial(xp, i, ho, j, wo)
	}
	return graph.Slice(xp, graph.AxisRange(),
		graph.AxisRange(i, i+(ho-1)*stride+1).Stride(stride),
		graph.AxisRange(j, j+(wo-1)*stride+1).Stride(stride),
		graph.AxisRange())
}

// cropSpatial returns x[:, top:top+h, left:left+w, :] for an NHWC x, as a
// Pad with negative padding: the pure-Go backend pads by copying contiguous
// runs of memory, while its Slice copies element by element (ResNet34 at
// 128 px: Slice was 18 % of a training step). Its gradient, where one is
// needed, is provided by the caller (im2col's col2im, padVJP's input).
func cropSpatial(x *graph.Node, top, h, left, w int) *graph.Node {
	return cropSpatialFill(x, graph.ScalarZero(x.Graph(), x.DType()), top, h, left, w)
}

// cropSpatialFill is cropSpatial with the Pad's (unused) padding value
// given: a scalar node the crop then depends on.
func cropSpatialFill(x, fill *graph.Node, top, h, left, w int) *graph.Node {
	hp, wp := x.Shape().Dim(1), x.Shape().Dim(2)
	return graph.Pad(x, fill, graph.PadAxis{},
		graph.PadAxis{Start: -top, End: -(hp - top - h)},
		graph.PadAxis{Start: -left, End: -(wp - left - w)}, graph.PadAxis{})
}

// padSpatial pads axes 1 and 2 of an NHWC tensor with `padding` copies of
// value on each side. Pad copies blocks; its gradient (a crop) is provided
// by this package, GoMLX has none.
func padSpatial(x *graph.Node, padding int, value float64) *graph.Node {
	if padding == 0 {
		return x
	}
	p := graph.PadAxis{Start: padding, End: padding}
	return mark(graph.Pad(x, graph.Scalar(x.Graph(), x.DType(), value), graph.PadAxis{}, p, p, graph.PadAxis{}), padAliasPrefix)
}
