package ops

import (
	"fmt"

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
// (the backend copies crops by contiguous runs). Forward only: an
// experiment measured by BenchmarkConvForwardAlgorithms; Conv2D does not
// use it (see the package documentation for why).
func conv3x3Winograd(x, w *graph.Node) *graph.Node {
	if x.Rank() != 4 || w.Rank() != 4 || w.Shape().Dim(1) != 3 || w.Shape().Dim(2) != 3 || x.Shape().Dim(3) != w.Shape().Dim(3) {
		panic(fmt.Sprintf("ops.conv3x3Winograd: want x NHWC and w [Cout,3,3,C], got x %s, w %s", x.Shape(), w.Shape()))
	}
	b, h, wd, c := x.Shape().Dim(0), x.Shape().Dim(1), x.Shape().Dim(2), x.Shape().Dim(3)
	cout := w.Shape().Dim(0)
	he, we := h+h%2, wd+wd%2 // even sizes: an odd side gets one more zero row or column
	th, tw := he/2, we/2
	zero := graph.ScalarZero(x.Graph(), x.DType())
	xp := graph.Pad(x, zero, graph.PadAxis{}, graph.PadAxis{Start: 1, End: 1 + he - h},
		graph.PadAxis{Start: 1, End: 1 + we - wd}, graph.PadAxis{}) // [B, he+2, we+2, C]

	// pick returns the elements 2t+r (t < n) of axis `axis` of t, whose
	// size there is 2(n+1), by a crop of t seen with that axis as [n+1, 2].
	pick := func(t *graph.Node, axis, r, n int) *graph.Node {
		dims := t.Shape().Dimensions
		split := append(append(append([]int{}, dims[:axis]...), n+1, 2), dims[axis+1:]...)
		cfg := make([]graph.PadAxis, len(split))
		cfg[axis] = graph.PadAxis{Start: -(r / 2), End: -(n + 1 - r/2 - n)}
		cfg[axis+1] = graph.PadAxis{Start: -(r % 2), End: -(1 - r%2)}
		out := append(append(append([]int{}, dims[:axis]...), n), dims[axis+1:]...)
		return graph.Reshape(graph.Pad(graph.Reshape(t, split...), zero, cfg...), out...)
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
	var v [4][4]*graph.Node // v[i][j]: [T, C]
	for i := range 4 {
		var cols [4]*graph.Node
		for j := range 4 {
			cols[j] = pick(u[i], 2, j, tw) // [B, th, tw, C]
		}
		for j, vij := range bt(cols) {
			v[i][j] = graph.Reshape(vij, b*th*tw, c)
		}
	}

	// Kernel: U = G·g·Gᵀ with G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]], per (i, j) a [Cout, C] matrix.
	g := func(k, l int) *graph.Node {
		s := graph.Slice(w, graph.AxisRange(), graph.AxisRange(k, k+1), graph.AxisRange(l, l+1), graph.AxisRange())
		return graph.Reshape(s, cout, c)
	}
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
			m[i][j] = graph.DotGeneral(v[i][j], []int{1}, nil, uij[j], []int{1}, nil)
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
		planes = append(planes, graph.Concatenate(pair, 4))
	}
	out := graph.Reshape(graph.Concatenate(planes, 2), b, he, we, cout)
	if he != h || we != wd {
		out = cropSpatial(out, 0, h, 0, wd)
	}
	return out
}
