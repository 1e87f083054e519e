package ops

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
)

// MaxPool2D is torch's MaxPool2d(kernel, stride, padding) on an NHWC tensor:
// the maximum over each k×k window, padding with -∞. Gradients go to the
// first maximal element of a window, as in torch.
func MaxPool2D(x *graph.Node, k, stride, padding int) *graph.Node {
	return MaxPool2DWith(Auto, x, k, stride, padding)
}

// MaxPool2DWith is [MaxPool2D] with an explicit lowering (tests and benchmarks).
func MaxPool2DWith(l Lowering, x *graph.Node, k, stride, padding int) *graph.Node {
	if x.Rank() != 4 || k < 1 || stride < 1 || padding < 0 || 2*padding > k {
		panic(fmt.Sprintf("ops.MaxPool2D: want NHWC x, k ≥ 1, stride ≥ 1, 0 ≤ padding ≤ k/2; got x %s, k %d, stride %d, padding %d",
			x.Shape(), k, stride, padding))
	}
	if l.resolve(x) == Native {
		return graph.BackendReduceWindow(x, compute.ReduceOpMax, []int{1, k, k, 1}, []int{1, stride, stride, 1},
			nil, nil, [][2]int{{0, 0}, {padding, padding}, {padding, padding}, {0, 0}})
	}
	// Separable: the maximum over each row's k window, then over k rows. A
	// running maximum of strided slices has no per-element window bookkeeping
	// (unlike the generic ReduceWindow), and two passes of k take 2(k-1)
	// maxima instead of k²-1. Gradients still go to the first maximum in
	// row-major order, as torch's: the first row holding the maximum, and its
	// first maximum.
	xp := padSpatial(x, padding, math.Inf(-1))
	ho := (xp.Shape().Dim(1)-k)/stride + 1
	wo := (xp.Shape().Dim(2)-k)/stride + 1
	runningMax := func(axis, n int) *graph.Node {
		var y *graph.Node
		for i := range k {
			spec := []graph.SliceAxisSpec{graph.AxisRange(), graph.AxisRange(), graph.AxisRange(), graph.AxisRange()}
			spec[axis] = graph.AxisRange(i, i+(n-1)*stride+1).Stride(stride)
			win := graph.Slice(xp, spec...)
			if y == nil {
				y = win
			} else {
				y = graph.Max(y, win)
			}
		}
		return y
	}
	xp = runningMax(2, wo)
	return runningMax(1, ho)
}

// AdaptiveAvgPool1x1 is torch's AdaptiveAvgPool2d(1) on an NHWC tensor,
// flattened: the mean over the spatial axes, [B,H,W,C] → [B,C].
func AdaptiveAvgPool1x1(x *graph.Node) *graph.Node {
	return graph.ReduceMean(x, 1, 2)
}

// AdaptiveMaxPool1x1 is torch's AdaptiveMaxPool2d(1) on an NHWC tensor,
// flattened: the maximum over the spatial axes, [B,H,W,C] → [B,C].
func AdaptiveMaxPool1x1(x *graph.Node) *graph.Node {
	return graph.ReduceMax(x, 1, 2)
}

// ReLU is max(x, 0). Its gradient is v·sign(y): 0 at x = 0, as in torch.
func ReLU(x *graph.Node) *graph.Node {
	return mark(graph.Max(x, graph.ScalarZero(x.Graph(), x.DType())), reluAliasPrefix)
}
