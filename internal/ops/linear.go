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
	return mark(graph.DotGeneral(x, []int{1}, nil, w, []int{1}, nil), linearAliasPrefix)
}

// Alias prefixes that mark the nodes whose gradients this package builds.
const (
	linearAliasPrefix   = "/fastgo.ops.linear/"    // y = x·wᵀ of Linear
	linearDxAliasPrefix = "/fastgo.ops.linear-dx/" // its gradient v·w wrt x
	im2colAliasPrefix   = "/fastgo.ops.im2col/"    // the patch concatenation of im2col
	reluAliasPrefix     = "/fastgo.ops.relu/"      // max(x, 0) of ReLU
)

var aliasCounter atomic.Uint64

// mark gives node a unique alias with the prefix; the gradient hooks below
// recognise their nodes by it.
func mark(node *graph.Node, prefix string) *graph.Node {
	return node.WithAlias(fmt.Sprintf("%s%d", prefix, aliasCounter.Add(1)))
}

// GoMLX's gradients of DotGeneral and Concatenate, used for every node not
// marked by this package.
var (
	defaultDotGeneralVJP  = graph.VJPRegistration[graph.NodeTypeDotGeneral]
	defaultConcatenateVJP = graph.VJPRegistration[graph.NodeTypeConcatenate]
	defaultMaxVJP         = graph.VJPRegistration[graph.NodeTypeMax]
)

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
	graph.VJPRegistration[graph.NodeTypeConcatenate] = func(node *graph.Node, v []*graph.Node, outShape shapes.Shape) []*graph.Node {
		if grads := im2colVJP(node, v[0]); grads != nil {
			return grads
		}
		return defaultConcatenateVJP(node, v, outShape)
	}
	graph.VJPRegistration[graph.NodeTypeMax] = func(node *graph.Node, v []*graph.Node, outShape shapes.Shape) []*graph.Node {
		if !strings.HasPrefix(node.GetAlias(), reluAliasPrefix) {
			return defaultMaxVJP(node, v, outShape)
		}
		// y = max(x, 0) ≥ 0, so sign(y) is the 0/1 mask of x > 0: two passes
		// instead of the five of the generic Max gradient, and 0 at x = 0 as
		// in torch.
		return []*graph.Node{graph.Mul(v[0], graph.Sign(node)), graph.ZerosLike(node.Inputs()[1])}
	}
}

// linearVJP returns the gradients of y = x·wᵀ for the output gradient v [N,M].
func linearVJP(node, v *graph.Node) []*graph.Node {
	x, w := node.Inputs()[0], node.Inputs()[1]
	dx := mark(graph.DotGeneral(v, []int{1}, nil, w, []int{0}, nil), linearDxAliasPrefix) // [N,M]·[M,K]
	dw := graph.DotGeneral(graph.Transpose(v, 0, 1), []int{1}, nil, x, []int{0}, nil)     // [M,N]·[N,K]
	return []*graph.Node{dx, dw}
}

// im2colVJP returns the gradients of the parts of an im2col patch matrix
// patches = [part₀ | part₁ | …] ([N, Σcᵢ]) when its output gradient is the
// Linear gradient v·w: part i's gradient is v·w[:, columns of part i],
// computed directly, instead of GoMLX's default that slices each part out of
// the [N, Σcᵢ] product element by element. It returns nil for other nodes.
func im2colVJP(node, dPatches *graph.Node) []*graph.Node {
	if !strings.HasPrefix(node.GetAlias(), im2colAliasPrefix) || !strings.HasPrefix(dPatches.GetAlias(), linearDxAliasPrefix) {
		return nil
	}
	v, w := dPatches.Inputs()[0], dPatches.Inputs()[1] // [N,M], [M,Σcᵢ]
	grads := make([]*graph.Node, len(node.Inputs()))
	offset := 0
	for i, part := range node.Inputs() {
		c := part.Shape().Dim(1)
		wi := graph.Slice(w, graph.AxisRange(), graph.AxisRange(offset, offset+c))
		grads[i] = graph.DotGeneral(v, []int{1}, nil, wi, []int{0}, nil)
		offset += c
	}
	return grads
}
