package vision

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"golang.org/x/image/draw"
)

// numbered is a w×h image whose pixel (x, y) is (10x+y, x, y): every
// pixel tells where it came from.
func numbered(w, h int) Image {
	m := NewImage(w, h)
	for y := range h {
		for x := range w {
			i := (y*w + x) * 3
			m.Pix[i], m.Pix[i+1], m.Pix[i+2] = uint8(10*x+y), uint8(x), uint8(y)
		}
	}
	return m
}

func TestResizeName(t *testing.T) {
	tests := []struct {
		r    *ResizeTransform
		want string
	}{
		{Resize(460), "Resize -- {'size': (460, 460), 'method': 'crop', 'pad_mode': 'reflection', 'resamples': (<Resampling.BILINEAR: 2>, <Resampling.NEAREST: 0>), 'p': 1.0}"},
		{Resize(224, WithMethod(Pad), WithPadMode(Zeros)), "Resize -- {'size': (224, 224), 'method': 'pad', 'pad_mode': 'zeros', 'resamples': (<Resampling.BILINEAR: 2>, <Resampling.NEAREST: 0>), 'p': 1.0}"},
		{Resize(128, WithMethod(Squish), WithPadMode(Border)), "Resize -- {'size': (128, 128), 'method': 'squish', 'pad_mode': 'border', 'resamples': (<Resampling.BILINEAR: 2>, <Resampling.NEAREST: 0>), 'p': 1.0}"},
	}
	for _, tt := range tests {
		if got := tt.r.Name(); got != tt.want {
			t.Errorf("Name() = %q\nwant      %q", got, tt.want)
		}
	}
}

// TestResizeBox checks the crop box against values computed with fastai's
// formulas in Python (including float rounding: 251/224·224 = 250.99… → 250).
func TestResizeBox(t *testing.T) {
	tests := []struct {
		w, h, size int
		method     ResizeMethod
		pct        float64
		x, y, bw   int
	}{
		{500, 375, 460, Crop, 0.5, 62, 0, 375},
		{500, 375, 460, Crop, 1, 125, 0, 375},
		{500, 375, 460, Crop, 0.3, 37, 0, 375},
		{500, 375, 460, Pad, 0.5, 0, -62, 500},
		{500, 375, 460, Pad, 1, 0, -125, 500},
		{333, 500, 460, Crop, 0.5, 0, 83, 333},
		{333, 500, 460, Pad, 1, -167, 0, 500},
		{300, 251, 224, Crop, 1, 50, 1, 250},
		{251, 300, 224, Pad, 0.5, -24, 0, 300},
		{1, 1, 460, Crop, 0.5, 0, 0, 1},
	}
	for _, tt := range tests {
		r := Resize(tt.size, WithMethod(tt.method))
		x, y, bw, bh := r.box(tt.w, tt.h, tt.pct, tt.pct)
		if x != tt.x || y != tt.y || bw != tt.bw || bh != tt.bw {
			t.Errorf("%dx%d %v(%d) pct %v: box (%d,%d) %dx%d, want (%d,%d) %dx%d",
				tt.w, tt.h, tt.method, tt.size, tt.pct, x, y, bw, bh, tt.x, tt.y, tt.bw, tt.bw)
		}
	}
}

// columns returns the source column (the G channel of numbered) of each
// pixel of row y.
func columns(m Image, y int) []int {
	out := make([]int, m.W)
	for x := range m.W {
		out[x] = int(m.At(x, y).G)
	}
	return out
}

func TestResizeCrop(t *testing.T) {
	src := numbered(6, 4)
	r := Resize(4)
	// The box is 4×4, as large as the output: no resampling, the pixels
	// are the source's, columns 1-4 when centred, 0-3 and 2-5 at the ends.
	for _, tt := range []struct {
		pct  float64
		want []int
	}{{0.5, []int{1, 2, 3, 4}}, {0, []int{0, 1, 2, 3}}, {1, []int{2, 3, 4, 5}}} {
		got, err := r.resize(src, tt.pct, tt.pct)
		if err != nil {
			t.Fatal(err)
		}
		for y := range 4 {
			if c := columns(got, y); fmt.Sprint(c) != fmt.Sprint(tt.want) || got.At(0, y).B != uint8(y) {
				t.Errorf("pct %v row %d: source columns %v, row %d; want %v, row %d", tt.pct, y, c, got.At(0, y).B, tt.want, y)
			}
		}
	}
	// Valid ignores the random generator and centres; Train draws the
	// position from it (the same draws give the same crop).
	valid, err := r.Apply(src, fastgo.ItemContext{Split: fastgo.Valid, Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	if c := columns(valid.(Image), 0); fmt.Sprint(c) != "[1 2 3 4]" {
		t.Errorf("valid crop columns %v, want centred [1 2 3 4]", c)
	}
	seen := map[int]bool{}
	for seed := range uint64(20) {
		got, err := r.Apply(&src, fastgo.ItemContext{Split: fastgo.Train, Rand: rand.New(rand.NewPCG(seed, 0))})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(seed, 0))
		pctX, pctY := rng.Float64(), rng.Float64()
		want, _ := r.resize(src, pctX, pctY)
		assertSameImage(t, fmt.Sprintf("train seed %d", seed), got.(Image), want)
		seen[columns(got.(Image), 0)[0]] = true
	}
	// int(pct·2) is 2 only for pct = 1, which Float64 never returns.
	if len(seen) != 2 {
		t.Errorf("20 train crops started at columns %v, want both 0 and 1", seen)
	}
}

func TestResizePadModes(t *testing.T) {
	// A 2×4 image padded to a 4×4 box: one column each side, no resampling.
	src := numbered(2, 4)
	for _, tt := range []struct {
		mode PadMode
		want string // source columns (black reads as column 0)
	}{
		{Reflection, "[1 0 1 0]"},
		{Zeros, "[0 0 1 0]"},
		{Border, "[0 0 1 1]"},
	} {
		got, err := Resize(4, WithMethod(Pad), WithPadMode(tt.mode)).resize(src, 0.5, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		for y := range 4 {
			if c := columns(got, y); fmt.Sprint(c) != tt.want || got.At(1, y).B != uint8(y) {
				t.Errorf("%v row %d: source columns %v, want %s", tt.mode, y, c, tt.want)
			}
		}
		black := color.RGBA{0, 0, 0, 255}
		if tt.mode == Zeros && (got.At(0, 2) != black || got.At(3, 2) != black || got.At(1, 2) == black) {
			t.Errorf("zeros: row 2 is %v %v %v, want black, source, …, black", got.At(0, 2), got.At(1, 2), got.At(3, 2))
		}
	}
	// Reflection wider than the image repeats the mirror (numpy.pad).
	// Columns −4…3 of [a b c] padded: a b c b | a b c | b.
	for i, want := range []int{0, 1, 2, 1, 0, 1, 2, 1} {
		if got := padIndex(i-4, 3, Reflection); got != want {
			t.Errorf("padIndex(%d, 3) = %d, want %d", i-4, got, want)
		}
	}
}

func TestResizeSquish(t *testing.T) {
	// [black, white] stretched to 4 wide: triangle weights 1, ¾·¼, ¼·¾, 1
	// give 0, 64 (63.75), 191 (191.25), 255 — Pillow's result.
	src := NewImage(2, 1)
	src.Pix[3], src.Pix[4], src.Pix[5] = 255, 255, 255
	got, err := Resize(4, WithMethod(Squish)).resize(src, 0.5, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	for y := range 4 {
		for x, want := range []uint8{0, 64, 191, 255} {
			if c := got.At(x, y); c.R != want || c.G != want || c.B != want {
				t.Errorf("pixel (%d,%d) = %v, want grey %d", x, y, c, want)
			}
		}
	}
}

func TestResizeOnePixel(t *testing.T) {
	src := NewImage(1, 1)
	copy(src.Pix, []uint8{9, 99, 199})
	for _, m := range []ResizeMethod{Crop, Pad, Squish} {
		got, err := Resize(460, WithMethod(m)).Apply(src, fastgo.ItemContext{Split: fastgo.Valid})
		if err != nil {
			t.Fatal(err)
		}
		out := got.(Image)
		if out.W != 460 || out.H != 460 || out.At(0, 0) != src.At(0, 0) || out.At(459, 230) != src.At(0, 0) {
			t.Errorf("%v: %s, corners %v %v, want 460x460 of %v", m, out.Describe(), out.At(0, 0), out.At(459, 230), src.At(0, 0))
		}
	}
}

func TestResizeErrors(t *testing.T) {
	if _, err := Resize(0).Apply(numbered(3, 3), fastgo.ItemContext{}); err == nil {
		t.Error("Resize(0) gave no error")
	}
	if _, err := Resize(4, WithMethod(ResizeMethod(7))).Apply(numbered(3, 3), fastgo.ItemContext{}); err == nil {
		t.Error("an unknown method gave no error")
	}
	if _, err := Resize(4).Apply(nil, fastgo.ItemContext{}); err == nil {
		t.Error("a nil value gave no error")
	}
	if _, err := Resize(4).Apply(Image{W: 2, H: 2}, fastgo.ItemContext{}); err == nil {
		t.Error("an image without pixels gave no error")
	}
}

// checkerboard is a w×h image of alternating black and white pixels.
func checkerboard(w, h int) Image {
	m := NewImage(w, h)
	for y := range h {
		for x := range w {
			if (x+y)%2 == 1 {
				copy(m.Pix[(y*w+x)*3:][:3], []uint8{255, 255, 255})
			}
		}
	}
	return m
}

// bilinear4 is plain 4-tap bilinear interpolation (what an antialiasing
// filter must not be), sampling at the same pixel centres.
func bilinear4(m Image, w, h int) Image {
	out := NewImage(w, h)
	sx, sy := float64(m.W)/float64(w), float64(m.H)/float64(h)
	for y := range h {
		fy := min(max((float64(y)+0.5)*sy-0.5, 0), float64(m.H-1))
		y0 := int(fy)
		y1 := min(y0+1, m.H-1)
		for x := range w {
			fx := min(max((float64(x)+0.5)*sx-0.5, 0), float64(m.W-1))
			x0 := int(fx)
			x1 := min(x0+1, m.W-1)
			for c := range 3 {
				p := func(x, y int) float64 { return float64(m.Pix[(y*m.W+x)*3+c]) }
				top := p(x0, y0) + (fx-float64(x0))*(p(x1, y0)-p(x0, y0))
				bot := p(x0, y1) + (fx-float64(x0))*(p(x1, y1)-p(x0, y1))
				out.Pix[(y*w+x)*3+c] = uint8(math.Round(top + (fy-float64(y0))*(bot-top)))
			}
		}
	}
	return out
}

func spread(m Image) (lo, hi uint8) {
	lo, hi = 255, 0
	for _, v := range m.Pix {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

func TestResizeAntialiases(t *testing.T) {
	src := checkerboard(90, 90)
	lo, hi := spread(ResizeImage(src, 23, 23))
	if lo < 118 || hi > 137 {
		t.Errorf("a 1-px checkerboard shrunk 90→23 spans %d…%d, want uniform grey near 127", lo, hi)
	}
	if lo4, hi4 := spread(bilinear4(src, 23, 23)); hi4-lo4 < 100 {
		t.Errorf("4-tap bilinear spans only %d…%d: the test cannot tell it from an antialiased filter", lo4, hi4)
	}
}

// referenceResize is the triangle filter in float64, directly from its
// definition: each output is the normalised weighted sum over every input
// sample, first along x, then along y, rounded once at the end.
func referenceResize(m Image, w, h int) []float64 {
	weights := func(in, out, i int) []float64 {
		scale := float64(in) / float64(out)
		fs := max(scale, 1)
		center := (float64(i) + 0.5) * scale
		ws := make([]float64, in)
		var sum float64
		for j := range ws {
			ws[j] = max(0, 1-math.Abs((float64(j)+0.5-center)/fs))
			sum += ws[j]
		}
		for j := range ws {
			ws[j] /= sum
		}
		return ws
	}
	tmp := make([]float64, m.H*w*3)
	for x := range w {
		ws := weights(m.W, w, x)
		for y := range m.H {
			for c := range 3 {
				var s float64
				for j, wt := range ws {
					s += wt * float64(m.Pix[(y*m.W+j)*3+c])
				}
				tmp[(y*w+x)*3+c] = s
			}
		}
	}
	out := make([]float64, h*w*3)
	for y := range h {
		ws := weights(m.H, h, y)
		for i := range w * 3 {
			var s float64
			for j, wt := range ws {
				s += wt * tmp[j*w*3+i]
			}
			out[y*w*3+i] = s
		}
	}
	return out
}

func TestResizeMatchesFloatReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	src := NewImage(37, 23)
	for i := range src.Pix {
		src.Pix[i] = uint8(rng.IntN(256))
	}
	for _, size := range [][2]int{{13, 7}, {50, 40}, {60, 10}, {41, 30}, {100, 31}, {37, 5}, {4, 23}, {1, 1}} {
		got := ResizeImage(src, size[0], size[1])
		want := referenceResize(src, size[0], size[1])
		for i, v := range want {
			// Two fixed-point passes, each rounded to a byte: within one level.
			if d := math.Abs(float64(got.Pix[i]) - v); d > 1 {
				p := i / 3
				t.Fatalf("37x23→%dx%d: pixel (%d,%d) channel %d = %d, float reference %.2f", size[0], size[1], p%size[0], p/size[0], i%3, got.Pix[i], v)
			}
		}
		// A box inside the image is resampled as if it had been cropped
		// out first.
		crop := cropPad(src, 5, 3, 20, 15, Zeros)
		assertSameImage(t, fmt.Sprintf("box (5,3) 20x15→%dx%d", size[0], size[1]),
			resampleBox(src, 5, 3, 20, 15, size[0], size[1]), ResizeImage(crop, size[0], size[1]))
	}
}

// TestResizeMatchesPillow pins the resampler to Pillow's own output: the
// hashes are the first 8 bytes of SHA-256 of the RGB bytes Pillow 9.4
// produced for the same noise images (saved as PNG from noise()), with
//
//	im.crop((x, y, x+bw, y+bh)).resize((w, h), Image.BILINEAR).tobytes()
//
// The resampler is bit-exact; only JPEG decoding differs from Pillow's
// (libjpeg-turbo's IDCT and chroma upsampling, within a few levels).
func TestResizeMatchesPillow(t *testing.T) {
	small, large := noise(37, 23), noise(500, 375)
	tests := []struct {
		name               string
		x, y, bw, bh, w, h int
		sha                string
	}{
		{"37x23 to 13x7", 0, 0, 37, 23, 13, 7, "86daaa8747f0d261"},
		{"37x23 to 50x40", 0, 0, 37, 23, 50, 40, "36375e5ccb5275c0"},
		{"37x23 to 60x10", 0, 0, 37, 23, 60, 10, "27ac10bd51cbdfc9"},
		{"37x23 to 4x23", 0, 0, 37, 23, 4, 23, "f141d1dd15f5df7d"},
		{"37x23 to 1x1", 0, 0, 37, 23, 1, 1, "7f32aafac1bed602"},
		{"37x23 box (5,3) 20x15 to 31x11", 5, 3, 20, 15, 31, 11, "d07f63ce4bfbfbeb"},
		{"500x375 Resize(460) valid", 62, 0, 375, 375, 460, 460, "db29555c16a3e152"},
		{"500x375 to 224x224", 0, 0, 500, 375, 224, 224, "ebbd5667dc2b97f8"},
		{"500x375 to 97x460", 0, 0, 500, 375, 97, 460, "f3a82c8644867c01"},
	}
	for _, tt := range tests {
		src := small
		if tt.bw > 37 {
			src = large
		}
		got := resampleBox(src, tt.x, tt.y, tt.bw, tt.bh, tt.w, tt.h)
		sum := sha256.Sum256(got.Pix)
		if h := hex.EncodeToString(sum[:8]); h != tt.sha {
			t.Errorf("%s: sha256 %s…, Pillow's is %s…", tt.name, h, tt.sha)
		}
	}
	// Resize itself, on the valid split, picks that same centred box.
	out, err := Resize(460).Apply(large, fastgo.ItemContext{Split: fastgo.Valid})
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(out.(Image).Pix); hex.EncodeToString(sum[:8]) != "db29555c16a3e152" {
		t.Errorf("Resize(460) on valid differs from Pillow's centre crop and resize")
	}
}

// TestBlendRows2 checks the vector path of the vertical pass (present with
// GOEXPERIMENT=simd on AVX-512 machines) against the scalar formula.
func TestBlendRows2(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 5, 16, 33, 1380} {
		r0, r1, o := make([]uint8, n), make([]uint8, n), make([]uint8, n)
		for i := range n {
			r0[i], r1[i] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
		}
		w0 := int32(rng.IntN(1 << precisionBits))
		w1 := int32(1<<precisionBits) - w0
		done := blendRows2(o, r0, r1, w0, w1)
		for c := range done {
			if want := clip8(1<<(precisionBits-1) + int32(r0[c])*w0 + int32(r1[c])*w1); o[c] != want {
				t.Fatalf("n=%d byte %d: %d, want %d", n, c, o[c], want)
			}
		}
		if done > n || done%16 != 0 {
			t.Errorf("n=%d: did %d bytes", n, done)
		}
	}
}

// noise is a deterministic w×h image of pseudo-random bytes (an LCG, so
// that other languages can rebuild it; see TestResizeMatchesPillow).
func noise(w, h int) Image {
	m := NewImage(w, h)
	state := uint32(1)
	for i := range m.Pix {
		state = state*1664525 + 1013904223
		m.Pix[i] = uint8(state >> 24)
	}
	return m
}

func loadTestImage(tb testing.TB, name string) Image {
	tb.Helper()
	m, err := LoadImage(filepath.Join(testImages, name))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func BenchmarkDecodeJPEG(b *testing.B) {
	for b.Loop() {
		loadTestImage(b, "great_pyrenees_158.jpg") // 500×375
	}
}

func BenchmarkFromStdYCbCr(b *testing.B) {
	m := image.NewYCbCr(image.Rect(0, 0, 500, 375), image.YCbCrSubsampleRatio420)
	for b.Loop() {
		FromStd(m)
	}
}

func BenchmarkResize460(b *testing.B) {
	m := loadTestImage(b, "great_pyrenees_158.jpg")
	r := Resize(460)
	for b.Loop() {
		if _, err := r.resize(m, 0.5, 0.5); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkXDrawBiLinear460 is the same centre crop and resize with
// golang.org/x/image/draw's BiLinear kernel (antialiased too, but float64
// and RGBA), for comparison with BenchmarkResize460.
func BenchmarkXDrawBiLinear460(b *testing.B) {
	m := loadTestImage(b, "great_pyrenees_158.jpg").ToStd()
	for b.Loop() {
		dst := image.NewRGBA(image.Rect(0, 0, 460, 460))
		draw.BiLinear.Scale(dst, dst.Rect, m, image.Rect(62, 0, 437, 375), draw.Src, nil)
	}
}

func ExampleResize() {
	m := MustLoadImage("../../testdata/images/great_pyrenees_158.jpg")
	r := Resize(460)
	out, err := r.Apply(m, fastgo.ItemContext{Split: fastgo.Valid})
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Describe())
	fmt.Println(out.Describe(), out.TensorShape())
	fmt.Println(r.Name())
	// Output:
	// PILImage mode=RGB size=500x375
	// PILImage mode=RGB size=460x460 [3 460 460]
	// Resize -- {'size': (460, 460), 'method': 'crop', 'pad_mode': 'reflection', 'resamples': (<Resampling.BILINEAR: 2>, <Resampling.NEAREST: 0>), 'p': 1.0}
}

// checkResize resizes a constant-colour w×h image with every method and
// both splits and fails unless each result is size×size and entirely that
// colour (with zero padding: that colour blended with black): a wrong box
// or filter window would read outside the image or leave pixels unset.
func checkResize(t *testing.T, w, h, size int, pctX, pctY float64) {
	t.Helper()
	src := NewImage(w, h)
	for i := 0; i < len(src.Pix); i += 3 {
		src.Pix[i], src.Pix[i+1], src.Pix[i+2] = 17, 140, 251
	}
	for _, m := range []ResizeMethod{Crop, Pad, Squish} {
		for _, pm := range []PadMode{Reflection, Zeros, Border} {
			if m != Pad && pm != Reflection {
				continue
			}
			r := Resize(size, WithMethod(m), WithPadMode(pm))
			for _, split := range []fastgo.Split{fastgo.Train, fastgo.Valid} {
				ctx := fastgo.ItemContext{Split: split}
				var out Image
				var err error
				if split == fastgo.Train {
					out, err = r.resize(src, pctX, pctY)
				} else {
					var v fastgo.Value
					if v, err = r.Apply(src, ctx); err == nil {
						out = v.(Image)
					}
				}
				if err != nil {
					t.Fatalf("%dx%d → Resize(%d, %v, %v) on %v: %v", w, h, size, m, pm, split, err)
				}
				if out.W != size || out.H != size || len(out.Pix) != size*size*3 {
					t.Fatalf("%dx%d → Resize(%d, %v, %v) on %v: %dx%d with %d bytes", w, h, size, m, pm, split, out.W, out.H, len(out.Pix))
				}
				for i := 0; i < len(out.Pix); i += 3 {
					px := [3]uint8(out.Pix[i : i+3])
					ok := px == [3]uint8{17, 140, 251}
					if m == Pad && pm == Zeros { // the colour blended with black at the border
						ok = px[0] <= 17 && px[1] <= 140 && px[2] <= 251
					}
					if !ok {
						t.Fatalf("%dx%d → Resize(%d, %v, %v) on %v: pixel %d is %v, want the image's colour", w, h, size, m, pm, split, i/3, px)
					}
				}
			}
		}
	}
}

// TestResizeTinyImages: 1-px-wide or -high images once panicked in
// horizontalPass (slice bounds out of range [-3:]): (1/49)·49 < 1 in
// float64 made the crop box 0 px wide.
func TestResizeTinyImages(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {1, 100}, {100, 1}, {2, 1}, {3, 7}} {
		for _, size := range []int{1, 2, 3, 49, 460} {
			checkResize(t, sz[0], sz[1], size, 0.3, 0.9)
		}
	}
}

// FuzzResizeGeometry: any image size, target size, crop position, method,
// pad mode and split gives a size×size image of the right colour (make
// fuzz).
func FuzzResizeGeometry(f *testing.F) {
	f.Add(uint16(1), uint16(1), uint16(49), 0.5, 0.5)
	f.Add(uint16(1), uint16(100), uint16(49), 0.0, 0.99)
	f.Add(uint16(500), uint16(375), uint16(460), 0.25, 0.75)
	f.Add(uint16(3), uint16(49), uint16(7), 1.0, 0.0)
	f.Fuzz(func(t *testing.T, w, h, size uint16, pctX, pctY float64) {
		// Bounded so that one input stays fast; the geometry is the same
		// at any scale.
		w, h, size = 1+w%300, 1+h%300, 1+size%300
		if !(pctX >= 0 && pctX <= 1) || !(pctY >= 0 && pctY <= 1) {
			pctX, pctY = 0.5, 0.5
		}
		checkResize(t, int(w), int(h), int(size), pctX, pctY)
	})
}

// TestTinyImagesThroughDataLoaders: 1×1, 1×100 and 100×1 images through
// Resize(49) in DataLoaders, both splits: every batch arrives (once, the
// valid split's Resize panicked in a worker goroutine and took the whole
// program down).
func TestTinyImagesThroughDataLoaders(t *testing.T) {
	dir := t.TempDir()
	sizes := [][2]int{{1, 1}, {1, 100}, {100, 1}, {1, 1}, {1, 100}, {100, 1}, {3, 2}, {2, 3}}
	for i, sz := range sizes {
		name := filepath.Join(dir, fmt.Sprintf("cat_%d.png", i))
		if err := os.WriteFile(name, encode(t, encPNG, gradient(sz[0], sz[1])), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []ResizeMethod{Crop, Pad, Squish} {
		db := fastgo.DataBlock{
			Blocks:   fastgo.Blocks{X: ImageBlock(), Y: fastgo.CategoryBlock()},
			GetItems: fastgo.GetImageFiles,
			Splitter: fastgo.RandomSplitter(0.5, 1),
			GetY:     func(fastgo.Path) (string, error) { return "cat", nil },
			ItemTfms: []fastgo.ItemTransform{Resize(49, WithMethod(m))},
		}
		dls, err := db.DataLoaders(fastgo.Path(dir), fastgo.WithBatchSize(2))
		if err != nil {
			t.Fatal(err)
		}
		for _, dl := range []*fastgo.DataLoader{dls.Train, dls.Valid} {
			n := 0
			for b, err := range dl.Batches(0) {
				if err != nil {
					t.Fatalf("%v, %s: %v", m, dl.Dataset.Split, err)
				}
				if want := []int{len(b.Y), 49, 49, 3}; !slices.Equal(b.X.Shape, want) {
					t.Fatalf("%v, %s: batch of shape %v, want %v", m, dl.Dataset.Split, b.X.Shape, want)
				}
				n += len(b.Y)
			}
			if n == 0 {
				t.Errorf("%v, %s: no items came through", m, dl.Dataset.Split)
			}
		}
	}
}

// TestResizeCheckedAtDataLoaders: Resize(0) is refused by DataLoaders, with
// the setting named — it once surfaced only while a batch loaded, as a
// failure on some image file.
func TestResizeCheckedAtDataLoaders(t *testing.T) {
	for _, r := range []*ResizeTransform{Resize(0), Resize(-5), Resize(10, WithMethod(ResizeMethod(9)))} {
		db := fastgo.DataBlock{
			Blocks:   fastgo.Blocks{X: ImageBlock(), Y: fastgo.CategoryBlock()},
			GetItems: fastgo.GetImageFiles,
			GetY:     fastgo.UsingName(fastgo.RegexLabeller(`^(.+?)_\d+\.jpg$`)),
			ItemTfms: []fastgo.ItemTransform{r},
		}
		_, err := db.DataLoaders("../../testdata/images")
		if err == nil || !strings.Contains(err.Error(), "DataBlock.ItemTfms[0]: vision: Resize") || strings.Contains(err.Error(), ".jpg") {
			t.Errorf("Resize(%d, method %v): err = %v; want the setting named, no image", r.Size, r.Method, err)
		}
	}
}

// TestResizeRefusesSizesThatCannotWork: Resize(100000) once killed the
// program with "fatal error: runtime: out of memory" in a loader goroutine
// (10^10 pixels per image, where recover cannot help), and Resize(46000)
// asked 6.3 GB per image. Such sizes are refused by Check — so by
// DataBlock.DataLoaders before any image is listed — naming the setting
// and its limit; so is a model file's spec of that size.
func TestResizeRefusesSizesThatCannotWork(t *testing.T) {
	for _, tc := range []struct {
		size  int
		wants []string
	}{
		{100000, []string{"Resize(100000)", "vision.MaxPixels (178956970)", "up to 13377"}},
		{46000, []string{"Resize(46000)", "vision.MaxPixels", "up to 13377"}},
		{13378, []string{"vision.MaxPixels"}},
	} {
		err := Resize(tc.size).Check()
		if err == nil {
			t.Errorf("Resize(%d).Check() accepted it", tc.size)
			continue
		}
		for _, w := range tc.wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Resize(%d).Check() = %q, want it to say %q", tc.size, err, w)
			}
		}
	}
	if err := Resize(13377).Check(); err != nil {
		t.Errorf("Resize(13377), the largest square within MaxPixels: %v", err)
	}
	// Raising MaxPixels (or turning it off) still leaves the side limit.
	defer func(m int) { MaxPixels = m }(MaxPixels)
	MaxPixels = 0
	err := Resize(fastgo.MaxSide + 1).Check()
	if err == nil || !strings.Contains(err.Error(), "fastgo.MaxSide (16384)") {
		t.Errorf("Resize(16385) with MaxPixels 0: %v, want the fastgo.MaxSide limit", err)
	}
	if err := Resize(fastgo.MaxSide).Check(); err != nil {
		t.Errorf("Resize(16384) with MaxPixels 0: %v", err)
	}
	MaxPixels = DefaultMaxPixels

	db := fastgo.DataBlock{
		Blocks: fastgo.Blocks{X: ImageBlock(), Y: fastgo.CategoryBlock()},
		GetItems: func(fastgo.Path) (fastgo.L[fastgo.Path], error) {
			t.Fatal("items listed before the Resize was checked")
			return nil, nil
		},
		GetY:     func(fastgo.Path) (string, error) { return "cat", nil },
		ItemTfms: []fastgo.ItemTransform{Resize(100000)},
	}
	if _, err := db.DataLoaders(fastgo.Path(t.TempDir())); err == nil || !strings.Contains(err.Error(), "DataBlock.ItemTfms[0]: vision: Resize(100000)") {
		t.Errorf("DataLoaders with Resize(100000): %v, want the setting named", err)
	}
	// A model file recording such a size is refused when it is loaded.
	spec := Resize(16384).Spec()
	if _, err := ItemTransformFromSpec(spec); err == nil || !strings.Contains(err.Error(), "vision.MaxPixels") {
		t.Errorf("ItemTransformFromSpec(%v): %v, want MaxPixels named", spec, err)
	}
}

// FuzzCheckSide: any size and MaxPixels give an answer that agrees with
// the limits (no overflow of size×size lets a huge size through), and the
// largest size an error suggests is itself accepted.
func FuzzCheckSide(f *testing.F) {
	f.Add(100000, DefaultMaxPixels)
	f.Add(1<<40, 0)
	f.Add(13378, DefaultMaxPixels)
	f.Add(1<<32+1, 1<<62)
	f.Fuzz(func(t *testing.T, size, maxPixels int) {
		defer func(m int) { MaxPixels = m }(MaxPixels)
		MaxPixels = maxPixels
		err := CheckSide(size)
		over := size > fastgo.MaxSide || maxPixels > 0 && size > 0 && float64(size)*float64(size) > float64(maxPixels)
		if (err != nil) != over {
			t.Fatalf("CheckSide(%d) with MaxPixels %d: %v", size, maxPixels, err)
		}
		if err == nil {
			return
		}
		_, suggestion, ok := strings.Cut(err.Error(), "up to ")
		var largest int
		if _, scanErr := fmt.Sscanf(suggestion, "%d", &largest); ok && scanErr == nil {
			if CheckSide(largest) != nil || CheckSide(largest+1) == nil && largest < fastgo.MaxSide {
				t.Errorf("CheckSide(%d) with MaxPixels %d suggests %d: %v", size, maxPixels, largest, err)
			}
		}
	})
}
