package augment

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// This file holds the bilinear step of the one sampler every geometric
// transform uses (gridSample, in gridsample.go) and the matrix helpers
// around it.
//
// Conventions (PyTorch's grid_sample with align_corners=True, as fastai):
// normalised coordinate -1 is the centre of the first pixel and +1 the
// centre of the last, so pixel p of an axis of n pixels is at 2p/(n-1)-1.
// A transform is a 3×3 matrix T acting on homogeneous normalised output
// coordinates (x, y, 1) and giving the source position (divided by the
// third coordinate when T is projective).

// mat3 is a 3×3 matrix on the CPU, in float64.
type mat3 [3][3]float64

func identity3() mat3 { return mat3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}} }

func (a mat3) mul(b mat3) mat3 {
	var c mat3
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				c[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return c
}

// float32s is the matrix as a [1][3][3] constant.
func (a mat3) float32s() [][][]float32 {
	out := [][][]float32{make([][]float32, 3)}
	for i := range 3 {
		out[0][i] = []float32{float32(a[i][0]), float32(a[i][1]), float32(a[i][2])}
	}
	return out
}

// warpHomography is fastai's perspective warp for magnitudes (mx, my): the
// homography (h0..h7, h8=1) that maps the target corners
// (-1-my,-1-mx), (-1+my,1+mx), (1+my,-1+mx), (1-my,1-mx) back to the
// corners (-1,-1), (-1,1), (1,-1), (1,1) of the square, found by solving
// fastai's 8×8 linear system.
func warpHomography(mx, my float64) [8]float64 {
	orig := [4][2]float64{{-1, -1}, {-1, 1}, {1, -1}, {1, 1}}
	targ := [4][2]float64{{-1 - my, -1 - mx}, {-1 + my, 1 + mx}, {1 + my, -1 + mx}, {1 - my, 1 - mx}}
	var a [8][9]float64 // augmented system [A | b]
	for i := range 4 {
		tx, ty, ox, oy := targ[i][0], targ[i][1], orig[i][0], orig[i][1]
		a[2*i] = [9]float64{tx, ty, 1, 0, 0, 0, -ox * tx, -ox * ty, ox}
		a[2*i+1] = [9]float64{0, 0, 0, tx, ty, 1, -oy * tx, -oy * ty, oy}
	}
	return solve8(a)
}

// solve8 solves an 8×8 system by Gaussian elimination with partial
// pivoting. The warp's system is regular for magnitudes below 1 (the
// targets stay a convex quadrilateral); a singular one returns identity.
func solve8(a [8][9]float64) [8]float64 {
	for col := range 8 {
		p := col
		for r := col + 1; r < 8; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		if math.Abs(a[p][col]) < 1e-12 {
			return [8]float64{1, 0, 0, 0, 1, 0, 0, 0}
		}
		a[col], a[p] = a[p], a[col]
		for r := col + 1; r < 8; r++ {
			f := a[r][col] / a[col][col]
			for k := col; k < 9; k++ {
				a[r][k] -= f * a[col][k]
			}
		}
	}
	var x [8]float64
	for r := 7; r >= 0; r-- {
		s := a[r][8]
		for k := r + 1; k < 8; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x
}

// identityMatrix is the identity transform as a [1,3,3] constant.
func identityMatrix(g *graph.Graph) *graph.Node { return graph.Const(g, identity3().float32s()) }

// paramMatrix reads n (6 or 8) values per image at column off of params
// ([B,K]) as [B,3,3] matrices, completing the last row with (0,0,1) for an
// affine matrix (n=6) or h8=1 for a homography (n=8).
func paramMatrix(params *graph.Node, off, n int) *graph.Node {
	b := params.Shape().Dimensions[0]
	vals := graph.Slice(params, graph.AxisRange(), graph.AxisRange(off, off+n))
	g := params.Graph()
	tail := []float32{0, 0, 1}[n-6:]
	rest := graph.BroadcastToDims(graph.Const(g, [][]float32{tail}), b, len(tail))
	return graph.Reshape(graph.Concatenate([]*graph.Node{vals, rest}, 1), b, 3, 3)
}

// aspectCorrect is fastai's _prepare_mat: for an h×w input the
// off-diagonal terms are scaled (M01·h/w, M10·w/h) so that a rotation of
// normalised coordinates is a rotation of the pixels.
func aspectCorrect(m *graph.Node, h, w int) *graph.Node {
	r := float64(h) / float64(w)
	k := mat3{{1, r, 1}, {1 / r, 1, 1}, {1, 1, 1}}
	return graph.Mul(m, graph.Const(m.Graph(), k.float32s()))
}

// matMul3 multiplies per-image matrices a·b ([N,3,3] each, N being 1 or
// the batch size).
func matMul3(a, b *graph.Node) *graph.Node {
	n := max(a.Shape().Dimensions[0], b.Shape().Dimensions[0])
	a = graph.BroadcastToDims(a, n, 3, 3)
	b = graph.BroadcastToDims(b, n, 3, 3)
	return graph.Einsum("bij,bjk->bik", a, b)
}

// toPixels turns a transform of normalised coordinates into one of pixel
// coordinates: output pixel (x, y) of an oh×ow output to source pixel
// coordinates of an h×w input (align_corners=True).
func toPixels(t *graph.Node, h, w, oh, ow int) *graph.Node {
	half := func(n int) float64 { return float64(n-1) / 2 }
	inv := func(n int) float64 { // 1/half, 0 for a single pixel (its centre is 0)
		if n == 1 {
			return 0
		}
		return 2 / float64(n-1)
	}
	toNorm := mat3{{inv(ow), 0, -1}, {0, inv(oh), -1}, {0, 0, 1}}
	if ow == 1 {
		toNorm[0][2] = 0
	}
	if oh == 1 {
		toNorm[1][2] = 0
	}
	fromNorm := mat3{{half(w), 0, half(w)}, {0, half(h), half(h)}, {0, 0, 1}}
	g := t.Graph()
	return matMul3(matMul3(graph.Const(g, fromNorm.float32s()), t), graph.Const(g, toNorm.float32s()))
}

// bilinear samples x ([B,H,W,C] float) at source pixel positions sx, sy
// ([N,oh,ow], N = B or 1, before reflection): bilinear with reflection
// padding about the border pixels' centres, which is
// grid_sample(mode='bilinear', padding_mode='reflection',
// align_corners=True) after the coordinates' unnormalisation. The four
// neighbours come from one Gather each on x viewed as [B·H, W·C].
func bilinear(x, sx, sy *graph.Node) *graph.Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	oh, ow := sx.Shape().Dimensions[1], sx.Shape().Dimensions[2]
	// Reflect the continuous position into [0, n-1] (grid_sample's
	// reflection for align_corners=True), then take the 2×2 neighbourhood
	// starting at (x0, y0) with x0 <= w-2, so x0+1 needs no reflection.
	sx, sy = reflectCoord(sx, w), reflectCoord(sy, h)
	x0f := graph.MinScalar(graph.Floor(sx), max(w-2, 0))
	y0f := graph.MinScalar(graph.Floor(sy), max(h-2, 0))
	wx := graph.InsertAxes(graph.Sub(sx, x0f), -1) // [n,oh,ow,1]
	wy := graph.InsertAxes(graph.Sub(sy, y0f), -1)
	x0 := graph.ConvertDType(x0f, dtypes.Int32)
	y0 := graph.ConvertDType(y0f, dtypes.Int32)

	// One Gather per output pixel copies its 2×2 neighbourhood: x viewed as
	// [B·H, W·C] gives two rows of 2·C contiguous values starting at row
	// b·H+y0, column x0·C. (Single-pixel axes are repeated first so the
	// neighbourhood always exists; their weights are 0.)
	if h == 1 {
		x, h = graph.Concatenate([]*graph.Node{x, x}, 1), 2
	}
	if w == 1 {
		x, w = graph.Concatenate([]*graph.Node{x, x}, 2), 2
	}
	rowIdx := graph.Add(graph.MulScalar(graph.Iota(g, shapes.Make(dtypes.Int32, b, 1, 1), 0), h), y0) // [B,oh,ow]
	colIdx := graph.BroadcastToDims(graph.MulScalar(x0, c), b, oh, ow)
	start := graph.Stack([]*graph.Node{rowIdx, colIdx}, -1) // [B,oh,ow,2]
	pixelRows := graph.Reshape(x, b*h, w*c)
	block := graph.BackendGather(pixelRows, start, 3, []int{3, 4}, nil, []int{0, 1}, []int{2, 2 * c}, false)
	block = graph.Reshape(block, b, oh, ow, 4, c)
	ux, uy := graph.OneMinus(wx), graph.OneMinus(wy)
	weights := graph.Concatenate([]*graph.Node{graph.Mul(uy, ux), graph.Mul(uy, wx), graph.Mul(wy, ux), graph.Mul(wy, wx)}, -1)
	return graph.ReduceSum(graph.Mul(block, graph.InsertAxes(weights, -1)), 3)
}

// sourcePositions is where each pixel of an oh×ow output reads: source
// pixel positions sx, sy ([N,oh,ow], before reflection) for the pixel
// maps p ([N,3,3], N = B or 1), divided by the third coordinate when
// projective.
func sourcePositions(p *graph.Node, oh, ow int, projective bool) (sx, sy *graph.Node) {
	g := p.Graph()
	n := p.Shape().Dimensions[0]
	dt := p.DType()
	entry := func(i, j int) *graph.Node {
		return graph.Reshape(graph.Slice(p, graph.AxisRange(), graph.AxisElem(i), graph.AxisElem(j)), n, 1, 1)
	}
	cols := graph.Iota(g, shapes.Make(dt, 1, 1, ow), 2)
	rows := graph.Iota(g, shapes.Make(dt, 1, oh, 1), 1)
	coord := func(i int) *graph.Node { // [n,oh,ow]
		v := graph.Add(graph.Mul(entry(i, 0), cols), graph.Mul(entry(i, 1), rows))
		return graph.Add(v, graph.BroadcastToDims(entry(i, 2), n, oh, ow))
	}
	sx, sy = coord(0), coord(1)
	if projective {
		z := coord(2)
		sx, sy = graph.Div(sx, z), graph.Div(sy, z)
	}
	return sx, sy
}

// reflectCoord folds continuous pixel positions into [0, n-1] by
// reflection about the first and last pixel centres (period 2(n-1)), as
// grid_sample's reflection padding with align_corners=True does.
func reflectCoord(s *graph.Node, n int) *graph.Node {
	if n == 1 {
		return graph.ZerosLike(s)
	}
	period := float64(2 * (n - 1))
	// Far-away positions (a degenerate warp) are clamped first so float32
	// keeps sub-pixel precision; positions a period apart reflect alike.
	a := graph.Abs(graph.ClipScalar(s, -1e6, 1e6))
	a = graph.Sub(a, graph.MulScalar(graph.Floor(graph.DivScalar(a, period)), period))
	return graph.Min(a, graph.AddScalar(graph.Neg(a), period))
}
