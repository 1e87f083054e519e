package augment

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Draws are one image's augmentation values, given instead of drawn at
// random: fastai's draw arguments (Rotate(draw=30, p=1.), Zoom(draw=1.2,
// p=1.), Warp(draw_x=-0.2, draw_y=0.2, p=1.), Brightness(draw=…),
// Contrast(draw=…), Flip(draw=1)), in fastai's units. Start from the zero
// value, which changes nothing, and add each transform with its method:
//
//	d := augment.Draws{}.Rotate(30).Zoom(1.2).Warp(-0.2, 0.2) // the book's figure
//	aug, err := augment.MustAugTransforms(224).WithDraws(d)
//
// Given to [Augment.WithDraws], they are applied as given, whatever the
// augmentation's ranges and probabilities (fastai's p=1.). A method given
// a value fastai could not use records an error, which WithDraws returns
// (and Err reports); the later methods are then ignored.
type Draws struct {
	flip               bool
	rotate             float64 // degrees
	zoom, zoomX, zoomY float64 // zoom 0: none
	warpX, warpY       float64
	bright, contrast   float64 // 0: none (0.5, 1)
	crop               [3]float64
	hasCrop            bool
	err                error
}

func (d Draws) fail(format string, args ...any) Draws {
	if d.err == nil {
		d.err = fmt.Errorf("augment.Draws."+format, args...)
	}
	return d
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// Flip mirrors the image left to right (fastai's Flip(p=1.), or draw=1).
func (d Draws) Flip() Draws {
	d.flip = true
	return d
}

// Rotate rotates by deg degrees (fastai's Rotate(draw=deg, p=1.): the
// rotation matrix [cos θ, sin θ; −sin θ, cos θ] on normalised output
// coordinates).
func (d Draws) Rotate(deg float64) Draws {
	if !finite(deg) {
		return d.fail("Rotate(%g): give a finite angle in degrees", deg)
	}
	d.rotate = deg
	return d
}

// Zoom zooms by factor about the image's centre (fastai's Zoom(draw=factor,
// draw_x=0.5, draw_y=0.5, p=1.)): above 1 zooms in (the source is sampled
// at scale 1/factor), below 1 zooms out, reflecting the border. fastai
// draws the centre at random when draw_x/draw_y are not given: see ZoomAt.
func (d Draws) Zoom(factor float64) Draws { return d.ZoomAt(factor, 0.5, 0.5) }

// ZoomAt zooms by factor about the point (x, y), fractions of the width
// and height (fastai's Zoom(draw=factor, draw_x=x, draw_y=y, p=1.)): the
// translation is (1 − 1/factor)·(2x − 1) and (1 − 1/factor)·(2y − 1) in
// normalised coordinates.
func (d Draws) ZoomAt(factor, x, y float64) Draws {
	if !(factor > 0) || !finite(factor, x, y) {
		return d.fail("ZoomAt(%g, %g, %g): the factor must be a finite number > 0 (1: no zoom) and the centre finite", factor, x, y)
	}
	d.zoom, d.zoomX, d.zoomY = factor, x, y
	return d
}

// Warp is fastai's perspective warp with magnitudes (x, y) (Warp(draw_x=x,
// draw_y=y, p=1.)): the corners (−1,−1), (−1,1), (1,−1), (1,1) of the
// output are paired with (−1−y, −1−x), (−1+y, 1+x), (1+y, −1+x),
// (1−y, 1−x), and the homography through them maps every output point.
// Each magnitude must be in (−1, 1) (at ±1 the corners meet).
func (d Draws) Warp(x, y float64) Draws {
	if !(math.Abs(x) < 1 && math.Abs(y) < 1) {
		return d.fail("Warp(%g, %g): each magnitude must be in (-1, 1)", x, y)
	}
	d.warpX, d.warpY = x, y
	return d
}

// Brightness is fastai's Brightness(draw=b, p=1.): logit(b) is added to
// the pixels' logits. b in (0, 1); 0.5 changes nothing.
func (d Draws) Brightness(b float64) Draws {
	if !(b > 0 && b < 1) {
		return d.fail("Brightness(%g): give a value in (0, 1); 0.5 leaves the image as it is", b)
	}
	d.bright = b
	return d
}

// Contrast is fastai's Contrast(draw=c, p=1.): the pixels' logits are
// multiplied by c, after Brightness. c > 0; 1 changes nothing.
func (d Draws) Contrast(c float64) Draws {
	if !(c > 0) || !finite(c) {
		return d.fail("Contrast(%g): give a finite factor > 0; 1 leaves the image as it is", c)
	}
	d.contrast = c
	return d
}

// Crop fixes the square crop of the augmentation's MinScale step (fastai's
// RandomResizedCropGPU with ratio 1, which has no draw argument: these are
// its random values). scale is the crop's area as a fraction of the
// input's (fastai's uniform(min_scale, 1) draw): its side is
// round(√(scale·h·w)) pixels, at most the input's short side. top and left
// place it in the room left, from 0 (top or left edge) to 1 (bottom or
// right edge): the offset is ⌊top·(h − side)⌋, so 0.5 is fastai's
// validation centring. Without Crop, an augmentation that crops takes the
// whole centred square (scale 1, 0.5, 0.5).
func (d Draws) Crop(scale, top, left float64) Draws {
	if !(scale > 0 && scale <= 1) || !(top >= 0 && top <= 1) || !(left >= 0 && left <= 1) {
		return d.fail("Crop(%g, %g, %g): scale must be in (0, 1], top and left in [0, 1]", scale, top, left)
	}
	d.crop, d.hasCrop = [3]float64{scale, top, left}, true
	return d
}

// Err is the first invalid value given to a method (naming the method and
// the value: augment.Draws.Brightness(1.5): give a value in (0, 1)…), or
// nil; WithDraws returns it.
func (d Draws) Err() error { return d.err }

// String lists what the draws do in fastai's terms, e.g.
// "Rotate(draw=30) Zoom(draw=1.2, draw_x=0.5, draw_y=0.5) Warp(draw_x=-0.2, draw_y=0.2)";
// "no change" for the zero value.
func (d Draws) String() string {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	var parts []string
	if d.flip {
		parts = append(parts, "Flip(draw=1)")
	}
	if d.rotate != 0 {
		parts = append(parts, "Rotate(draw="+g(d.rotate)+")")
	}
	if d.zoom != 0 {
		parts = append(parts, "Zoom(draw="+g(d.zoom)+", draw_x="+g(d.zoomX)+", draw_y="+g(d.zoomY)+")")
	}
	if d.warpX != 0 || d.warpY != 0 {
		parts = append(parts, "Warp(draw_x="+g(d.warpX)+", draw_y="+g(d.warpY)+")")
	}
	if d.bright != 0 {
		parts = append(parts, "Brightness(draw="+g(d.bright)+")")
	}
	if d.contrast != 0 {
		parts = append(parts, "Contrast(draw="+g(d.contrast)+")")
	}
	if d.hasCrop {
		parts = append(parts, fmt.Sprintf("Crop(scale=%s, top=%s, left=%s)", g(d.crop[0]), g(d.crop[1]), g(d.crop[2])))
	}
	if d.err != nil {
		parts = append(parts, "(invalid: "+d.err.Error()+")")
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, " ")
}

// row writes the draws as one image's row of the Params tensor (see the
// layout in augment.go): the matrices fastai builds from them (flip_mat,
// rotate_mat, zoom_mat and their product, _WarpCoord's homography) in
// float64, then rounded to float32.
func (d Draws) row(row []float32) {
	f := identity3()
	if d.flip {
		f[0][0] = -1
	}
	theta := d.rotate * math.Pi / 180
	cos, sin := math.Cos(theta), math.Sin(theta)
	r := mat3{{cos, sin, 0}, {-sin, cos, 0}, {0, 0, 1}}
	s := 1.0
	if d.zoom != 0 {
		s = 1 / d.zoom
	}
	z := mat3{{s, 0, (1 - s) * (2*d.zoomX - 1)}, {0, s, (1 - s) * (2*d.zoomY - 1)}, {0, 0, 1}}
	put := func(off int, m mat3) {
		for k := range 2 {
			for j := range 3 {
				row[off+3*k+j] = float32(m[k][j])
			}
		}
	}
	put(parM, f.mul(r).mul(z))
	put(parF, f)
	put(parR, r)
	put(parZ, z)
	for k, v := range warpHomography(d.warpX, d.warpY) {
		row[parH+k] = float32(v)
	}
	crop := d.crop
	if !d.hasCrop {
		crop = [3]float64{1, 0.5, 0.5}
	}
	for k, v := range crop {
		row[parCrop+k] = float32(v)
	}
	b, c := 0.5, 1.0
	if d.bright != 0 {
		b = d.bright
	}
	if d.contrast != 0 {
		c = d.contrast
	}
	row[parBright] = float32(math.Log(b / (1 - b)))
	row[parLight] = float32(c)
}
