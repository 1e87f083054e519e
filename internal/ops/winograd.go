package ops

import (
	"fmt"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/core/graph"
)

// conv3x3Winograd is a 3×3, stride-1, padding-1 convolution of x (NHWC
// [B,H,W,C]) with w (OHWI [Cout,3,3,C]) by Winograd's minimal filtering
// F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2016): each 2×2 block of outputs comes from a 4×4 block of
// the padded input through Bᵀ·d·B, 16 matrix products [T,C]·[C,Cout] with
// the transformed kernel G·g·Gᵀ (T = B·⌈H/2⌉·⌈W/2⌉ blocks), and Aᵀ·m·A:
// 16·T·C·Cout multiply-adds instead of im2col's 36·T·C·Cout (2.25× fewer).
//
// The transforms are additions of crops of x seen as [B, H/2, 2, W/2, 2, C]
// (the backend copies crops by contiguous runs); the gradients are GoMLX's
// automatic ones through them, with this package's gradients for the
// crops and pads (shiftFill), the interleaving of the output blocks
// (concatenate) and the products (Linear), so that no element-by-element
// Slice runs on an activation.
func conv3x3Winograd(k kernelLayout, x, w *graph.Node) *graph.Node {
	cout, kh, kw, cin := k.dims(w)
	if x.Rank() != 4 || w.Rank() != 4 || kh != 3 || kw != 3 || x.Shape().Dim(3) != cin {
		panic(fmt.Sprintf("ops.conv3x3Winograd: want x NHWC and a 3×3 kernel over its channels, got x %s, w %s", x.Shape(), w.Shape()))
	}
	b, h, wd := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2)
	he, we := h+h%2, wd+wd%2 // even sizes: an odd side gets one more zero row or column
	th, tw := he/2, we/2
	xp := mark(graph.Pad(x, graph.ScalarZero(x.Graph(), x.DType()), graph.PadAxis{}, graph.PadAxis{Start: 1, End: 1 + he - h},
		graph.PadAxis{Start: 1, End: 1 + we - wd}, graph.PadAxis{}), winogradPadAliasPrefix) // [B, he+2, we+2, C]
	v := winogradInput(xp, graph.ScalarZero(x.Graph(), x.DType()))
	for i := range 4 {
		for j := range 4 {
			// Marked: the weight gradient computes them again (winogradWeightGrad).
			v[i][j] = mark(v[i][j], winogradVAliasPrefix, fmt.Sprintf("/%d", 4*i+j))
		}
	}

	// Kernel: U = G·g·Gᵀ with G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]], per (i, j) a [Cout, C]
	// matrix ([C, Cout] for hwio kernels).
	g := func(i, j int) *graph.Node { return k.tap(w, i, j) }
	gt := func(a [3]*graph.Node) [4]*graph.Node {
		sum := graph.Add(a[0], a[2])
		return [4]*graph.Node{a[0], graph.MulScalar(graph.Add(sum, a[1]), 0.5), graph.MulScalar(graph.Sub(sum, a[1]), 0.5), a[2]}
	}
	var wk [4][3]*graph.Node
	for l := range 3 {
		col := gt([3]*graph.Node{g(0, l), g(1, l), g(2, l)})
		for i := range 4 {
			wk[i][l] = col[i]
		}
	}
	var m [4][4]*graph.Node // m[i][j] = v[i][j]·U[i][j]ᵀ: [T, Cout]
	for i := range 4 {
		uij := gt(wk[i])
		for j := range 4 {
			m[i][j] = k.product(v[i][j], uij[j])
		}
	}

	// Output: Aᵀ·m·A with Aᵀ = [[1,1,1,0],[0,1,-1,-1]].
	at := func(a [4]*graph.Node) [2]*graph.Node {
		return [2]*graph.Node{graph.Add(graph.Add(a[0], a[1]), a[2]), graph.Sub(graph.Sub(a[1], a[2]), a[3])}
	}
	var s [2][4]*graph.Node
	for j := range 4 {
		r := at([4]*graph.Node{m[0][j], m[1][j], m[2][j], m[3][j]})
		s[0][j], s[1][j] = r[0], r[1]
	}
	var planes []*graph.Node
	for r := range 2 {
		y := at(s[r])
		pair := []*graph.Node{graph.Reshape(y[0], b, th, 1, tw, 1, cout), graph.Reshape(y[1], b, th, 1, tw, 1, cout)}
		planes = append(planes, concatenate(pair, 4))
	}
	out := graph.Reshape(concatenate(planes, 2), b, he, we, cout)
	if he != h || we != wd {
		out = cropSpatial(out, 0, h, 0, wd)
	}
	return out
}

// winogradInput returns Bᵀ·d·B for every 4×4 block d of xp [B, 2th+2,
// 2tw+2, C] taken every 2 rows and columns, as 16 matrices [T, C] (T =
// B·th·tw). Its crops pad with fill, which is zero but may be a node the
// transform must wait for (winogradWeightGrad).
func winogradInput(xp, fill *graph.Node) [4][4]*graph.Node {
	b, c := xp.Shape().Dim(0), xp.Shape().Dim(3)
	th, tw := (xp.Shape().Dim(1)-2)/2, (xp.Shape().Dim(2)-2)/2
	// pick returns the elements 2t+r (t < n) of axis `axis` of t, whose
	// size there is 2(n+1), by a crop of t seen with that axis as [n+1, 2].
	pick := func(t *graph.Node, axis, r, n int) *graph.Node {
		dims := t.Shape().Dimensions
		split := append(append(append([]int{}, dims[:axis]...), n+1, 2), dims[axis+1:]...)
		cfg := make([]graph.PadAxis, len(split))
		cfg[axis] = graph.PadAxis{Start: -(r / 2), End: -(n + 1 - r/2 - n)}
		cfg[axis+1] = graph.PadAxis{Start: -(r % 2), End: -(1 - r%2)}
		out := append(append(append([]int{}, dims[:axis]...), n), dims[axis+1:]...)
		return graph.Reshape(shiftFill(graph.Reshape(t, split...), fill, cfg...), out...)
	}
	// bt applies Bᵀ = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]] to four rows.
	bt := func(d [4]*graph.Node) [4]*graph.Node {
		return [4]*graph.Node{graph.Sub(d[0], d[2]), graph.Add(d[1], d[2]), graph.Sub(d[2], d[1]), graph.Sub(d[1], d[3])}
	}
	var rows [4]*graph.Node
	for r := range 4 {
		rows[r] = pick(xp, 1, r, th) // [B, th, we+2, C]
	}
	u := bt(rows)
	var v [4][4]*graph.Node
	for i := range 4 {
		var cols [4]*graph.Node
		for j := range 4 {
			cols[j] = pick(u[i], 2, j, tw) // [B, th, tw, C]
		}
		for j, vij := range bt(cols) {
			v[i][j] = graph.Reshape(vij, b*th*tw, c)
		}
	}
	return v
}

// winogradRecomputed hands the input transform computed again for the
// weight gradient to the 16 products' gradients, which GoMLX visits one
// after another; an entry lives only during one Gradient call.
var winogradRecomputed sync.Map // *graph.Node (the padded input) → *winogradEntry

type winogradEntry struct {
	v    [4][4]*graph.Node
	left int // products whose gradient has not taken its matrix yet
}

// winogradWeightGrad returns vᵀ·V for a marked Winograd input matrix V
// without keeping V from the forward pass: the first of the 16 products'
// gradients computes the input transform again from the padded input,
// after the output gradient exists (the crops' fill is 0·v), and the 16
// take their matrix from it. The forward pass then keeps the padded input
// (about 1×) instead of the 16 matrices (4× the input). It returns nil for
// any other x.
func winogradWeightGrad(x, vt *graph.Node) *graph.Node {
	if keepPatches || !marked(x, winogradVAliasPrefix) {
		return nil
	}
	a := x.GetAlias()
	var idx int
	if _, err := fmt.Sscanf(a[strings.LastIndexByte(a, '/')+1:], "%d", &idx); err != nil || idx < 0 || idx > 15 {
		return nil
	}
	xp := x
	for !marked(xp, winogradPadAliasPrefix) {
		if len(xp.Inputs()) == 0 {
			return nil
		}
		xp = xp.Inputs()[0]
	}
	e, loaded := winogradRecomputed.LoadOrStore(xp, &winogradEntry{left: 16})
	entry := e.(*winogradEntry)
	if !loaded {
		fill := graph.MulScalar(graph.Reshape(graph.Slice(graph.Reshape(vt, -1), graph.AxisRange(0, 1))), 0)
		entry.v = winogradInput(xp, fill)
	}
	if entry.left--; entry.left == 0 {
		winogradRecomputed.Delete(xp)
	}
	return graph.DotGeneral(vt, []int{1}, nil, entry.v[idx/4][idx%4], []int{0}, nil) // [M,T]·[T,C]
}

// shiftFill pads (positive) or crops (negative) x per axis with the scalar
// fill (a crop writes none of it, but waits for it), no interior padding.
// Its gradient is the opposite shift of the output gradient (shiftVJP),
// where GoMLX's Pad gradient handles no crops.
func shiftFill(x, fill *graph.Node, cfg ...graph.PadAxis) *graph.Node {
	starts := make([]string, x.Rank())
	for i := range starts {
		if i < len(cfg) {
			starts[i] = fmt.Sprint(cfg[i].Start)
		} else {
			starts[i] = "0"
		}
	}
	return mark(graph.Pad(x, fill, cfg...), shiftAliasPrefix, "/starts"+strings.Join(starts, ","))
}

// shiftVJP returns the gradient of a shift node: v shifted back.
func shiftVJP(node, v *graph.Node) []*graph.Node {
	x := node.Inputs()[0]
	a := node.GetAlias()
	starts := strings.Split(strings.TrimPrefix(a[strings.LastIndexByte(a, '/')+1:], "starts"), ",")
	if len(starts) != x.Rank() {
		panic(fmt.Sprintf("ops: shift %q does not name its %d starts", a, x.Rank()))
	}
	cfg := make([]graph.PadAxis, x.Rank())
	for i := range cfg {
		var start int
		if _, err := fmt.Sscan(starts[i], &start); err != nil {
			panic(fmt.Sprintf("ops: shift %q: %v", a, err))
		}
		d := node.Shape().Dim(i) - x.Shape().Dim(i)
		cfg[i] = graph.PadAxis{Start: -start, End: -(d - start)}
	}
	return []*graph.Node{graph.Pad(v, graph.ScalarZero(v.Graph(), v.DType()), cfg...), nil}
}

// concatenate is graph.Concatenate whose gradient takes each input's part
// of the output gradient by a crop (runs of memory) rather than a Slice
// (element by element).
func concatenate(parts []*graph.Node, axis int) *graph.Node {
	return mark(graph.Concatenate(parts, axis), concatAliasPrefix, fmt.Sprintf("/axis%d", axis))
}

// concatenateVJP returns each part's crop of the output gradient v.
func concatenateVJP(node, v *graph.Node) []*graph.Node {
	var axis int
	a := node.GetAlias()
	if _, err := fmt.Sscanf(a[strings.LastIndexByte(a, '/')+1:], "axis%d", &axis); err != nil {
		panic(fmt.Sprintf("ops: concatenation %q has no axis in its alias", a))
	}
	parts := node.Inputs()
	grads := make([]*graph.Node, len(parts))
	offset, total := 0, node.Shape().Dim(axis)
	for i, p := range parts {
		n := p.Shape().Dim(axis)
		cfg := make([]graph.PadAxis, v.Rank())
		cfg[axis] = graph.PadAxis{Start: -offset, End: -(total - offset - n)}
		grads[i] = graph.Pad(v, graph.ScalarZero(v.Graph(), v.DType()), cfg...)
		offset += n
	}
	return grads
}
