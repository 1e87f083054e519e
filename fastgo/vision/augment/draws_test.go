package augment

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/device"
	"github.com/fastgo-ml/fastgo/internal/testutil"
)

// givenOut runs an augmentation made by WithDraws on img (Train).
func givenOut(t *testing.T, a *Augment, img floatImage) []float64 {
	t.Helper()
	return applyAug(t, a, img, a.Params(img.b, fastgo.Train, nil), fastgo.Train)
}

// geometryOnly is an augmentation that changes nothing by itself (no
// random transform, no lighting), keeping the input size.
func geometryOnly(size int, opts ...AugOption) *Augment {
	return MustAugTransforms(size, append([]AugOption{DoFlip(false), MaxRotate(0), MaxZoom(1), MaxWarp(0), MaxLighting(0)}, opts...)...)
}

// Flip, a quarter turn and a crop land source pixels exactly on output
// pixels: the result is a permutation of the input, checked pixel by pixel.
func TestDrawsExactGeometry(t *testing.T) {
	const n = 5
	img := floatImage{1, n, n, 1, make([]float64, n*n)}
	for i := range img.v {
		img.v[i] = float64(i) / 100
	}
	at := func(out []float64, x, y int) float64 { return out[y*n+x] }
	// The zero Draws changes nothing.
	if d := augMaxDiff(givenOut(t, geometryOnly(0).MustWithDraws(Draws{}), img), img.v); d > 1e-6 {
		t.Errorf("zero Draws changed pixels by %g", d)
	}
	flipped := givenOut(t, geometryOnly(0).MustWithDraws(Draws{}.Flip()), img)
	// fastai's Rotate(draw=90): output (x, y) reads source (y, −x) in
	// normalised coordinates: the top row ends up on the right.
	rotated := givenOut(t, geometryOnly(0).MustWithDraws(Draws{}.Rotate(90)), img)
	for y := range n {
		for x := range n {
			if g, w := at(flipped, x, y), img.at(0, y, n-1-x, 0); math.Abs(g-w) > 1e-6 {
				t.Fatalf("flip (%d,%d) = %g, want %g", x, y, g, w)
			}
			if g, w := at(rotated, x, y), img.at(0, n-1-x, y, 0); math.Abs(g-w) > 1e-5 {
				t.Fatalf("rotate 90 (%d,%d) = %g, want source (%d,%d) %g", x, y, g, y, n-1-x, w)
			}
		}
	}
	// Crop(0.36, 0, 1) of a 10×10 input: side 6, top 0, left ⌊1·4⌋ = 4; at
	// output size 6 that is the sub-image itself.
	big := floatImage{1, 10, 10, 1, make([]float64, 100)}
	for i := range big.v {
		big.v[i] = float64(i) / 100
	}
	crop := givenOut(t, geometryOnly(6).MustWithDraws(Draws{}.Crop(0.36, 0, 1)), big)
	for y := range 6 {
		for x := range 6 {
			if g, w := crop[y*6+x], big.at(0, y, x+4, 0); math.Abs(g-w) > 1e-5 {
				t.Fatalf("crop (%d,%d) = %g, want %g", x, y, g, w)
			}
		}
	}
	// The centred crop (0.5, 0.5) of room 4 starts at 2, fastai's (10−6)//2.
	centred := givenOut(t, geometryOnly(6).MustWithDraws(Draws{}.Crop(0.36, 0.5, 0.5)), big)
	if g, w := centred[0], big.at(0, 2, 2, 0); math.Abs(g-w) > 1e-5 {
		t.Errorf("centred crop starts at %g, want %g (pixel 2,2)", g, w)
	}
}

// Zoom, rotation and warp against the float64 reference sampler with
// fastai's matrices written out here from its formulas (affine_mat,
// rotate_mat, zoom_mat, _prepare_mat, _WarpCoord): per-image draws, a
// non-square input.
func TestDrawsMatchFastaiFormulas(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const h, w, size = 12, 16, 9
	img := augRandomImage(rng, 3, h, w, 3)
	draws := []Draws{
		Draws{}.Rotate(30).Zoom(1.2).Warp(-0.2, 0.2),
		Draws{}.Flip().Rotate(-17).ZoomAt(1.5, 0.2, 0.9).Warp(0.1, -0.05),
		Draws{}.ZoomAt(0.8, 0.7, 0.4).Rotate(95),
	}
	a := geometryOnly(size).MustWithDraws(draws...)
	ms := make([]mat3, len(draws))
	for i, d := range draws {
		theta := d.rotate * math.Pi / 180
		flip := 1.0
		if d.flip {
			flip = -1
		}
		s := 1 / d.zoom
		m := mat3{{flip, 0, 0}, {0, 1, 0}, {0, 0, 1}}.
			mul(mat3{{math.Cos(theta), math.Sin(theta), 0}, {-math.Sin(theta), math.Cos(theta), 0}, {0, 0, 1}}).
			mul(mat3{{s, 0, (1 - s) * (2*d.zoomX - 1)}, {0, s, (1 - s) * (2*d.zoomY - 1)}, {0, 0, 1}})
		m[0][1] *= float64(h) / float64(w) // _prepare_mat
		m[1][0] *= float64(w) / float64(h)
		hv := warpHomography(d.warpX, d.warpY)
		ms[i] = mat3{{hv[0], hv[1], hv[2]}, {hv[3], hv[4], hv[5]}, {hv[6], hv[7], 1}}.mul(m)
	}
	got := givenOut(t, a, img)
	want := refTransform(img, ms, size, size)
	if d := augMaxDiff(got, want); d > 3e-5 {
		t.Errorf("max difference %g from fastai's formulas in float64", d)
	}
	// One Draws is the whole batch's: every image gets draws[0].
	batch := givenOut(t, geometryOnly(size).MustWithDraws(draws[0]), img)
	want = refTransform(img, []mat3{ms[0], ms[0], ms[0]}, size, size)
	if d := augMaxDiff(batch, want); d > 3e-5 {
		t.Errorf("one Draws for the batch: max difference %g", d)
	}
}

// Brightness then contrast, in logit space, with the given values; with
// MaxLighting(0) lighting runs only because the draws ask for it.
func TestDrawsLighting(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	img := augRandomImage(rng, 2, 3, 4, 3)
	img.v[0], img.v[1] = 0, 1 // the clamp
	a := geometryOnly(0).MustWithDraws(Draws{}.Brightness(0.35).Contrast(0.8), Draws{}.Contrast(1.3))
	got := givenOut(t, a, img)
	per := 3 * 4 * 3
	for i, x := range img.v {
		b, c := 0.35, 0.8
		if i >= per {
			b, c = 0.5, 1.3
		}
		xc := math.Min(math.Max(x, 1e-7), 1-1e-7)
		want := 1 / (1 + math.Exp(-c*(math.Log(xc/(1-xc))+math.Log(b/(1-b)))))
		if math.Abs(got[i]-want) > 2e-6 {
			t.Fatalf("value %d: %g, want %g", i, got[i], want)
		}
	}
}

// Sequential and TwoPass keep the given draws: the same geometry, so on a
// smooth image they differ from the single pass only by their extra
// interpolations (a small RMSE), and more for a different draw. (Mild
// draws: with larger ones the intermediate images of Sequential reflect
// their own borders where the single pass reads the source, as the book's
// traditional approach does.)
func TestDrawsVariantsKeepTheDraws(t *testing.T) {
	const n, size = 64, 40
	img := floatImage{1, n, n, 3, make([]float64, n*n*3)}
	for y := range n {
		for x := range n {
			for c := range 3 {
				img.v[(y*n+x)*3+c] = smoothSource(float64(x)/2, float64(y)/2, c)
			}
		}
	}
	d := Draws{}.Rotate(5).Zoom(1.2).Warp(-0.05, 0.05).Crop(0.8, 0.3, 0.6)
	a := geometryOnly(size).MustWithDraws(d)
	single := givenOut(t, a, img)
	rms := func(x, y []float64) float64 {
		s := 0.0
		for i := range x {
			s += (x[i] - y[i]) * (x[i] - y[i])
		}
		return math.Sqrt(s / float64(len(x)))
	}
	params := a.Params(1, fastgo.Train, nil)
	seq := applyAug(t, a.Sequential(), img, params, fastgo.Train)
	two := applyAug(t, a.TwoPass(), img, params, fastgo.Train)
	other := givenOut(t, geometryOnly(size).MustWithDraws(Draws{}.Rotate(-5).Zoom(1.2).Crop(0.8, 0.3, 0.6)), img)
	t.Logf("RMSE from the single pass: sequential %.4f, two passes %.4f, another draw %.4f", rms(seq, single), rms(two, single), rms(other, single))
	if rms(seq, single) > 0.03 || rms(two, single) > 0.03 || rms(other, single) < 0.06 {
		t.Errorf("variants do not follow the draws: sequential %.4f, two-pass %.4f, other draw %.4f", rms(seq, single), rms(two, single), rms(other, single))
	}
}

func TestWithDrawsRefuses(t *testing.T) {
	a := MustAugTransforms(8)
	for name, d := range map[string]Draws{
		"zoom 0":          Draws{}.Zoom(0),
		"zoom NaN":        Draws{}.Rotate(3).ZoomAt(1.1, math.NaN(), 0.5),
		"warp 1":          Draws{}.Warp(1, 0),
		"brightness 1":    Draws{}.Brightness(1),
		"contrast -1":     Draws{}.Contrast(-1),
		"crop scale 0":    Draws{}.Crop(0, 0.5, 0.5),
		"crop top 2":      Draws{}.Crop(0.5, 2, 0.5),
		"rotate Inf":      Draws{}.Rotate(math.Inf(1)),
		"error is sticky": Draws{}.Warp(2, 0).Rotate(10),
	} {
		_, err := a.WithDraws(d)
		if err == nil || d.Err() == nil || !strings.Contains(err.Error(), "augment.Draws.") {
			t.Errorf("%s: WithDraws error %v, Err %v", name, err, d.Err())
		}
	}
	if _, err := a.WithDraws(); err == nil {
		t.Error("no draws: no error")
	}
	if _, err := MustAugTransforms(0).WithDraws(Draws{}.Crop(0.5, 0, 0)); err == nil {
		t.Error("a crop at size 0: no error")
	}
	// Two draws for a batch of three: the run says so.
	g := MustAugTransforms(8).MustWithDraws(Draws{}, Draws{}.Flip())
	batch := fastgo.ByteTensor{Shape: []int{3, 8, 8, 3}, Data: make([]uint8, 3*8*8*3)}
	_, err := device.ApplyBatchTransforms(testutil.Backend(), []device.Transform{g}, batch, fastgo.Train, 1)
	if err == nil || !strings.Contains(err.Error(), "2 draws for a batch of 3 images") {
		t.Errorf("two draws, three images: %v", err)
	}
	// More draws than images: the first ones (fastai's draw[:bs]).
	if p := MustAugTransforms(8).MustWithDraws(Draws{}, Draws{}, Draws{}).Params(2, fastgo.Train, nil); p.Shape().Dimensions[0] != 2 {
		t.Errorf("three draws for two images: params %s", p.Shape())
	}
}

// FuzzWithDraws: whatever the values, WithDraws refuses them or gives
// finite parameters, and the augmented image stays in [0, 1].
func FuzzWithDraws(f *testing.F) {
	f.Add(true, 30.0, 1.2, 0.5, 0.5, -0.2, 0.2, 0.5, 1.0, 0.8, 0.5, 0.5)
	f.Add(false, 1e300, 1e-300, 1e300, -1e300, 0.999, -0.999, 1e-9, 1e30, 1e-9, 1.0, 0.0)
	a := MustAugTransforms(6, MinScale(0.5))
	img := augRandomImage(rand.New(rand.NewPCG(1, 2)), 1, 7, 9, 3)
	f.Fuzz(func(t *testing.T, flip bool, rot, zoom, zx, zy, wx, wy, b, c, scale, top, left float64) {
		d := Draws{}.Rotate(rot).ZoomAt(zoom, zx, zy).Warp(wx, wy).Brightness(b).Contrast(c).Crop(scale, top, left)
		if flip {
			d = d.Flip()
		}
		g, err := a.WithDraws(d)
		if err != nil {
			return
		}
		for i, v := range g.givenRows {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%s: param %d is %g", d, i, v)
			}
		}
		for i, v := range givenOut(t, g, img) {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("%s: output value %d is %g", d, i, v)
			}
		}
	})
}
