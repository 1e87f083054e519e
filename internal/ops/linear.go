package ops

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/gomlx/compute/shapes"
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
	y := graph.DotGeneral(x, []int{1}, nil, w, []int{1}, nil)
	// The alias marks the node for linearVJP; a process-wide counter keeps it unique.
	return y.WithAlias(fmt.Sprintf("%s%d", linearAliasPrefix, atomic.AddUint64(&linearCounter, 1)))
}

const linearAliasPrefix = "/fastgo.ops.linear/"

var linearCounter uint64

// defaultDotGeneralVJP is GoMLX's gradient of DotGeneral, used for every
// DotGeneral not created by Linear.
var defaultDotGeneralVJP = graph.VJPRegistration[graph.NodeTypeDotGeneral]

func init() {
	// GoMLX looks gradients up by node type; wrapping the DotGeneral entry is
	// the only hook for a custom gradient of a multi-input node. It changes
	// nothing for nodes Linear did not create.
	graph.VJPRegistration[graph.NodeTypeDotGeneral] = func(node *graph.Node, v []*graph.Node, outShape shapes.Shape) []*graph.Node {
		if !strings.HasPrefix(node.GetAlias(), linearAliasPrefix) {
			return defaultDotGeneralVJP(node, v, outShape)
		}
		return linearVJP(node, v[0])
	}
}

// linearVJP returns the gradients of y = x·wᵀ for the output gradient v [N,M].
func linearVJP(node, v *graph.Node) []*graph.Node {
	x, w := node.Inputs()[0], node.Inputs()[1]
	dx := graph.DotGeneral(v, []int{1}, nil, w, []int{0}, nil)                        // [N,M]·[M,K]
	dw := graph.DotGeneral(graph.Transpose(v, 0, 1), []int{1}, nil, x, []int{0}, nil) // [M,N]·[N,K]
	return []*graph.Node{dx, dw}
}
