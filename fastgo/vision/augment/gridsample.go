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
// gives 448×448, true; 448 → 224 gives false, as do sizes below 1.
func ValidPreShrink(h, w, size int) (nh, nw int, ok bool) {
	if h < 1 || w < 1 || size < 1 {
		return h, w, false
	}
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
// not an integer (460 → 448: lengths 2 and 3). nil when n or out is
// below 1.
func AreaWindows(n, out int) (start, end []int) {
	if n < 1 || out < 1 {
		return nil, nil
	}
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
	// The shrunk image comes transposed: sampling it with x and y swapped
	// reads the same pixels with the same weights.
	return bilinear(areaResizeT(x, s.nh, s.nw), scale(sy, h, s.nh), scale(sx, w, s.nw))
}

// resize is gridSample with the identity map (an identity affine_grid,
// whose zoom is exactly 1): x ([B,H,W,C]) resized to oh×ow, as fastai's
// validation resize, area-shrunk first where fastai does.
func resize(x *graph.Node, oh, ow int) *graph.Node {
	dims := x.Shape().Dimensions
	h, w := dims[1], dims[2]
	sx, sy := sourcePositions(graph.ConvertDType(toPixels(identityMatrix(x.Graph()), h, w, oh, ow), x.DType()), oh, ow, false)
	if s := shrinkFor(h, w, ow); s.at(1) {
		return sampleShrunk(x, sx, sy, s)
	}
	return bilinear(x, sx, sy)
}

// areaResizeT is torch's area interpolation of x ([B,H,W,C] float) to
// nh×nw (adaptive average pooling, see AreaWindows), transposed: the
// result is [B,nw,nh,C]. Each output is the mean of its window: rows
// first, then columns as rows of the transposed image (a transposition
// the pure-Go backend does in blocks; the caller samples the result with
// x and y swapped rather than transposing it back).
func areaResizeT(x *graph.Node, nh, nw int) *graph.Node {
	g := x.Graph()
	windows := func(n, out int) (lo, hi *graph.Node, k int) {
		start, end := AreaWindows(n, out)
		lo32, hi32 := make([]int32, out), make([]int32, out)
		for i := range out {
			lo32[i], hi32[i] = int32(start[i]), int32(end[i])
			k = max(k, end[i]-start[i])
		}
		return graph.Const(g, [][]int32{lo32}), graph.Const(g, [][]int32{hi32}), k
	}
	lo, hi, k := windows(x.Shape().Dimensions[1], nh)
	y := graph.TransposeAllAxes(averageRows(x, lo, hi, k), 0, 2, 1, 3)
	lo, hi, k = windows(x.Shape().Dimensions[2], nw)
	return averageRows(y, lo, hi, k)
}

// averageRows averages windows of rows of x ([B,N,M,C]): output row i of
// image b is the mean of its rows [lo, hi) (lo, hi: int32 [N',n], N' = 1
// or B; windows of at most k rows), summed left to right as torch sums a
// window. The t-th row of every window is gathered whole (a row past the
// window reads an appended row of zeros), the k gathers are added and the
// sums scaled per row: block copies and vector operations, no broadcast
// the pure-Go backend would run element by element.
func averageRows(x, lo, hi *graph.Node, k int) *graph.Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	b, n, m, c := dims[0], dims[1], dims[2], dims[3]
	out := lo.Shape().Dimensions[1]
	xz := graph.Concatenate([]*graph.Node{x, graph.Zeros(g, shapes.Make(x.DType(), b, 1, m, c))}, 1)
	var sum *graph.Node
	for t := range k {
		row := graph.AddScalar(lo, t)
		row = graph.Where(graph.LessThan(row, hi), row, graph.AddScalar(graph.ZerosLike(row), n))
		if rows := pickRows(xz, row); sum == nil {
			sum = rows
		} else {
			sum = graph.Add(sum, rows)
		}
	}
	inv := graph.Reciprocal(graph.ConvertDType(graph.Sub(hi, lo), x.DType())) // [N',n]
	inv = graph.Reshape(graph.BroadcastToDims(inv, b, out), b*out, 1)         // one factor per row
	return graph.Reshape(graph.Mul(graph.Reshape(sum, b*out, m*c), inv), b, out, m, c)
}

// pickRows gathers rows of x ([B,M,W,C]): output row i of image b is row
// index[b][i] (index: int32 [N,n], N = 1 or B), copied whole.
func pickRows(x, index *graph.Node) *graph.Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	b, m, w, c := dims[0], dims[1], dims[2], dims[3]
	n := index.Shape().Dimensions[1]
	start := graph.Add(graph.MulScalar(graph.Iota(g, shapes.Make(dtypes.Int32, b, 1), 0), m), index)
	start = graph.InsertAxes(graph.BroadcastToDims(start, b, n), -1) // [B,n,1]: row b·M + index
	rows := graph.BackendGather(graph.Reshape(x, b*m, w*c), start, 2, []int{2}, []int{0}, []int{0}, []int{1, w * c}, false)
	return graph.Reshape(rows, b, n, w, c)
}

// cut is x[from:to] along axis, as a Pad with negative padding: the
// pure-Go backend pads by copying contiguous blocks, where its Slice
// copies element by element (internal/ops' cropSpatial does the same).
func cut(x *graph.Node, axis, from, to int) *graph.Node {
	cfg := make([]graph.PadAxis, x.Rank())
	cfg[axis] = graph.PadAxis{Start: -from, End: -(x.Shape().Dimensions[axis] - to)}
	return graph.Pad(x, graph.ScalarZero(x.Graph(), x.DType()), cfg...)
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
	sizes := make([]int, short+1)
	for s := 1; s <= short; s++ {
		sizes[s] = s
		if sh := shrinkFor(s, s, size); sh.at(1) {
			sizes[s] = sh.nh
		}
		t.width = max(t.width, sizes[s])
	}
	t.n, t.lo, t.hi = make([][]int32, short+1), make([][]int32, short+1), make([][]int32, short+1)
	for s := range short + 1 {
		t.n[s], t.lo[s], t.hi[s] = []int32{int32(max(sizes[s], 1))}, make([]int32, t.width), make([]int32, t.width)
		if s == 0 { // not a side: a one-pixel window
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
	b, h, w := dims[0], dims[1], dims[2]
	t := cropWindowsFor(min(h, w), ow)
	s := graph.InsertAxes(graph.ConvertDType(side, dtypes.Int32), -1) // [B,1]
	pick := func(table [][]int32) *graph.Node { return graph.Gather(graph.Const(g, table), s) }
	at := func(off *graph.Node) *graph.Node { return graph.InsertAxes(graph.ConvertDType(off, dtypes.Int32), -1) }
	lo, hi := pick(t.lo), pick(t.hi) // [B,width], relative to the crop
	y := averageRows(x, graph.Add(lo, at(top)), graph.Add(hi, at(top)), t.k)
	y = graph.TransposeAllAxes(y, 0, 2, 1, 3)                                 // columns as rows
	y = averageRows(y, graph.Add(lo, at(left)), graph.Add(hi, at(left)), t.k) // transposed: sampled with x and y swapped
	// The identity grid on the n×n (shrunk or not) crop: output pixel j at
	// j·(n−1)/(out−1), kept inside the crop as grid_sample's reflection
	// keeps a position that rounding put past the last pixel.
	n := graph.Reshape(pick(t.n), b)
	last := graph.Reshape(graph.ConvertDType(graph.AddScalar(n, -1), x.DType()), b, 1, 1)
	position := func(out int, axis int) *graph.Node {
		if out == 1 {
			return graph.DivScalar(last, 2)
		}
		shape := []int{1, 1, 1}
		shape[axis] = out
		j := graph.Iota(g, shapes.Make(x.DType(), shape...), axis)
		return graph.Min(graph.Mul(j, graph.DivScalar(last, float64(out-1))), last)
	}
	sx := graph.BroadcastToDims(position(ow, 2), b, oh, ow)
	sy := graph.BroadcastToDims(position(oh, 1), b, oh, ow)
	return bilinear(y, sy, sx)
}
