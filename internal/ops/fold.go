package ops

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// Batch normalisation folded into the layer next to it, for inference
// graphs. In evaluation a batch norm is an affine map per channel,
// y = x·s + t with s = weight/√(running_var+eps) and
// t = bias − running_mean·s, which the convolution or Linear before it
// (FoldBatchNormAfter) or the Linear after it (FoldBatchNormBefore)
// absorbs into its weights and a bias: the network then computes no
// batch norm at all, and each folded layer one bias add (Conv2DFolded,
// LinearFolded). PyTorch's torch.nn.utils.fusion (fuse_conv_bn_weights,
// fuse_linear_bn_weights) and ONNX Runtime's graph optimiser do the same.
//
// The folded weights come with their output channels last (HWIO kernels,
// [in, out] Linear weights), the layout in which the pure-Go backend's
// matrix products pack them with vector code. s and t are computed in
// float64; the weights' products w·s in their own dtype, with s rounded
// once to it (two roundings, where PyTorch's fusion in float32 has three:
// float64 products would leave weight-sized float64 buffers in the
// backend's pools). The network's logits stay within float32's own
// distance of PyTorch float64 (make parity: the folded eval-logits rows).

// FoldBatchNormAfter returns the weight and bias of a layer followed by a
// batch norm in evaluation mode: w has the layer's output channels on its
// first axis (a convolution's OHWI kernel [Cout,kh,kw,Cin] or a Linear's
// [out, in] weight), b is its bias [Cout] (nil: none), bn holds the batch
// norm's variables in BatchNormVariables' order (weight, bias,
// running_mean, running_var, each [Cout]). The weight is w·s on every
// output channel with the output channels moved last (HWIO
// [kh,kw,Cin,Cout], or [in, out]), the bias b·s + t. Shapes that do not
// match panic.
func FoldBatchNormAfter(w, b *graph.Node, bn [4]*graph.Node, eps float64) (weight, bias *graph.Node) {
	s, t := batchNormAffine(bn, eps, "FoldBatchNormAfter")
	c := s.Shape().Dim(0)
	if w.Rank() < 2 || w.Shape().Dim(0) != c || (b != nil && (b.Rank() != 1 || b.Shape().Dim(0) != c)) {
		panic(fmt.Sprintf("ops.FoldBatchNormAfter: want a weight with %d output channels on axis 0 and a bias [%d] or none, got %s and %v", c, c, w.Shape(), b))
	}
	dims := make([]int, w.Rank()) // s broadcast on the output channels, now the last axis
	for i := range dims {
		dims[i] = 1
	}
	dims[len(dims)-1] = c
	folded := graph.Mul(outputChannelsLast(w), graph.Reshape(graph.ConvertDType(s, w.DType()), dims...))
	if b != nil {
		t = graph.Add(graph.Mul(graph.ConvertDType(b, dtypes.Float64), s), t)
	}
	return folded, graph.ConvertDType(t, w.DType())
}

// FoldBatchNormBefore returns the weight and bias of a batch norm in
// evaluation mode (variables bn, each [in]) followed by a Linear with
// weight w [out, in] and bias b [out] (nil: none): Linear(x·s + t) =
// x·(w·diag(s))ᵀ + (w·t + b). The weight is returned as [in, out] (see
// LinearFolded); the bias's products and sums are float64. Shapes that do
// not match panic.
func FoldBatchNormBefore(bn [4]*graph.Node, eps float64, w, b *graph.Node) (weight, bias *graph.Node) {
	s, t := batchNormAffine(bn, eps, "FoldBatchNormBefore")
	if w.Rank() != 2 || w.Shape().Dim(1) != s.Shape().Dim(0) || (b != nil && (b.Rank() != 1 || b.Shape().Dim(0) != w.Shape().Dim(0))) {
		panic(fmt.Sprintf("ops.FoldBatchNormBefore: want a Linear weight [out, %d] and a bias [out] or none, got %s and %v", s.Shape().Dim(0), w.Shape(), b))
	}
	folded := graph.Mul(outputChannelsLast(w), graph.ExpandAxes(graph.ConvertDType(s, w.DType()), 1))
	shift := graph.ReduceSum(graph.Mul(graph.ConvertDType(w, dtypes.Float64), graph.ExpandAxes(t, 0)), 1) // w·t, [out]
	if b != nil {
		shift = graph.Add(shift, graph.ConvertDType(b, dtypes.Float64))
	}
	return folded, graph.ConvertDType(shift, w.DType())
}

// batchNormAffine returns a batch norm's evaluation-mode scale s and shift
// t (float64, [C]) from its variables' values.
func batchNormAffine(bn [4]*graph.Node, eps float64, op string) (s, t *graph.Node) {
	var v [4]*graph.Node
	for i, n := range bn {
		if n == nil || n.Rank() != 1 || n.Shape().Dim(0) != bn[0].Shape().Dim(0) {
			panic(fmt.Sprintf("ops.%s: want the batch norm's weight, bias, running_mean and running_var, all [C], got %v", op, bn))
		}
		v[i] = graph.ConvertDType(n, dtypes.Float64)
	}
	s = graph.Div(v[0], graph.Sqrt(graph.AddScalar(v[3], eps)))
	return s, graph.Sub(v[1], graph.Mul(v[2], s))
}

// AddChannelBias returns x + b on x's last axis (x [..., C], b [C]): the
// bias of a folded layer. On the pure-Go backend b is broadcast inside the
// addition (channel.go).
func AddChannelBias(x, b *graph.Node) *graph.Node {
	c := x.Shape().Dim(-1)
	if b.Rank() != 1 || b.Shape().Dim(0) != c {
		panic(fmt.Sprintf("ops.AddChannelBias: want a bias [%d] for x %s, got %s", c, x.Shape(), b.Shape()))
	}
	dims := x.Shape().Dimensions
	return graph.Reshape(channelAdd(Auto, graph.Reshape(x, -1, c), b), dims...)
}

// outputChannelsLast moves a weight's output channels (its first axis)
// last: OHWI kernels become HWIO [kh, kw, Cin, Cout], Linear weights
// [out, in] become [in, out].
func outputChannelsLast(w *graph.Node) *graph.Node {
	perm := make([]int, w.Rank())
	for i := range perm {
		perm[i] = (i + 1) % w.Rank()
	}
	return graph.TransposeAllAxes(w, perm...)
}

// Conv2DFolded is a convolution with a batch norm folded into it, for
// inference graphs: [Conv2D] of x with the HWIO kernel [kh, kw, Cin, Cout]
// (FoldBatchNormAfter's), plus the bias b [Cout] on
// every output position. The HWIO layout lets the pure-Go backend's
// matrix products read the kernel as a row-major [K, Cout] operand, packed
// by its vector code. No gradient is defined for it beyond GoMLX's own.
func Conv2DFolded(x, kernel, bias *graph.Node, stride, padding int) *graph.Node {
	return AddChannelBias(conv2D(Auto, hwio, x, kernel, stride, padding), bias)
}

// LinearFolded is x·w + b for x [N, in], w [in, out] (a folded Linear
// weight) and b [out]: a Linear with a batch norm folded
// into it, for inference graphs.
func LinearFolded(x, w, b *graph.Node) *graph.Node {
	if x.Rank() != 2 || w.Rank() != 2 || x.Shape().Dim(1) != w.Shape().Dim(0) {
		panic(fmt.Sprintf("ops.LinearFolded: want x [N,K] and w [K,M], got x %s and w %s", x.Shape(), w.Shape()))
	}
	return AddChannelBias(graph.DotGeneral(x, []int{1}, nil, w, []int{0}, nil), b)
}
