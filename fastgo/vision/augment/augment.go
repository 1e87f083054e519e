package augment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/device"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Augment is fastai's aug_transforms batch pipeline (Flip, Warp, Rotate,
// Zoom, Brightness, Contrast and, with [MinScale] below 1,
// RandomResizedCropGPU) run on the device as a single GoMLX graph.
//
// How fastgo computes it: every geometric step is a map of normalised
// coordinates ([-1,1] on both axes, align_corners=True: -1 and 1 are the
// centres of the first and last pixels). For each output pixel q the source
// position is
//
//	src = H( A( M( C(q) ) ) )
//
// where C is the crop (an affine map from the output square to the
// cropped region of the input), M = Flip·Rotate·Zoom with fastai's aspect
// correction A (M01·h/w, M10·w/h), and H the perspective warp (a
// homography: x ↦ (h0x+h1y+h2)/(h6x+h7y+1), …). The whole chain is one
// projective 3×3 matrix per image, so the batch is sampled once: bilinear,
// reflection padding, align_corners=True, straight at the output size.
// fastai samples twice (the affine step at the input size, then
// RandomResizedCropGPU's crop resampled to the output size); fastgo
// composes the crop into the matrix as the book's presizing text intends.
// On a band-limited test pattern (230→116 with MinScale 0.75, every
// transform on) the root-mean-square error against the exact geometry is
// 0.0067 for the single pass, against 0.0124 for fastai's two passes
// ([Augment.TwoPass]) and 0.073 for resampling after each step
// ([Augment.Sequential]); TestAugSinglePassAccuracy keeps this ordering.
// Lighting follows in logit space: y = σ(c·(logit(x) + logit(b))), with
// logit clamping x to [1e-7, 1-1e-7].
//
// Every sampling is fastai's _grid_sample, area pre-shrink included:
// when d = min(H/ow, W/2)/2 (fastai's formula, H×W the source, ow the
// output width) exceeds 1 and exceeds the zoom z = 2/(max − min) of the
// whole batch's normalised source coordinates (x and y together), the
// source is first area-averaged (torch's mode='area', adaptive average
// pooling) to ⌊H/d⌋×⌊W/d⌋, then sampled bilinearly. Validation's resize
// (z = 1) in the chapter: the 460 square goes to 448, then 224. fastai's
// crop step slices each crop and shrinks it when its side exceeds twice
// the output (a 453-pixel crop to 448, 450 to 447); TwoPass does the same
// per image. The single pass applies the rule to its composed grid: a
// training batch whose grids span more than 2/d shrinks as a whole — in
// the chapter (Resize(460), MinScale 0.75, 224) every batch of 64, as
// rotated and reflected corners reach past the input, where fastai's two
// passes shrink only batches whose crop is wider than 448 (about one in
// five). The averaging costs sharpness: on the pattern above at 230→112
// the errors become 0.032 (single pass), 0.025 (two passes) and 0.082.
// Both samplings of a training batch are computed, and the batch's
// decision keeps one.
//
// Randomness: [Augment.Params] draws every value on the CPU, per image
// (fastai's batch=False), from the *rand.Rand it is given, so one seed
// gives the same batch on every backend; [Augment.WithDraws] gives the
// values instead ([Draws], fastai's draw arguments). fastgo draws the random crop per
// image, where fastai's RandomResizedCropGPU draws one crop per batch; the
// crop's integer side and offsets follow fastai's formulas.
//
// Validation (fastgo.Valid): no augmentation and no lighting; with
// MinScale < 1 the centre square of the input (its largest square)
// resized to the output size, otherwise the whole input resized — through
// the same _grid_sample, area step included (Predict, ShowBatch and the
// exported ONNX graph use this path).
//
// Augment implements [device.Transform]; input is float32
// [B,H,W,C] in [0,1] (NHWC), output float32 [B,size,size,C].
type Augment struct {
	cfg augConfig
	// given holds WithDraws' values (nil: random draws), givenRows them
	// as Params rows; the flags say which steps they need.
	given                            []Draws
	givenRows                        []float32
	givenWarp, givenLight, givenCrop bool
}

var _ device.Transform = (*Augment)(nil)

type augConfig struct {
	size                 int
	mult                 float64
	doFlip               bool
	maxRotate            float64
	minZoom, maxZoom     float64
	maxLighting, maxWarp float64
	pAffine, pLighting   float64
	minScale             float64
}

// AugOption changes one of [AugTransforms]' defaults.
type AugOption func(*augConfig)

// Mult scales MaxRotate, MaxLighting and MaxWarp (fastai's mult, default 1).
func Mult(m float64) AugOption { return func(c *augConfig) { c.mult = m } }

// DoFlip turns the random horizontal flip (p=0.5) on or off (default on).
func DoFlip(on bool) AugOption { return func(c *augConfig) { c.doFlip = on } }

// MaxRotate is the largest rotation in degrees, drawn uniformly in
// [-deg, deg] (default 10).
func MaxRotate(deg float64) AugOption { return func(c *augConfig) { c.maxRotate = deg } }

// MinZoom is the smallest zoom factor (default 1).
func MinZoom(z float64) AugOption { return func(c *augConfig) { c.minZoom = z } }

// MaxZoom is the largest zoom factor (default 1.1); the zoom centre is
// random.
func MaxZoom(z float64) AugOption { return func(c *augConfig) { c.maxZoom = z } }

// MaxLighting is the brightness and contrast magnitude (default 0.2):
// brightness b in 0.5·(1±m), contrast c in [1-m, 1/(1-m)] log-uniformly.
// 0 turns lighting off.
func MaxLighting(m float64) AugOption { return func(c *augConfig) { c.maxLighting = m } }

// MaxWarp is the perspective warp magnitude (default 0.2); 0 turns it off.
func MaxWarp(m float64) AugOption { return func(c *augConfig) { c.maxWarp = m } }

// PAffine is the probability of each of rotate, zoom and warp (default 0.75).
func PAffine(p float64) AugOption { return func(c *augConfig) { c.pAffine = p } }

// PLighting is the probability of each of brightness and contrast (default 0.75).
func PLighting(p float64) AugOption { return func(c *augConfig) { c.pLighting = p } }

// MinScale is the smallest fraction of the input area the random square
// crop keeps (fastai's min_scale; the chapter uses 0.75). At 1 (the
// default) there is no crop: the whole input is resized to the output size.
func MinScale(s float64) AugOption { return func(c *augConfig) { c.minScale = s } }

// AugTransforms returns fastai's aug_transforms(size=size, …) as one
// device transform (see [Augment]). Defaults: flip p=0.5, rotate ±10°,
// zoom 1–1.1, warp 0.2 (each p=0.75), lighting 0.2 (p=0.75, train only),
// MinScale 1. size is the output side in pixels; 0 keeps the input size
// (fastai's size=None), which needs MinScale 1. It works on float32
// NHWC batches [B,H,W,3] in [0,1] (the learner's uint8/255), in one
// sampling pass: training batches get random draws, validation batches
// the centre square resized to size (fastai's RandomResizedCropGPU in
// validation mode).
//
//	aug, err := augment.AugTransforms(224, augment.MinScale(0.75))
//
// Errors (naming the option and its value): a negative size; MinScale
// outside (0,1], or below 1 with size 0; a negative or infinite Mult or
// MaxRotate; a zoom range that is not 0 < MinZoom ≤ MaxZoom; MaxLighting
// or MaxWarp outside [0,1) (after Mult); PAffine or PLighting outside
// [0,1].
func AugTransforms(size int, opts ...AugOption) (*Augment, error) {
	c := augConfig{size: size, mult: 1, doFlip: true, maxRotate: 10, minZoom: 1, maxZoom: 1.1,
		maxLighting: 0.2, maxWarp: 0.2, pAffine: 0.75, pLighting: 0.75, minScale: 1}
	for _, o := range opts {
		o(&c)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	c.maxRotate *= c.mult
	c.maxLighting *= c.mult
	c.maxWarp *= c.mult
	if c.maxLighting >= 1 || c.maxWarp >= 1 {
		return nil, fmt.Errorf("augment.AugTransforms: Mult(%g) makes MaxLighting %g / MaxWarp %g reach 1; use a smaller Mult", c.mult, c.maxLighting, c.maxWarp)
	}
	return &Augment{cfg: c}, nil
}

// MustAugTransforms is [AugTransforms] for notebooks: it panics with the
// same message instead of returning an error.
func MustAugTransforms(size int, opts ...AugOption) *Augment {
	a, err := AugTransforms(size, opts...)
	if err != nil {
		panic(err)
	}
	return a
}

func (c *augConfig) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("augment.AugTransforms: "+format, args...)
	}
	prob := func(name string, p float64) error {
		if !(p >= 0 && p <= 1) {
			return bad("%s(%g) must be a probability in [0,1]", name, p)
		}
		return nil
	}
	switch {
	case c.size < 0:
		return bad("size %d must be positive (or 0 to keep the input size)", c.size)
	case vision.CheckSide(c.size) != nil:
		return bad("size %d: %v", c.size, vision.CheckSide(c.size))
	case !(c.minScale > 0 && c.minScale <= 1):
		return bad("MinScale(%g) must be in (0,1]", c.minScale)
	case c.size == 0 && c.minScale != 1:
		return bad("MinScale(%g) crops to a square of the output size: give a size > 0", c.minScale)
	case !(c.mult >= 0) || math.IsInf(c.mult, 0):
		return bad("Mult(%g) must be a finite number >= 0", c.mult)
	case !(c.maxRotate >= 0) || math.IsInf(c.maxRotate, 0):
		return bad("MaxRotate(%g) must be a finite number of degrees >= 0", c.maxRotate)
	case !(c.minZoom > 0 && c.minZoom <= c.maxZoom) || math.IsInf(c.maxZoom, 0):
		return bad("zoom range MinZoom(%g)..MaxZoom(%g) must satisfy 0 < min <= max", c.minZoom, c.maxZoom)
	case !(c.maxLighting >= 0 && c.maxLighting < 1):
		return bad("MaxLighting(%g) must be in [0,1)", c.maxLighting)
	case !(c.maxWarp >= 0 && c.maxWarp < 1):
		return bad("MaxWarp(%g) must be in [0,1) (at 1 the warp's corners collapse)", c.maxWarp)
	}
	if err := prob("PAffine", c.pAffine); err != nil {
		return err
	}
	return prob("PLighting", c.pLighting)
}

// Size is the output side in pixels (0: the input size).
func (a *Augment) Size() int { return a.cfg.size }

// Name is the transforms' description as fastai's Pipeline prints it
// (setup_aug_tfms composes the affine transforms into the first one, Flip,
// and the lighting ones into Brightness), joined by "\n -> " like fastai.
func (a *Augment) Name() string {
	c := a.cfg
	size := "None"
	if c.minScale == 1 && c.size > 0 {
		size = strconv.Itoa(c.size)
	}
	common := "'size': " + size + ", 'mode': 'bilinear', 'pad_mode': 'reflection', 'mode_mask': 'nearest', 'align_corners': True"
	var parts []string
	switch {
	case c.doFlip:
		parts = append(parts, "Flip -- {"+common+", 'p': 0.5}")
	case c.maxWarp > 0:
		parts = append(parts, "Warp -- {'magnitude': "+pyFloat(c.maxWarp)+", 'p': "+pyFloat(c.pAffine)+", 'draw_x': None, 'draw_y': None, "+common+", 'batch': False}")
	case c.maxRotate > 0:
		parts = append(parts, "Rotate -- {'max_deg': "+pyFloat(c.maxRotate)+", 'p': "+pyFloat(c.pAffine)+", "+common+", 'batch': False}")
	case c.minZoom < 1 || c.maxZoom > 1:
		parts = append(parts, "Zoom -- {'min_zoom': "+pyFloat(c.minZoom)+", 'max_zoom': "+pyFloat(c.maxZoom)+", 'p': "+pyFloat(c.pAffine)+", "+common+", 'batch': False}")
	}
	if c.minScale != 1 {
		parts = append(parts, fmt.Sprintf("RandomResizedCropGPU -- {'size': (%d, %d), 'min_scale': %s, 'ratio': (1, 1), 'mode': 'bilinear', 'valid_scale': 1.0, 'max_scale': 1.0, 'mode_mask': 'nearest', 'p': 1.0}", c.size, c.size, pyFloat(c.minScale)))
	}
	if c.maxLighting > 0 {
		parts = append(parts, "Brightness -- {'max_lighting': "+pyFloat(c.maxLighting)+", 'p': 1.0, 'draw': None, 'batch': False}")
	}
	name := strings.Join(parts, "\n -> ")
	if a.given != nil {
		draws := make([]string, len(a.given))
		for i, d := range a.given {
			draws[i] = d.String()
		}
		name += "\n   given draws: " + strings.Join(draws, "; ")
	}
	return name
}

// pyFloat formats v as Python's repr of a float does (0.2, 1.0).
func pyFloat(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}

// Layout of one image's row in the Params tensor.
const (
	parM       = 0  // 6 values: rows 0 and 1 of Flip·Rotate·Zoom (normalised coordinates, before aspect correction)
	parH       = 6  // 8 values: homography h0..h7 (h8 = 1) mapping warped to original coordinates
	parCrop    = 14 // 3 values: the crop's area, top and left (uniform draws; given: scale and fractions, see Draws.Crop)
	parBright  = 17 // logit(b)
	parLight   = 18 // contrast factor c
	parF       = 19 // 6 values: rows 0 and 1 of Flip alone (for Sequential)
	parR       = 25 // 6 values: Rotate alone
	parZ       = 31 // 6 values: Zoom alone
	paramsSize = 37
)

// Params draws the batch's random parameters on the CPU: float32
// [batchSize, 37] on fastgo.Train, nil on fastgo.Valid (no randomness).
// Every image consumes the same number of draws (13) whatever the
// options, so a seed gives the same geometry when only, say, lighting is
// turned off. An augmentation made by WithDraws ignores rng and gives its
// draws: the one for every image, or the first batchSize.
func (a *Augment) Params(batchSize int, split fastgo.Split, rng *rand.Rand) *tensors.Tensor {
	if split != fastgo.Train {
		return nil
	}
	if a.given != nil {
		n := len(a.given)
		rows := make([]float32, 0, max(n, batchSize)*paramsSize)
		switch {
		case n == 1:
			for range batchSize {
				rows = append(rows, a.givenRows...)
			}
		case n >= batchSize:
			rows = a.givenRows[:batchSize*paramsSize]
		default: // too few: Apply says so
			rows = a.givenRows
		}
		return tensors.FromFlatDataAndDimensions(slices.Clone(rows), len(rows)/paramsSize, paramsSize)
	}
	out := make([]float32, batchSize*paramsSize)
	for i := range batchSize {
		a.cfg.draw(rng).row(out[i*paramsSize : (i+1)*paramsSize])
	}
	return tensors.FromFlatDataAndDimensions(out, batchSize, paramsSize)
}

// draw takes one image's values from rng, in a fixed order and count, as
// the Draws they amount to (the crop's values are uniforms, placed in the
// range that fits by cropMatrix).
func (c *augConfig) draw(rng *rand.Rand) Draws {
	// masked draws v ~ U(lo,hi) with probability p, else neutral (fastai's
	// _draw_mask); both numbers are always drawn.
	masked := func(p, lo, hi, neutral float64) float64 {
		on := rng.Float64() < p
		v := lo + (hi-lo)*rng.Float64()
		if on {
			return v
		}
		return neutral
	}
	var d Draws
	d.flip = rng.Float64() < 0.5 && c.doFlip
	d.warpX = masked(c.pAffine, -c.maxWarp, c.maxWarp, 0)
	d.warpY = masked(c.pAffine, -c.maxWarp, c.maxWarp, 0)
	d.rotate = masked(c.pAffine, -c.maxRotate, c.maxRotate, 0)
	d.zoom = masked(c.pAffine, c.minZoom, c.maxZoom, 1)
	d.zoomX, d.zoomY = rng.Float64(), rng.Float64()
	d.crop, d.hasCrop = [3]float64{rng.Float64(), rng.Float64(), rng.Float64()}, true
	d.bright = masked(c.pLighting, 0.5*(1-c.maxLighting), 0.5*(1+c.maxLighting), 0.5)
	d.contrast = math.Exp(masked(c.pLighting, math.Log(1-c.maxLighting), -math.Log(1-c.maxLighting), 0))
	return d
}

// WithDraws returns the augmentation with given values instead of random
// ones (fastai's draw arguments, p=1.): one Draws for every image of a
// batch, or one per image (at least the batch size; the first ones are
// used, as fastai takes draw[:bs]). The transforms a draw sets are applied
// even where a's options leave them out (a warp with MaxWarp(0), lighting
// with MaxLighting(0), a crop with MinScale 1), and a's ranges and
// probabilities play no part; what a draw does not set is left unchanged
// (the crop, when a crops: the whole centred square). The validation split
// is not augmented, as a's. TwoPass and Sequential keep the draws; Spec
// (an export) records a's options, not the draws.
// Errors: no draws, a Draws holding an invalid value (see Draws.Err), a
// Crop when a keeps the input size (size 0). Given fewer draws than a
// batch has images, running it is an error.
//
//	aug, err := augment.MustAugTransforms(224).WithDraws(augment.Draws{}.Rotate(30).Zoom(1.2).Warp(-0.2, 0.2))
func (a *Augment) WithDraws(draws ...Draws) (*Augment, error) {
	if len(draws) == 0 {
		return nil, fmt.Errorf("augment.WithDraws: no draws given: give one for every image, or one per image")
	}
	out := &Augment{cfg: a.cfg, given: slices.Clone(draws), givenRows: make([]float32, len(draws)*paramsSize)}
	for i, d := range draws {
		if d.err != nil {
			return nil, fmt.Errorf("augment.WithDraws: draws %d: %w", i, d.err)
		}
		if d.hasCrop && a.cfg.size == 0 {
			return nil, fmt.Errorf("augment.WithDraws: draws %d crop a square, but the augmentation keeps the input size (size 0): give AugTransforms a size", i)
		}
		row := out.givenRows[i*paramsSize : (i+1)*paramsSize]
		d.row(row)
		for _, v := range row {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("augment.WithDraws: draws %d (%s) overflow float32 in the transform's matrices: use a zoom factor and centre of ordinary size", i, d)
			}
		}
		out.givenWarp = out.givenWarp || d.warpX != 0 || d.warpY != 0
		out.givenLight = out.givenLight || d.bright != 0 || d.contrast != 0
		out.givenCrop = out.givenCrop || d.hasCrop
	}
	return out, nil
}

// MustWithDraws is WithDraws for notebook cells: it panics on error.
func (a *Augment) MustWithDraws(draws ...Draws) *Augment {
	g, err := a.WithDraws(draws...)
	if err != nil {
		panic(err)
	}
	return g
}

// Draws returns the draws WithDraws gave (a copy), nil for random ones.
func (a *Augment) Draws() []Draws { return slices.Clone(a.given) }

// Apply augments x (float32 [B,H,W,C] in [0,1]) with params from
// [Augment.Params]; on fastgo.Valid, or when params is nil, it only crops
// and resizes (see [Augment]).
func (a *Augment) Apply(x, params *graph.Node, split fastgo.Split) *graph.Node {
	return a.apply(x, params, split, singlePass)
}

// samplingMode says how many times the geometry is resampled.
type samplingMode int

const (
	singlePass samplingMode = iota // fastgo: everything composed, one sampling
	twoPass                        // fastai: affine+warp at the input size, then the crop
	stepByStep                     // traditional: resize, warp, flip, rotate, zoom, crop
)

// TwoPass returns the same augmentation resampled the way fastai does it:
// flip/rotate/zoom/warp sampled at the input size, then each image's crop
// sliced and resized to the output size, area-shrunk first where fastai's
// _grid_sample shrinks it (two interpolations). Same draws and geometry
// as a; for comparisons and tests.
func (a *Augment) TwoPass() device.Transform {
	return &augmentVariant{a, twoPass, "TwoPass"}
}

// Sequential returns the same augmentation done the traditional way, for
// comparison figures (the book's right-hand image): the input is first
// resized to the output size, then warped, flipped, rotated, zoomed and
// cropped, each step resampled (bilinear, reflection padding) by the same
// sampler, fastai's _grid_sample (so the first resize area-averages where
// the output is under half the input) — one interpolation per step,
// composing to the single pass's
// geometry. It consumes the same draws as a (same seed or the same given
// draws) and applies the same lighting; validation is identical to a's.
func (a *Augment) Sequential() device.Transform {
	return &augmentVariant{a, stepByStep, "Sequential"}
}

// augmentVariant is an Augment sampled in another mode.
type augmentVariant struct {
	a    *Augment
	mode samplingMode
	name string
}

func (s *augmentVariant) Name() string { return s.name + "(" + s.a.Name() + ")" }

func (s *augmentVariant) Params(batchSize int, split fastgo.Split, rng *rand.Rand) *tensors.Tensor {
	return s.a.Params(batchSize, split, rng)
}

func (s *augmentVariant) Apply(x, params *graph.Node, split fastgo.Split) *graph.Node {
	return s.a.apply(x, params, split, s.mode)
}

func (a *Augment) apply(x, params *graph.Node, split fastgo.Split, mode samplingMode) *graph.Node {
	c := a.cfg
	if x.Rank() != 4 {
		exceptions.Panicf("augment.Augment: input must be [B,H,W,C], got shape %s", x.Shape())
	}
	dims := x.Shape().Dimensions
	h, w := dims[1], dims[2]
	oh, ow := c.size, c.size
	if c.size == 0 {
		oh, ow = h, w
	}
	crops := c.minScale != 1 || a.givenCrop
	if split != fastgo.Train || params == nil {
		if s := min(h, w); crops && h != w { // the centre square, sliced as fastai's RandomResizedCropGPU slices it
			x = cut(cut(x, 1, (h-s)/2, (h-s)/2+s), 2, (w-s)/2, (w-s)/2+s)
		}
		return resize(x, oh, ow)
	}
	if a.given != nil && params.Rank() == 2 && params.Shape().Dimensions[0] != dims[0] {
		exceptions.Panicf("augment.WithDraws: %d draws for a batch of %d images: give one Draws for every image, or at least one per image", len(a.given), dims[0])
	}
	if params.Rank() != 2 || params.Shape().Dimensions[1] != paramsSize || params.Shape().Dimensions[0] != dims[0] {
		exceptions.Panicf("augment.Augment: params must be [%d,%d] as Params makes them, got shape %s", dims[0], paramsSize, params.Shape())
	}
	m := aspectCorrect(paramMatrix(params, parM, 6), h, w)
	hom := paramMatrix(params, parH, 8)
	var side, top, left *graph.Node
	crop := identityMatrix(x.Graph())
	if crops {
		side, top, left = a.cropBox(params, h, w)
		crop = cropNormalized(side, top, left, h, w)
	}
	warp := c.maxWarp > 0 || a.givenWarp
	affineWarp := m // H·M: everything but the crop
	if warp {
		affineWarp = matMul3(hom, m)
	}
	var y *graph.Node
	switch {
	case mode == singlePass || mode == twoPass && !crops: // fastai also samples once without a crop
		y = gridSample(x, toPixels(matMul3(affineWarp, crop), h, w, oh, ow), oh, ow, warp)
	case mode == twoPass:
		y = gridSample(x, toPixels(affineWarp, h, w, h, w), h, w, warp)
		y = cropPass(y, side, top, left, oh, ow)
	default: // stepByStep: resize, then each transform sampled in turn
		y = resize(x, oh, ow)
		if warp {
			y = gridSample(y, toPixels(hom, oh, ow, oh, ow), oh, ow, true)
		}
		for _, off := range []int{parF, parR, parZ} {
			step := aspectCorrect(paramMatrix(params, off, 6), oh, ow)
			y = gridSample(y, toPixels(step, oh, ow, oh, ow), oh, ow, false)
		}
		if crops {
			y = gridSample(y, toPixels(crop, oh, ow, oh, ow), oh, ow, false)
		}
	}
	if c.maxLighting > 0 || a.givenLight {
		y = lighting(y, params)
	}
	return y
}

// paramColumn is column i of params ([B,K]) as a [B] vector.
func paramColumn(params *graph.Node, i int) *graph.Node {
	return graph.Reshape(graph.Slice(params, graph.AxisRange(), graph.AxisElem(i)), params.Shape().Dimensions[0])
}

// lighting applies fastai's Brightness then Contrast in logit space:
// σ(c·(logit(x) + logit(b))), with b and c per image from params.
func lighting(x, params *graph.Node) *graph.Node {
	perImage := func(i int) *graph.Node { return graph.InsertAxes(paramColumn(params, i), -1, -1, -1) }
	xc := graph.ClipScalar(x, 1e-7, 1-1e-7)
	logit := graph.Log(graph.Div(xc, graph.OneMinus(xc)))
	return graph.Logistic(graph.Mul(perImage(parLight), graph.Add(logit, perImage(parBright))))
}

// cropBox is RandomResizedCropGPU's square crop (ratio 1) per image from
// params: its side, top and left in pixels (float32 [B]). Random draws:
// fastai draws the area in [MinScale, 1]·h·w and retries (up to 10 times)
// while the square does not fit; fastgo draws it directly in the range
// that fits, which is the same distribution; side round(√area), top and
// left uniform integers. Given draws (Draws.Crop): the area fraction as
// given, the offsets ⌊fraction·room⌋.
func (a *Augment) cropBox(params *graph.Node, h, w int) (side, top, left *graph.Node) {
	short := min(h, w)
	u := paramColumn(params, parCrop)
	var scale *graph.Node
	if a.given != nil {
		scale = u
	} else {
		lo := a.cfg.minScale
		hi := math.Min(1, float64(short*short)/float64(h*w))
		if hi < lo { // fastai's fallback: the centre square
			at := func(v int) *graph.Node { return graph.AddScalar(graph.ZerosLike(u), float64(v)) }
			return at(short), at((h - short) / 2), at((w - short) / 2)
		}
		scale = graph.AddScalar(graph.MulScalar(u, hi-lo), lo)
	}
	side = graph.Round(graph.Sqrt(graph.MulScalar(scale, float64(h*w))))
	side = graph.ClipScalar(side, 1, float64(short))
	offset := func(uu *graph.Node, n int) *graph.Node {
		room := graph.AddScalar(graph.Neg(side), float64(n))
		if a.given != nil { // ⌊fraction·room⌋
			return graph.Min(graph.Floor(graph.Mul(uu, room)), room)
		}
		// a uniform integer in [0, room]
		return graph.Min(graph.Floor(graph.Mul(uu, graph.AddScalar(room, 1))), room)
	}
	return side, offset(paramColumn(params, parCrop+1), h), offset(paramColumn(params, parCrop+2), w)
}

// cropNormalized maps output coordinates to the square of the given side
// (pixels, shape [N]) whose top-left pixel is (left, top): with
// align_corners the output's corner pixels land on the centres of the
// crop's corner pixels, as fastai's slice-then-resample does. Result [N,3,3].
func cropNormalized(side, top, left *graph.Node, h, w int) *graph.Node {
	axis := func(off *graph.Node, n int) (scale, shift *graph.Node) {
		if n == 1 {
			return graph.ZerosLike(side), graph.ZerosLike(side)
		}
		d := float64(n - 1)
		scale = graph.DivScalar(graph.AddScalar(side, -1), d)
		shift = graph.AddScalar(graph.DivScalar(graph.AddScalar(graph.Add(graph.MulScalar(off, 2), side), -1), d), -1)
		return scale, shift
	}
	sx, tx := axis(left, w)
	sy, ty := axis(top, h)
	zero, one := graph.ZerosLike(side), graph.OnesLike(side)
	m := graph.Stack([]*graph.Node{sx, zero, tx, zero, sy, ty, zero, zero, one}, 1)
	return graph.Reshape(m, side.Shape().Dimensions[0], 3, 3)
}
