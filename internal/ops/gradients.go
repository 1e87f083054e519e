package ops

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// Custom gradients. GoMLX looks gradients up by node type in
// graph.VJPRegistration; wrapping its entries is the only hook for the
// gradient of a multi-input node. Each wrapper handles only nodes this
// package created and marked with an alias (a unique name, see mark); every
// other node gets GoMLX's own gradient, so nothing changes for other code.
//
// What they do, all for the pure-Go backend, where matrix products want
// their contracting axis last (or first, for the right operand) and slices
// copy element by element while pads and concatenations copy blocks:
//
//   - Linear (x·wᵀ): dw = vᵀ·x, transposing only v (see [Linear]).
//   - im2col: the patch gradient is computed per kernel offset (ij) as
//     v·w_ij, and the input gradient is assembled from those parts in two
//     stages (along W for each kernel row, then along H: 6 pads and 4 adds
//     instead of 9 full-size pads and 8 adds).
//   - Spatial padding (Pad, which has no gradient in GoMLX): a crop.
//   - ReLU: v·sign(y).
//   - channelAdd/Sub/Mul: v's gradient is channelSum's two-level sum (see
//     channel.go).

// Alias prefixes of the marked nodes.
const (
	linearAliasPrefix   = "/fastgo.ops.linear/"    // y = x·wᵀ of Linear
	linearDxAliasPrefix = "/fastgo.ops.linear-dx/" // its gradient v·w wrt x
	im2colAliasPrefix   = "/fastgo.ops.im2col/"    // the patch concatenation; alias ends with its geometry
	col2imAliasPrefix   = "/fastgo.ops.col2im/"    // the window slice at kernel offset (0,0), receives the input gradient
	padAliasPrefix      = "/fastgo.ops.pad/"       // spatial padding
	reluAliasPrefix     = "/fastgo.ops.relu/"      // max(x, 0) of ReLU
	shiftAliasPrefix    = "/fastgo.ops.shift/"     // a Pad or crop without interior padding; alias ends with its starts
	concatAliasPrefix   = "/fastgo.ops.concat/"    // a concatenation whose gradient is crops; alias ends with its axis

	winogradPadAliasPrefix = "/fastgo.ops.winograd-pad/" // the padded input of conv3x3Winograd
	winogradVAliasPrefix   = "/fastgo.ops.winograd-v/"   // an input matrix V_ij; alias ends with 4i+j

	channelOpAliasPrefix = "/fastgo.ops.channel-op/" // x ⊙ v[1,C] of channelApply
)

var aliasCounter atomic.Uint64

// keepPatches, from FASTGO_CONV_KEEP_PATCHES=1 (read once), makes
// stride-1 convolutions keep what their forward product read for the
// weight gradient — im2col's patch matrix, Winograd's 16 input matrices —
// instead of computing it again in the backward pass (im2colWeightGrad,
// winogradWeightGrad): more memory, less work. For A/B benchmarks only
// (bench/README.md).
var keepPatches = os.Getenv("FASTGO_CONV_KEEP_PATCHES") == "1"

// mark gives node a unique alias with the prefix (and suffix, if any); the
// gradient hooks recognise their nodes by it.
func mark(node *graph.Node, prefix string, suffix ...string) *graph.Node {
	return node.WithAlias(fmt.Sprintf("%s%d%s", prefix, aliasCounter.Add(1), strings.Join(suffix, "")))
}

func marked(node *graph.Node, prefix string) bool { return strings.HasPrefix(node.GetAlias(), prefix) }

// GoMLX's gradients, used for every node not marked by this package.
var (
	defaultDotGeneralVJP  = graph.VJPRegistration[graph.NodeTypeDotGeneral]
	defaultConcatenateVJP = graph.VJPRegistration[graph.NodeTypeConcatenate]
	defaultMaxVJP         = graph.VJPRegistration[graph.NodeTypeMax]
	defaultSliceVJP       = graph.VJPRegistration[graph.NodeTypeSlice]
	defaultPadVJP         = graph.VJPRegistration[graph.NodeTypePad]
)

func init() {
	graph.VJPRegistration[graph.NodeTypeDotGeneral] = func(node *graph.Node, v []*graph.Node, outShape shapes.Shape) []*graph.Node {
		switch {
		case marked(node, linearAliasPrefix):
			return linearVJP(node, v[0])
		}
		return defaultDotGeneralVJP(node, v, outShape)
	}
	graph.VJPRegistration[graph.NodeTypeConcatenate] = func(node *graph.Node, v []*graph.Node, outShape shapes.Shape) []*graph.Node {
		if marked(node, im2colAliasPrefix) && marked(v[0], linearDxAliasPrefix) {
			return im2colVJP(node, v[0])
		}
		if marked(node, concatAliasPrefix) {
			return concatenateVJP(node, v[0])
		}
		return defaultConcatenateVJP(node, v, outShape)
	}
	graph.VJPRegistration[graph.NodeTypeSlice] = func(node *graph.Node, v []*graph.Node, outShape shapes.Shape) []*graph.Node {
		if marked(node, col2imAliasPrefix) {
			if dxp := takeCol2Im(node); dxp != nil {
				return []*graph.Node{dxp}
			}
		}
		return defaultSliceVJP(node, v, outShape)
	}
	graph.VJPRegistration[graph.NodeTypePad] = func(node *graph.Node, v []*graph.Node, outShape shapes.Shape) []*graph.Node {
		if marked(node, padAliasPrefix) {
			return padVJP(node, v[0])
		}
		if marked(node, shiftAliasPrefix) {
			return shiftVJP(node, v[0])
		}
		if marked(node, winogradPadAliasPrefix) { // [B,H,W,C] padded by 1 (and 1 more at odd sides) before, after
			x := node.Inputs()[0]
			return []*graph.Node{cropSpatial(v[0], 1, x.Shape().Dim(1), 1, x.Shape().Dim(2)), nil}
		}
		if marked(node, col2imAliasPrefix) { // the (0,0) window as a crop (cropSpatial)
			if dxp := takeCol2Im(node); dxp != nil {
				return []*graph.Node{dxp, nil}
			}
		}
		if defaultPadVJP != nil {
			return defaultPadVJP(node, v, outShape)
		}
		panic(fmt.Sprintf("graph has node %s of type Pad, for which no gradient is defined", node))
	}
	for _, t := range []graph.NodeType{graph.NodeTypeAdd, graph.NodeTypeSub, graph.NodeTypeMul} {
		defaultVJP := graph.VJPRegistration[t]
		graph.VJPRegistration[t] = func(node *graph.Node, v []*graph.Node, outShape shapes.Shape) []*graph.Node {
			if marked(node, channelOpAliasPrefix) {
				return channelOpVJP(node, v[0])
			}
			return defaultVJP(node, v, outShape)
		}
	}
	graph.VJPRegistration[graph.NodeTypeMax] = func(node *graph.Node, v []*graph.Node, outShape shapes.Shape) []*graph.Node {
		if marked(node, reluAliasPrefix) {
			// y = max(x, 0) ≥ 0, so sign(y) is the 0/1 mask of x > 0: two
			// passes instead of the five of the generic Max gradient, and 0
			// at x = 0 as in torch.
			return []*graph.Node{graph.Mul(v[0], graph.Sign(node)), nil}
		}
		return defaultMaxVJP(node, v, outShape)
	}
}

// linearVJP returns the gradients of y = x·wᵀ for the output gradient v [N,M].
func linearVJP(node, v *graph.Node) []*graph.Node {
	x, w := node.Inputs()[0], node.Inputs()[1]
	dx := mark(graph.DotGeneral(v, []int{1}, nil, w, []int{0}, nil), linearDxAliasPrefix) // [N,M]·[M,K]
	vt := graph.Transpose(v, 0, 1)
	if dw := winogradWeightGrad(x, vt); dw != nil {
		return []*graph.Node{dx, dw}
	}
	if dw := im2colWeightGrad(x, vt); dw != nil {
		return []*graph.Node{dx, dw}
	}
	dw := graph.DotGeneral(vt, []int{1}, nil, x, []int{0}, nil) // [M,N]·[N,K]
	return []*graph.Node{dx, dw}
}

// im2colWeightGrad returns the weight gradient vᵀ·patches of a stride-1
// im2col convolution without the patch matrix [N, k²·C]: each kernel
// offset's window of the padded input xp is cropped again and multiplied
// by vᵀ, and the k² products [M, C] are concatenated. The patch matrix,
// k² times the input's size, is then freed after the forward product
// instead of being kept for the backward pass (ResNet18 at 128 px, batch
// 64: 1.2 GB). The crops take their (unused) padding value from v, so the
// dataflow executor cannot run them before the output gradient exists and
// hold them from the start of the backward pass. It returns nil for any
// other x (a stride-2 convolution keeps its patches: its windows are
// Slices, which copy element by element).
func im2colWeightGrad(patches, vt *graph.Node) *graph.Node {
	if keepPatches || !marked(patches, im2colAliasPrefix) {
		return nil
	}
	geo, ok := parseGeometry(patches.GetAlias())
	parts := patches.Inputs()
	if !ok || geo.stride != 1 || len(parts) != geo.k*geo.k {
		return nil
	}
	owner := parts[0].Inputs()[0] // Reshape(window (0,0)) → the window
	if !marked(owner, col2imAliasPrefix) {
		return nil
	}
	xp := owner.Inputs()[0]
	c := xp.Shape().Dim(3)
	n := parts[0].Shape().Dim(0)
	after := graph.MulScalar(graph.Reshape(graph.Slice(graph.Reshape(vt, -1), graph.AxisRange(0, 1))), 0)
	grads := make([]*graph.Node, len(parts))
	for i := range geo.k {
		for j := range geo.k {
			win := cropSpatialFill(xp, after, i, geo.ho, j, geo.wo)
			grads[i*geo.k+j] = graph.DotGeneral(vt, []int{1}, nil, graph.Reshape(win, n, c), []int{0}, nil) // [M,N]·[N,C]
		}
	}
	return graph.Concatenate(grads, 1)
}

// im2colGeometry is appended to the alias of an im2col concatenation.
type im2colGeometry struct{ k, stride, ho, wo int }

func (g im2colGeometry) suffix() string {
	return fmt.Sprintf("/k%d_s%d_%dx%d", g.k, g.stride, g.ho, g.wo)
}

func parseGeometry(alias string) (g im2colGeometry, ok bool) {
	i := strings.LastIndexByte(alias, '/')
	_, err := fmt.Sscanf(alias[i+1:], "k%d_s%d_%dx%d", &g.k, &g.stride, &g.ho, &g.wo)
	return g, err == nil
}

// col2imStash hands the input gradient assembled by im2colVJP to the
// gradient of the (0,0) window slice, which GoMLX visits next; an entry
// lives only during one Gradient call.
var col2imStash sync.Map // *graph.Node (the marked slice) → *graph.Node (gradient of its input)

func takeCol2Im(slice *graph.Node) *graph.Node {
	if v, ok := col2imStash.LoadAndDelete(slice); ok {
		return v.(*graph.Node)
	}
	return nil
}

// im2colVJP returns the gradients of the parts of an im2col patch matrix
// [part₀₀ | part₀₁ | …] ([N, k²·C], part ij = window (i,j) of the padded
// input xp, reshaped to [N, C]) whose output gradient is v·w. Each part's
// gradient v·w_ij is computed directly rather than sliced out of v·w (a
// slice copies element by element). When the parts are the windows of a
// marked (0,0) slice, the gradient of xp is assembled here and handed to
// that slice's gradient; the other parts then need none.
func im2colVJP(node, dPatches *graph.Node) []*graph.Node {
	v, w := dPatches.Inputs()[0], dPatches.Inputs()[1] // [N,M], [M,k²·C]
	parts := node.Inputs()
	dParts := make([]*graph.Node, len(parts))
	offset := 0
	for i, part := range parts {
		c := part.Shape().Dim(1)
		wi := graph.Slice(w, graph.AxisRange(), graph.AxisRange(offset, offset+c))
		dParts[i] = graph.DotGeneral(v, []int{1}, nil, wi, []int{0}, nil)
		offset += c
	}
	geo, ok := parseGeometry(node.GetAlias())
	owner := parts[0].Inputs()[0] // Reshape(Slice(xp)) → the slice
	if !ok || len(parts) != geo.k*geo.k || !marked(owner, col2imAliasPrefix) {
		return dParts
	}
	xp := owner.Inputs()[0]
	col2imStash.Store(owner, col2im(xp.Shape(), dParts, geo))
	grads := make([]*graph.Node, len(parts))
	grads[0] = dParts[0] // reaches the owner, whose gradient is the stashed one
	return grads
}

// col2im sums the window gradients back onto the padded input: for each
// kernel row i, the row's k windows are placed along W (pads with stride
// holes) and added; then the k row sums are placed along H and added.
func col2im(xpShape shapes.Shape, dParts []*graph.Node, geo im2colGeometry) *graph.Node {
	b, hp, wp, c := xpShape.Dim(0), xpShape.Dim(1), xpShape.Dim(2), xpShape.Dim(3)
	s := geo.stride
	zero := graph.ScalarZero(dParts[0].Graph(), dParts[0].DType())
	place := func(x *graph.Node, axis, offset, n, full int) *graph.Node {
		cfg := make([]graph.PadAxis, 4)
		cfg[axis] = graph.PadAxis{Start: offset, End: full - offset - (n-1)*s - 1, Interior: s - 1}
		return graph.Pad(x, zero, cfg...)
	}
	var total *graph.Node
	for i := range geo.k {
		var row *graph.Node
		for j := range geo.k {
			p := place(graph.Reshape(dParts[i*geo.k+j], b, geo.ho, geo.wo, c), 2, j, geo.wo, wp)
			if row == nil {
				row = p
			} else {
				row = graph.Add(row, p)
			}
		}
		p := place(row, 1, i, geo.ho, hp)
		if total == nil {
			total = p
		} else {
			total = graph.Add(total, p)
		}
	}
	return total
}

// padVJP crops the gradient of a spatially padded tensor back to its input.
func padVJP(node, v *graph.Node) []*graph.Node {
	x := node.Inputs()[0]
	p := (node.Shape().Dim(1) - x.Shape().Dim(1)) / 2
	return []*graph.Node{cropSpatial(v, p, x.Shape().Dim(1), p, x.Shape().Dim(2)), nil}
}
