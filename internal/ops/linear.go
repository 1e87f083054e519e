package ops

import (
	"fmt"
	"github.com/gomlx/gomlx/core/graph"
)

// Linear returns x·wᵀ for x [N,K] and w [M,K] (torch's Linear layout, no
// bias): the result is [N,M].
//
// Its gradient is built so that no operand of a matrix multiplication needs
// a transpose inserted by the pure-Go backend except the output gradient v
// itself: dx = v·w (both row-major) and dw = vᵀ·x (v transposed explicitly,
// x used as is). GoMLX's generic DotGeneral gradient contracts v and x on
// their leading axis, which the pure-Go backend can only run after
// transposing both — for a convolution the patch matrix x is the largest
// tensor of the layer.
func Linear(x, w *graph.Node) *graph.Node {
	if x.Rank() != 2 || w.Rank() != 2 || x.Shape().Dim(1) != w.Shape().Dim(1) {
		panic(fmt.Sprintf("ops.Linear: want x [N,K] and w [M,K], got x %s and w %s", x.Shape(), w.Shape()))
	}
	return mark(graph.DotGeneral(x, []int{1}, nil, w, []int{1}, nil), linearAliasPrefix)
}
