package ops

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/graph"
)

// Per-channel sums and broadcasts of an activation seen as rows [N, C], the
// core of batch normalisation and of its gradient.
//
// On the pure-Go backend a per-channel sum is the backend's ReduceSum in two
// levels (see channelSum), and a per-channel add, subtract or multiply is
// the binary operation with v as [1, C], which the backend broadcasts
// itself (channelApply). With github.com/gomlx/compute v0.1.14 these run
// faster than the products with a vector of ones used before (on the v0.1.6
// backend, ReduceSum and broadcasting were one-thread index iterators):
// BenchmarkChannelSumShapes, [200704, 64] (16 images at 112×112), minimum
// CPU time of 5: sum 2.1 ms (ReduceSum, one level) against 11.4 ms (two
// matrix products); a per-channel multiply of a fresh activation 15.7
// against 30.2 ms. Elsewhere (XLA) they are the plain ReduceSum and
// broadcast, which XLA fuses.

// channelSum returns Σₙ x[n, c] for x [N, C], as [C].
//
// On the pure-Go backend the N values of a channel are summed in two
// levels: x seen as [N/b, b·C] (a free reshape) is summed over its N/b rows
// (b·C partial sums, each of every b-th value), then the b partial sums of
// each channel are added, with b the divisor of N nearest below √N. A
// float32 sum's rounding error grows with the number of values added one
// after another: N/b + b ≈ 2√N here instead of N (TestChannelSumAccuracy:
// 2.4 ε instead of 72 ε on N = 200704, 16 images at 112×112).
func channelSum(l Lowering, x *graph.Node) *graph.Node {
	if x.Rank() != 2 {
		panic(fmt.Sprintf("ops.channelSum: want x [N, C], got %s", x.Shape()))
	}
	if l.resolve(x) == Native {
		return graph.ReduceSum(x, 0)
	}
	n, c := x.Shape().Dim(0), x.Shape().Dim(1)
	if b := sumBlock(n); b > 1 {
		partial := graph.ReduceSum(graph.Reshape(x, n/b, b*c), 0)
		return graph.ReduceSum(graph.Reshape(partial, b, c), 0)
	}
	return graph.ReduceSum(x, 0)
}

// sumBlock returns the largest divisor of n that is at most √n (1 for
// n < 64, where one level is as accurate: there is nothing to gain).
func sumBlock(n int) int {
	if n < 64 {
		return 1
	}
	for b := int(math.Sqrt(float64(n))); b > 1; b-- {
		if n%b == 0 {
			return b
		}
	}
	return 1
}

// channelOp is a per-channel operation of channelAdd, channelSub, channelMul.
type channelOp int

const (
	opAdd channelOp = iota
	opSub
	opMul
)

// channelAdd returns x + v on every row (x [N, C], v [C]).
func channelAdd(l Lowering, x, v *graph.Node) *graph.Node { return channelApply(l, opAdd, x, v) }

// channelSub returns x − v on every row (x [N, C], v [C]).
func channelSub(l Lowering, x, v *graph.Node) *graph.Node { return channelApply(l, opSub, x, v) }

// channelMul returns x · v on every row (x [N, C], v [C]).
func channelMul(l Lowering, x, v *graph.Node) *graph.Node { return channelApply(l, opMul, x, v) }

// channelApply applies op between the rows of x [N, C] and v [C]. On the
// pure-Go backend v enters as [1, C] and the backend broadcasts it inside
// the operation: no [N, C] copy of v is written, and none is kept for the
// backward pass (a Mul's gradient needs both operands: with an explicit
// broadcast, batch norm kept two activations per layer instead of one).
// The node is marked so that v's gradient is channelSum's two-level sum
// (gradients.go; GoMLX's own is a one-level ReduceSum). Elsewhere (XLA)
// v is broadcast explicitly, which XLA fuses.
func channelApply(l Lowering, op channelOp, x, v *graph.Node) *graph.Node {
	if x.Rank() != 2 || v.Rank() != 1 || x.Shape().Dim(1) != v.Shape().Dim(0) {
		panic(fmt.Sprintf("ops.channelApply: want x [N, C] and v [C], got x %s, v %s", x.Shape(), v.Shape()))
	}
	n, c := x.Shape().Dim(0), x.Shape().Dim(1)
	row := graph.Reshape(v, 1, c)
	native := l.resolve(x) == Native
	if native {
		row = graph.BroadcastToDims(row, n, c)
	}
	var y *graph.Node
	switch op {
	case opAdd:
		y = graph.Add(x, row)
	case opSub:
		y = graph.Sub(x, row)
	default:
		y = graph.Mul(x, row)
	}
	if native {
		return y
	}
	return mark(y, channelOpAliasPrefix)
}

// channelOpVJP returns the gradients of a marked channelApply node
// y = x ⊙ row (row [1, C]) for the output gradient g [N, C].
func channelOpVJP(node, g *graph.Node) []*graph.Node {
	x, row := node.Inputs()[0], node.Inputs()[1]
	c := row.Shape().Dim(1)
	switch node.Type() {
	case graph.NodeTypeAdd:
		return []*graph.Node{g, graph.Reshape(channelSum(Slices, g), 1, c)}
	case graph.NodeTypeSub:
		return []*graph.Node{g, graph.Reshape(graph.Neg(channelSum(Slices, g)), 1, c)}
	default: // Mul
		return []*graph.Node{graph.Mul(g, row), graph.Reshape(channelSum(Slices, graph.Mul(g, x)), 1, c)}
	}
}
