package augment

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/gomlx/gomlx/core/graph"
)

// refArea is torch's adaptive_avg_pool2d on img to nh×nw in float64, the
// windows computed here from the definition (⌊i·n/out⌋, ⌈(i+1)·n/out⌉),
// each output the mean of its whole 2-D window.
func refArea(img floatImage, nh, nw int) floatImage {
	out := floatImage{img.b, nh, nw, img.c, make([]float64, 0, img.b*nh*nw*img.c)}
	window := func(i, n, m int) (int, int) {
		return int(math.Floor(float64(i*n) / float64(m))), int(math.Ceil(float64((i+1)*n) / float64(m)))
	}
	for b := range img.b {
		for i := range nh {
			y0, y1 := window(i, img.h, nh)
			for j := range nw {
				x0, x1 := window(j, img.w, nw)
				for c := range img.c {
					s := 0.0
					for y := y0; y < y1; y++ {
						for x := x0; x < x1; x++ {
							s += img.at(b, y, x, c)
						}
					}
					out.v = append(out.v, s/float64((y1-y0)*(x1-x0)))
				}
			}
		}
	}
	return out
}

// sub is the crop [top, top+side) × [left, left+side) of image b.
func (f floatImage) sub(b, top, left, side int) floatImage {
	out := floatImage{1, side, side, f.c, make([]float64, 0, side*side*f.c)}
	for y := range side {
		for x := range side {
			for c := range f.c {
				out.v = append(out.v, f.at(b, top+y, left+x, c))
			}
		}
	}
	return out
}

// The windows of torch's area interpolation (adaptive_avg_pool2d), as
// PyTorch 1.13's adaptive_avg_pool1d gives them: 5 → 3 is [0,2) [1,4)
// [3,5); 460 → 448 averages 2 pixels, or 3 (8 windows: 37…40 is one),
// never 1 — a blur, not a resize that keeps most pixels.
func TestAreaWindows(t *testing.T) {
	if start, end := AreaWindows(5, 0); start != nil || end != nil {
		t.Errorf("5 → 0: windows %v %v, want none", start, end)
	}
	start, end := AreaWindows(5, 3)
	if !slices.Equal(start, []int{0, 1, 3}) || !slices.Equal(end, []int{2, 4, 5}) {
		t.Errorf("5 → 3: windows %v %v", start, end)
	}
	start, end = AreaWindows(460, 448)
	lengths := map[int]int{}
	for i := range start {
		lengths[end[i]-start[i]]++
	}
	if start[1] != 1 || end[1] != 3 || start[37] != 37 || end[37] != 40 || end[447] != 460 || lengths[2] != 440 || lengths[3] != 8 {
		t.Errorf("460 → 448: windows 1 [%d,%d), 37 [%d,%d), last end %d, lengths %v; want [1,3), [37,40), 460, 440 of 2 and 8 of 3",
			start[1], end[1], start[37], end[37], end[447], lengths)
	}
}

// fastai's decision and torch's output size (⌊n·(1/d)⌋ in float64), with
// fastai's d = min(H/ow, W/2)/2.
func TestValidPreShrink(t *testing.T) {
	for _, c := range []struct {
		h, w, size, nh, nw int
		ok                 bool
	}{
		{460, 460, 224, 448, 448, true}, // the chapter's validation resize
		{448, 448, 224, 448, 448, false},
		{450, 450, 224, 447, 447, true}, // floor(450·(1/(450/224/2))) is 447 in float64, as in torch
		{460, 600, 224, 448, 584, true},
		{100, 3, 20, 100, 3, false}, // W/2 = 1.5 is fastai's min: d = 0.75
		{40, 64, 20, 40, 64, false}, // d = 1: no
		{460, 460, 0, 460, 460, false},
		{0, 460, 224, 0, 460, false},
	} {
		nh, nw, ok := ValidPreShrink(c.h, c.w, c.size)
		if nh != c.nh || nw != c.nw || ok != c.ok {
			t.Errorf("ValidPreShrink(%d, %d, %d) = %d, %d, %v; want %d, %d, %v", c.h, c.w, c.size, nh, nw, ok, c.nh, c.nw, c.ok)
		}
	}
}

// The graph's area resize (transposed back) against the 2-D definition,
// for shrinking (by up to 3.7×), same-size and growing axes.
func TestAreaResizeMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, c := range []struct{ h, w, nh, nw int }{
		{13, 11, 6, 5}, {13, 11, 13, 11}, {13, 11, 9, 4}, {13, 11, 1, 1}, {13, 11, 17, 12}, {41, 37, 12, 11}, {460, 30, 448, 29},
	} {
		img := augRandomImage(rng, 2, c.h, c.w, 3)
		got := augRun(t, func(in []*graph.Node) *graph.Node {
			return graph.TransposeAllAxes(areaResizeT(in[0], c.nh, c.nw), 0, 2, 1, 3)
		}, img.tensor())
		if d := augMaxDiff(got, refArea(img, c.nh, c.nw).v); d > 1e-6 {
			t.Errorf("%d×%d → %d×%d: max difference %g", c.h, c.w, c.nh, c.nw, d)
		}
	}
}

// A training batch shrinks as a whole when fastai's zoom over the whole
// batch's grid is below d: two images zoomed in by 1.6 are sampled from
// the source, but the same two beside an unzoomed one are area-shrunk
// first, as is the unzoomed one.
func TestGridSampleDecidesPerBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	const n, size = 27, 12 // d = 27/24 = 1.125; a zoom of 1.6 spans 1.25 of 2: z = 1.6
	img := augRandomImage(rng, 3, n, n, 3)
	zoomed, plain := Draws{}.ZoomAt(1.6, 0.3, 0.6), Draws{}.Rotate(4)
	nh, nw, ok := ValidPreShrink(n, n, size)
	if !ok || nh != 24 || nw != 24 {
		t.Fatalf("pre-shrink %d×%d %v, want 24×24", nh, nw, ok)
	}
	matrix := func(d Draws) mat3 {
		row := make([]float32, paramsSize)
		d.row(row)
		f := func(i int) float64 { return float64(row[i]) }
		return mat3{{f(parM), f(parM + 1), f(parM + 2)}, {f(parM + 3), f(parM + 4), f(parM + 5)}, {0, 0, 1}}
	}
	two := floatImage{2, n, n, 3, img.v[:2*n*n*3]}
	got := givenOut(t, geometryOnly(size).MustWithDraws(zoomed, zoomed), two)
	if d := augMaxDiff(got, refTransform(two, []mat3{matrix(zoomed), matrix(zoomed)}, size, size)); d > 2e-5 {
		t.Errorf("two zoomed images: max difference %g from sampling the source", d)
	}
	got = givenOut(t, geometryOnly(size).MustWithDraws(zoomed, zoomed, plain), img)
	want := refTransform(refArea(img, nh, nw), []mat3{matrix(zoomed), matrix(zoomed), matrix(plain)}, size, size)
	if d := augMaxDiff(got, want); d > 2e-5 {
		t.Errorf("zoomed beside unzoomed: max difference %g from sampling the area-shrunk source", d)
	}
}

// fastai's RandomResizedCropGPU step in TwoPass: each crop sliced, then
// area-shrunk (when more than twice the output) and resized — here a
// 25-pixel crop to 12 (d = 25/24: shrunk to 24) and an 18-pixel one (not
// shrunk); validation's centre square of a non-square input likewise.
func TestCropPassMatchesFastai(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	const h, w, size = 26, 30, 12
	img := augRandomImage(rng, 2, h, w, 3)
	// Crop(scale, top, left): side round(√(scale·h·w)), offsets ⌊f·room⌋.
	big, small := Draws{}.Crop(625.0/(h*w), 1, 0.2), Draws{}.Crop(324.0/(h*w), 0.5, 1)
	boxes := [][3]int{{25, 1, 1}, {18, 4, 12}} // side, top, left
	a := geometryOnly(size).MustWithDraws(big, small)
	got := applyAug(t, a.TwoPass(), img, a.Params(2, fastgo.Train, nil), fastgo.Train)
	var want []float64
	for i, box := range boxes {
		crop := img.sub(i, box[1], box[2], box[0])
		if nh, nw, ok := ValidPreShrink(box[0], box[0], size); ok {
			crop = refArea(crop, nh, nw)
		}
		want = append(want, refTransform(crop, []mat3{identity3()}, size, size)...)
	}
	if d := augMaxDiff(got, want); d > 2e-5 {
		t.Errorf("crops %v: max difference %g from slicing, area-shrinking and resizing", boxes, d)
	}
	// Validation: the centre 26×26 square, shrunk to 24, resized to 12.
	got = applyAug(t, MustAugTransforms(size, MinScale(0.75)), img, nil, fastgo.Valid)
	want = nil
	for i := range 2 {
		want = append(want, refTransform(refArea(img.sub(i, 0, 2, 26), 24, 24), []mat3{identity3()}, size, size)...)
	}
	if d := augMaxDiff(got, want); d > 2e-5 {
		t.Errorf("valid: max difference %g from the centre square area-shrunk and resized", d)
	}
}

// FuzzAreaWindows: for any sizes the windows cover the source in order,
// each non-empty and at most ⌈n/out⌉+1 long; ValidPreShrink shrinks only
// when the input exceeds twice the output, to between the output and the
// input.
func FuzzAreaWindows(f *testing.F) {
	f.Add(460, 448, 224)
	f.Add(450, 447, 224)
	f.Add(5, 3, 2)
	f.Add(-1, 0, 0)
	f.Fuzz(func(t *testing.T, n, out, size int) {
		if n > 1<<14 || out > 1<<14 || size > 1<<14 {
			return
		}
		start, end := AreaWindows(n, out)
		if n < 1 || out < 1 {
			if start != nil || end != nil {
				t.Fatalf("AreaWindows(%d, %d) gave windows", n, out)
			}
			return
		}
		if start[0] != 0 || end[out-1] != n {
			t.Fatalf("AreaWindows(%d, %d) spans [%d, %d)", n, out, start[0], end[out-1])
		}
		for i := range out {
			if l := end[i] - start[i]; l < 1 || l > (n+out-1)/out+1 || i > 0 && (start[i] < start[i-1] || end[i] < end[i-1] || start[i] > end[i-1]) {
				t.Fatalf("AreaWindows(%d, %d): window %d is [%d, %d)", n, out, i, start[i], end[i])
			}
		}
		nh, nw, ok := ValidPreShrink(n, out, size)
		if ok && (n <= 2*size || nh < size || nh > n || nw > out || nw < 1) {
			t.Fatalf("ValidPreShrink(%d, %d, %d) = %d, %d, true", n, out, size, nh, nw)
		}
		if !ok && (nh != n || nw != out) {
			t.Fatalf("ValidPreShrink(%d, %d, %d) = %d, %d, false: the size changed", n, out, size, nh, nw)
		}
	})
}
