package ops

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// Per-channel sums and broadcasts of an activation seen as rows [N, C], the
// core of batch normalisation and of its gradient.
//
// On the pure-Go backend both are matrix products with a vector of ones:
// its ReduceSum and its broadcasting binary operations run one thread and
// walk an index iterator per element, while its matrix product is blocked,
// vectorised and parallel. On [N=4096, C=64] float32 (BenchmarkChannelOps,
// 2 cores) the sum takes 0.15 CPU-ms against ReduceSum's 1.8, and a
// per-channel multiply 1.1 against 2.7 with implicit broadcasting.
// Elsewhere (XLA) they are the plain ReduceSum and broadcast, which XLA fuses.
//
// Each one's gradient is the other: d(channelSum)/dx = channelBroadcast(v)
// and d(channelBroadcast)/dv = channelSum(vgrad), installed in gradients.go.

// channelSum returns Σₙ x[n, c] for x [N, C], as [C].
func channelSum(l Lowering, x *graph.Node) *graph.Node {
	if x.Rank() != 2 {
		panic(fmt.Sprintf("ops.channelSum: want x [N, C], got %s", x.Shape()))
	}
	if l.resolve(x) == Native {
		return graph.ReduceSum(x, 0)
	}
	ones := graph.Ones(x.Graph(), shapes.Make(x.DType(), x.Shape().Dim(0)))
	return mark(graph.DotGeneral(ones, []int{0}, nil, x, []int{0}, nil), channelSumAliasPrefix)
}

// channelBroadcast returns v [C] repeated on n rows, as [n, C].
func channelBroadcast(l Lowering, v *graph.Node, n int) *graph.Node {
	if v.Rank() != 1 || n < 1 {
		panic(fmt.Sprintf("ops.channelBroadcast: want v [C] and n ≥ 1, got v %s, n %d", v.Shape(), n))
	}
	c := v.Shape().Dim(0)
	if l.resolve(v) == Native {
		return graph.BroadcastToDims(graph.Reshape(v, 1, c), n, c)
	}
	ones := graph.Ones(v.Graph(), shapes.Make(v.DType(), n, 1))
	return mark(graph.DotGeneral(ones, []int{1}, nil, graph.Reshape(v, 1, c), []int{0}, nil), channelBroadcastAliasPrefix)
}
