package augment

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// This file is fastai's _grid_sample (fastai/vision/augment.py), the one
// resampling step of every geometric transform: the augmentation's single
// pass, fastai's two passes, the step-by-step comparison and validation's
// resize. Before its bilinear step, fastai shrinks the source by area
// averaging when the output is much smaller than the source and the
// sampling's zoom does not make up for it:
//
//	mn, mx = coords.min(), coords.max()   # the whole batch's grid, x and y together
//	z = 1/(mx-mn).item()*2                 # the zoom (above 1: zooming in)
//	d = min(x.shape[-2]/coords.shape[-2], x.shape[-1]/coords.shape[-1])/2
//	if d>1 and d>z: x = F.interpolate(x, scale_factor=1/d, mode='area', recompute_scale_factor=True)
//
// coords is [B, oh, ow, 2], so d is min(H/ow, W/2)/2 — the output's width
// and the 2 of (x, y), not its height and width; fastgo keeps that (for
// aug_transforms' square outputs d is H/(2·size)). With
// recompute_scale_factor torch's area interpolation is adaptive average
// pooling to ⌊H·(1/d)⌋ × ⌊W·(1/d)⌋ (in float64: 460 → 448 for the chapter,
// but a 450-pixel crop → 447). The decision is per batch, as fastai's:
// one wide image of a training batch makes the whole batch shrink.

// shrink is fastai's pre-shrink for one sampling of an h×w source to an
// output ow pixels wide: d and the size the area step gives.
type shrink struct {
	d      float64
	nh, nw int
}

func shrinkFor(h, w, ow int) shrink {
	d := math.Min(float64(h)/float64(ow), float64(w)/2) / 2
	s := 1 / d
	return shrink{d, int(math.Floor(float64(h) * s)), int(math.Floor(float64(w) * s))}
}

// at says whether fastai shrinks before a sampling of zoom z.
func (s shrink) at(z float64) bool { return s.d > 1 && s.d > z }

// ValidPreShrink says whether fastai's validation resize of an h×w image
// to size×size (an identity grid: zoom 1) first area-interpolates it, and
// to which h'×w' (see [Augment]): Resize(460) then aug_transforms(224)
// gives 448×448, true; 448 → 224 gives false.
func ValidPreShrink(h, w, size int) (nh, nw int, ok bool) {
	s := shrinkFor(h, w, size)
	if !s.at(1) {
		return h, w, false
	}
	return s.nh, s.nw, true
}

// AreaWindows are the windows of torch's area interpolation along one axis
// (F.interpolate(mode='area'), which is adaptive_avg_pool2d) from n to out
// pixels: output pixel i is the mean of source pixels [start[i], end[i]),
// start = ⌊i·n/out⌋ and end = ⌈(i+1)·n/out⌉. Windows overlap when n/out is
// not an integer (460 → 448: lengths 1 and 2). n and out must be ≥ 1.
func AreaWindows(n, out int) (start, end []int) {
	start, end = make([]int, out), make([]int, out)
	for i := range out {
		start[i] = i * n / out
		end[i] = ((i+1)*n + out - 1) / out
	}
	return start, end
}

// gridSample is fastai's _grid_sample on x ([B,H,W,C] float): output pixel
// (col, row) of image b reads source pixel position P_b·(col, row, 1),
// divided by its third coordinate when projective (p holds P as [N,3,3],
// N = B or 1), bilinear with reflection padding (align_corners=True). When
// fastai's d exceeds 1, the zoom of this batch's grid decides at run time
// whether x is area-resized first (both are computed; see Where below).
func gridSample(x, p *graph.Node, oh, ow int, projective bool) *graph.Node {
	dims := x.Shape().Dimensions
	h, w := dims[1], dims[2]
	sx, sy := sourcePositions(graph.ConvertDType(p, x.DType()), oh, ow, projective)
	s := shrinkFor(h, w, ow)
	if s.d <= 1 { // no zoom makes fastai shrink
		return bilinear(x, sx, sy)
	}
	// d > z = 2/span ⇔ d·span > 2, span being the extent of the batch's
	// normalised coordinates (x and y together, as fastai's min and max).
	norm := func(v *graph.Node, n int) *graph.Node { return graph.AddScalar(graph.MulScalar(v, 2/float64(n-1)), -1) }
	nx, ny := norm(sx, w), norm(sy, h)
	lo := graph.Min(graph.ReduceAllMin(nx), graph.ReduceAllMin(ny))
	hi := graph.Max(graph.ReduceAllMax(nx), graph.ReduceAllMax(ny))
	span := graph.Sub(hi, lo)
	pred := graph.GreaterThan(graph.MulScalar(span, s.d), graph.Scalar(x.Graph(), span.DType(), 2))
	// Both samplings are computed and the batch's decision picks one:
	// graph.If would skip one, but GoMLX's graph-wide cache of scalar
	// constants hands nodes of one branch to the other.
	return graph.Where(pred, sampleShrunk(x, sx, sy, s), bilinear(x, sx, sy))
}

// sampleShrunk area-resizes x to s's size, then samples it at the
// positions sx, sy given in x's pixels: the same normalised coordinates,
// unnormalised to the smaller image as grid_sample does.
func sampleShrunk(x, sx, sy *graph.Node, s shrink) *graph.Node {
	dims := x.Shape().Dimensions
	h, w := dims[1], dims[2]
	scale := func(v *graph.Node, n, to int) *graph.Node {
		if n == 1 {
			return v
		}
		return graph.MulScalar(v, float64(to-1)/float64(n-1))
	}
	return bilinear(areaResize(x, s.nh, s.nw), scale(sx, w, s.nw), scale(sy, h, s.nh))
}

// resize is gridSample with the identity map (an identity affine_grid,
// whose zoom is exactly 1): x ([B,H,W,C]) resized to oh×ow, as fastai's
// validation resize, area-shrunk first where fastai does.
func resize(x *graph.Node, oh, ow int) *graph.Node {
	dims := x.Shape().Dimensions
	h, w := dims[1], dims[2]
	if s := shrinkFor(h, w, ow); s.at(1) {
		x, h, w = areaResize(x, s.nh, s.nw), s.nh, s.nw
	}
	sx, sy := sourcePositions(graph.ConvertDType(toPixels(identityMatrix(x.Graph()), h, w, oh, ow), x.DType()), oh, ow, false)
	return bilinear(x, sx, sy)
}

// areaResize is torch's area interpolation of x ([B,H,W,C] float) to
// nh×nw (adaptive average pooling, see AreaWindows), rows then columns.
func areaResize(x *graph.Node, nh, nw int) *graph.Node {
	dims := x.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	g := x.Graph()
	windows := func(n, out int) (lo, hi *graph.Node, k int) {
		start, end := AreaWindows(n, out)
		s32, e32 := make([]int32, out), make([]int32, out)
		for i := range out {
			s32[i], e32[i] = int32(start[i]), int32(end[i])
			k = max(k, end[i]-start[i])
		}
		return graph.Const(g, [][]int32{s32}), graph.Const(g, [][]int32{e32}), k
	}
	rlo, rhi, rk := windows(h, nh)
	y := averageRows(graph.Reshape(x, b, h, w*c), rlo, rhi, rk)
	clo, chi, ck := windows(w, nw)
	return averageColumns(graph.Reshape(y, b, nh, w, c), clo, chi, ck)
}

// windowWeights are the weights of a window average read as k consecutive
// pixels from first: 1/(hi−lo) for the pixels in [lo, hi), 0 for the
// others (lo, hi, first: int32 [N,n]; result float [N,n,k]).
func windowWeights(lo, hi, first *graph.Node, k int, dt dtypes.DType) *graph.Node {
	g := lo.Graph()
	dims := lo.Shape().Dimensions
	pos := graph.Add(graph.InsertAxes(first, -1), graph.Iota(g, shapes.Make(dtypes.Int32, 1, 1, k), 2))
	in := graph.LogicalAnd(graph.GreaterOrEqual(pos, graph.InsertAxes(lo, -1)), graph.LessThan(pos, graph.InsertAxes(hi, -1)))
	inv := graph.Reciprocal(graph.ConvertDType(graph.InsertAxes(graph.Sub(hi, lo), -1), dt))
	return graph.Where(in, graph.BroadcastToDims(inv, dims[0], dims[1], k), graph.Zeros(g, shapes.Make(dt, dims[0], dims[1], k)))
}

// averageRows averages windows of rows: x [B,H,R] → [B,n,R], output row i
// of image b being the mean of its rows [lo, hi) (lo, hi: int32 [N,n],
// N = 1 or B, windows of at most k rows inside [0, H)). The k rows are
// read with one Gather from a start moved back where the window ends the
// image; the weights pick the window's rows.
func averageRows(x, lo, hi *graph.Node, k int) *graph.Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	b, h, r := dims[0], dims[1], dims[2]
	n := lo.Shape().Dimensions[1]
	first := graph.MinScalar(lo, h-k)
	weights := windowWeights(lo, hi, first, k, x.DType()) // [N,n,k]
	start := graph.Add(graph.MulScalar(graph.Iota(g, shapes.Make(dtypes.Int32, b, 1), 0), h), first)
	start = graph.InsertAxes(graph.BroadcastToDims(start, b, n), -1) // [B,n,1]
	block := graph.BackendGather(graph.Reshape(x, b*h, r), start, 2, []int{2, 3}, nil, []int{0}, []int{k, r}, false)
	return graph.ReduceSum(graph.Mul(block, graph.InsertAxes(weights, -1)), 2) // [B,n,R]
}

// averageColumns averages windows of columns: x [B,M,W,C] → [B,M,n,C],
// output column j of image b the mean of its columns [lo, hi) (lo, hi:
// int32 [N,n], N = 1 or B; windows of at most k columns inside [0, W)).
func averageColumns(x, lo, hi *graph.Node, k int) *graph.Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	b, m, w, c := dims[0], dims[1], dims[2], dims[3]
	n := lo.Shape().Dimensions[1]
	first := graph.MinScalar(lo, w-k)
	weights := windowWeights(lo, hi, first, k, x.DType()) // [N,n,k]
	rows := graph.Iota(g, shapes.Make(dtypes.Int32, b, m, 1), 0)
	rows = graph.Add(graph.MulScalar(rows, m), graph.Iota(g, shapes.Make(dtypes.Int32, b, m, 1), 1)) // b·M+i
	cols := graph.MulScalar(graph.InsertAxes(first, 1), c)                                           // [N,1,n]
	start := graph.Stack([]*graph.Node{graph.BroadcastToDims(rows, b, m, n), graph.BroadcastToDims(cols, b, m, n)}, -1)
	block := graph.BackendGather(graph.Reshape(x, b*m, w*c), start, 3, []int{3}, []int{0}, []int{0, 1}, []int{1, k * c}, false)
	block = graph.Reshape(block, b, m, n, k, c)
	return graph.ReduceSum(graph.Mul(block, graph.InsertAxes(graph.InsertAxes(weights, 1), -1)), 3) // [B,M,n,C]
}

// cropWindows tabulates fastai's RandomResizedCropGPU step for every square
// crop side s of an input whose short side is short: the crop is sliced,
// then resized to size — area-shrunk first when fastai's _grid_sample
// would (d = min(s/size, s/2)/2 > 1, zoom 1) to n[s] pixels, else n[s] = s
// — with windows [lo[s][i], hi[s][i]) relative to the crop (rows past
// n[s] repeat the last window). k is the longest window, width the rows
// of the table (the largest n).
type cropWindows struct {
	n, lo, hi [][]int32
	k, width  int
}

func cropWindowsFor(short, size int) cropWindows {
	var t cropWindows
	t.n = make([][]int32, short+1)
	sizes := make([]int, short+1)
	for s := 1; s <= short; s++ {
		sizes[s] = s
		if sh := shrinkFor(s, s, size); sh.at(1) {
			sizes[s] = sh.nh
		}
		t.width = max(t.width, sizes[s])
	}
	t.lo, t.hi = make([][]int32, short+1), make([][]int32, short+1)
	for s := range short + 1 {
		t.n[s] = []int32{int32(max(sizes[s], 1))}
		t.lo[s], t.hi[s] = make([]int32, t.width), make([]int32, t.width)
		if s == 0 {
			for i := range t.width {
				t.hi[s][i] = 1
			}
			continue
		}
		start, end := AreaWindows(s, sizes[s])
		for i := range t.width {
			j := min(i, sizes[s]-1)
			t.lo[s][i], t.hi[s][i] = int32(start[j]), int32(end[j])
			t.k = max(t.k, end[j]-start[j])
		}
	}
	return t
}

// cropPass is RandomResizedCropGPU's step as fastai runs it: each image's
// square crop (side, top, left: float32 [B] pixel values, from cropBox)
// sliced from x ([B,H,W,C]) and resized to oh×ow with an identity grid
// through _grid_sample — area-shrunk first when the crop is more than
// twice the output (decided per image: fastai crops a whole batch alike).
func cropPass(x, side, top, left *graph.Node, oh, ow int) *graph.Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	t := cropWindowsFor(min(h, w), ow)
	s := graph.InsertAxes(graph.ConvertDType(side, dtypes.Int32), -1) // [B,1]
	pick := func(table [][]int32) *graph.Node { return graph.Gather(graph.Const(g, table), s) }
	n := graph.Reshape(pick(t.n), b) // [B]
	lo, hi := pick(t.lo), pick(t.hi) // [B,width], relative to the crop
	at := func(off *graph.Node) *graph.Node { return graph.InsertAxes(graph.ConvertDType(off, dtypes.Int32), -1) }
	y := averageRows(graph.Reshape(x, b, h, w*c), graph.Add(lo, at(top)), graph.Add(hi, at(top)), t.k)
	y = averageColumns(graph.Reshape(y, b, t.width, w, c), graph.Add(lo, at(left)), graph.Add(hi, at(left)), t.k)
	// The identity grid on the n×n (shrunk or not) crop: output pixel j at
	// j·(n−1)/(out−1), kept inside the crop as grid_sample's reflection
	// keeps a position that rounding put past the last pixel.
	last := graph.ConvertDType(graph.AddScalar(n, -1), x.DType())
	position := func(out int, axis int) *graph.Node {
		shape := []int{b, 1, 1}
		shape[axis] = out
		lastB := graph.Reshape(last, b, 1, 1)
		if out == 1 {
			return graph.BroadcastToDims(graph.DivScalar(lastB, 2), shape...)
		}
		j := graph.Iota(g, shapes.Make(x.DType(), 1, shape[1], shape[2]), axis)
		return graph.Min(graph.Mul(j, graph.DivScalar(lastB, float64(out-1))), lastB)
	}
	sx := graph.BroadcastToDims(position(ow, 2), b, oh, ow)
	sy := graph.BroadcastToDims(position(oh, 1), b, oh, ow)
	return bilinear(y, sx, sy)
}
