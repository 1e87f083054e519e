package augment

import (
	"fmt"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/internal/testutil"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestParityAugmentDraws (make parity; see testutil.Parity): fastai's batch
// augmentation with given draws, against scripts/parity_torch.py's
// PyTorch rewrite of fastai/vision/augment.py (float32 and float64), on
// four 48×64 photos and four sets of draws (image 0 is the book's figure:
// rotate 30°, zoom 1.2, warp −0.2/0.2; the others flip, zoom off-centre or
// out, rotate past 90°, and change brightness and contrast). Compared: the
// prepared affine matrices (flip·rotate·zoom with _prepare_mat's aspect
// terms), the sampling grid after the warp (_WarpCoord: the homography
// through the moved corners), the lighting alone (logit arithmetic), the
// augmented images (one grid_sample, bilinear, reflection), and fastai's
// two samplings with the RandomResizedCropGPU step (TwoPass with Crop
// draws).
func TestParityAugmentDraws(t *testing.T) {
	p := testutil.LoadParity(t)
	if !p.Has("aug_x") {
		t.Fatal("no aug_* references: rerun scripts/parity_torch.py")
	}
	x, xShape := p.F32(t, "aug_x")
	b, h, w := xShape[0], xShape[1], xShape[2]
	table, _ := p.F64(t, "aug_draws")
	crops, _ := p.F64(t, "aug_crops")
	sizes, _ := p.F64(t, "aug_size")
	size := int(sizes[0])
	draws := make([]Draws, b)
	cropped := make([]Draws, b)
	for i := range b {
		draws[i] = drawsRow(table[i*9 : (i+1)*9])
		cropped[i] = draws[i].Crop(crops[i*3], crops[i*3+1], crops[i*3+2])
	}
	// Nothing random: every value comes from the draws.
	base := MustAugTransforms(size, DoFlip(false), MaxRotate(0), MaxZoom(1), MaxWarp(0), MaxLighting(0))
	a := base.MustWithDraws(draws...)
	params := a.Params(b, fastgo.Train, nil)
	xt := tensors.FromFlatDataAndDimensions(x, b, h, w, 3)

	compare := func(what, ref string, got []float64) {
		t.Helper()
		r64, shape := p.F64(t, ref+"64")
		r32, _ := p.F64(t, ref+"32")
		p.Compare(t, fmt.Sprintf("augment with given draws: %s %v", what, shape), testutil.RelErr(got, r64), testutil.RelErr(r32, r64))
	}

	// The prepared affine matrices, rows 0 and 1.
	mats := augRun(t, func(in []*graph.Node) *graph.Node {
		m := aspectCorrect(paramMatrix(in[0], parM, 6), h, w)
		return graph.Slice(m, graph.AxisRange(), graph.AxisRange(0, 2), graph.AxisRange())
	}, params)
	compare("affine matrices (flip·rotate·zoom, aspect-corrected)", "aug_affine", mats)

	// The grid: normalised (x, y) each output pixel reads, after the warp.
	coords := augRun(t, func(in []*graph.Node) *graph.Node {
		m := aspectCorrect(paramMatrix(in[0], parM, 6), h, w)
		sx, sy := sourcePositions(toPixels(matMul3(paramMatrix(in[0], parH, 8), m), h, w, size, size), size, size, true)
		nx := graph.AddScalar(graph.MulScalar(sx, 2/float64(w-1)), -1)
		ny := graph.AddScalar(graph.MulScalar(sy, 2/float64(h-1)), -1)
		return graph.Stack([]*graph.Node{nx, ny}, -1)
	}, params)
	compare("warped sampling grid (normalised x, y)", "aug_coords", coords)

	// Lighting alone, on the input.
	light := augRun(t, func(in []*graph.Node) *graph.Node { return lighting(in[0], in[1]) }, xt, params)
	compare("lighting σ(c·(logit(x)+logit(b)))", "aug_lighting", light)

	// The augmented batch: one sampling, then lighting.
	compare("images (one grid_sample, then lighting)", "aug_out", applyAug(t, a, floatFromTensor(x, b, h, w), params, fastgo.Train))

	// min_scale < 1: fastai samples the affine step at the input size, then
	// slices the crop and resamples it (TwoPass).
	ac := base.MustWithDraws(cropped...)
	cparams := ac.Params(b, fastgo.Train, nil)
	compare("images with the RandomResizedCropGPU step (two samplings)", "aug_crop_out", applyAug(t, ac.TwoPass(), floatFromTensor(x, b, h, w), cparams, fastgo.Train))
}

// drawsRow is one row of scripts/parity_torch.py's draws tables: flip,
// rotate, zoom, zoom x, zoom y, warp x, warp y, brightness, contrast.
func drawsRow(r []float64) Draws {
	d := Draws{}
	if r[0] != 0 {
		d = d.Flip()
	}
	return d.Rotate(r[1]).ZoomAt(r[2], r[3], r[4]).Warp(r[5], r[6]).Brightness(r[7]).Contrast(r[8])
}

// floatFromTensor wraps float32 NHWC values as a floatImage (3 channels).
func floatFromTensor(v []float32, b, h, w int) floatImage {
	f := floatImage{b, h, w, 3, make([]float64, len(v))}
	for i, x := range v {
		f.v[i] = float64(x)
	}
	return f
}

// TestParityAugmentChapterSizes (make parity): the chapter's sizes, four
// 460×460 photos to 224, where fastai's _grid_sample area-averages before
// its bilinear step — against scripts/parity_torch.py's aug460_*
// references (fastai's formulas and _grid_sample in PyTorch): validation
// (460 → 448 → 224), training batches sampled straight to 224 whose
// batch-wide zoom makes them shrink (zooms near 1), or not (zooms of 1.5),
// or shrink all together because one image is unzoomed, and the crop step
// of min_scale 0.75 (TwoPass: crops of 453, 450, 420 and 460 pixels, of
// which 453 → 448, 450 → 447 and 460 → 448 are area-averaged).
func TestParityAugmentChapterSizes(t *testing.T) {
	p := testutil.LoadParity(t)
	if !p.Has("aug460_x") {
		t.Fatal("no aug460_* references: rerun scripts/parity_torch.py")
	}
	x, xShape := p.F32(t, "aug460_x")
	b, h, w := xShape[0], xShape[1], xShape[2]
	img := floatFromTensor(x, b, h, w)
	const size = 224
	draws := func(name string, crops []float64) []Draws {
		table, _ := p.F64(t, "aug460_draws_"+name)
		out := make([]Draws, b)
		for i := range out {
			out[i] = drawsRow(table[i*9 : (i+1)*9])
			if crops != nil {
				out[i] = out[i].Crop(crops[i*3], crops[i*3+1], crops[i*3+2])
			}
		}
		return out
	}
	compare := func(what, ref string, got []float64) {
		t.Helper()
		r64, shape := p.F64(t, ref+"64")
		r32, _ := p.F64(t, ref+"32")
		p.Compare(t, fmt.Sprintf("augment at 460→224: %s %v", what, shape), testutil.RelErr(got, r64), testutil.RelErr(r32, r64))
	}
	still := MustAugTransforms(size, DoFlip(false), MaxRotate(0), MaxZoom(1), MaxWarp(0), MaxLighting(0))
	compare("validation (area 460→448, then bilinear)", "aug460_valid",
		applyAug(t, MustAugTransforms(size, MinScale(0.75)), img, nil, fastgo.Valid))
	for _, c := range []struct{ name, what string }{
		{"train_small", "training, zooms ≤ 1.02: the batch shrinks"},
		{"train_large", "training, zooms of 1.5: no shrink"},
		{"train_mixed", "training, one image unzoomed: the whole batch shrinks"},
	} {
		a := still.MustWithDraws(draws(c.name, nil)...)
		compare(c.what, "aug460_"+c.name, applyAug(t, a, img, a.Params(b, fastgo.Train, nil), fastgo.Train))
	}
	crops, _ := p.F64(t, "aug460_crops")
	a := still.MustWithDraws(draws("crop", crops)...)
	compare("crop step, crops of 453/450/420/460 (TwoPass)", "aug460_crop", applyAug(t, a.TwoPass(), img, a.Params(b, fastgo.Train, nil), fastgo.Train))
}
