package fastai

import (
	"fmt"
	"math"
	"slices"

	"github.com/fastgo-ml/fastgo/fastgo"
	tf "github.com/fastgo-ml/fastgo/internal/torchfile"
)

// Transform is one transform of the learner's validation pipeline that
// fastgo reproduces: [Resize], [IntToFloat], [AugTransforms] or
// [Normalize].
type Transform interface {
	// FastaiName is fastai's name of the transform.
	FastaiName() string
}

// Resize is fastai.vision.augment.Resize, an item transform: on the
// validation set, the centred box of the target's ratio (Crop), or the
// image padded to it (Pad), or the whole image (Squish), resized to
// Size×Size with PIL's BILINEAR filter.
type Resize struct {
	Size int
	// Method is "crop", "pad" or "squish" (fastai's ResizeMethod).
	Method string
	// PadMode is "reflection", "zeros" or "border" (fastai's PadMode).
	PadMode string
}

// FastaiName is "Resize".
func (Resize) FastaiName() string { return "Resize" }

// IntToFloat is fastai.data.transforms.IntToFloatTensor: uint8 levels
// divided by Div (255).
type IntToFloat struct{ Div float64 }

// FastaiName is "IntToFloatTensor".
func (IntToFloat) FastaiName() string { return "IntToFloatTensor" }

// Normalize is fastai.data.transforms.Normalize: (x - Mean) / Std per
// channel (RGB), on [0,1] values.
type Normalize struct{ Mean, Std [3]float32 }

// FastaiName is "Normalize".
func (Normalize) FastaiName() string { return "Normalize" }

// AugTransforms is what aug_transforms put in the batch pipeline (the
// affine transforms merged into one, Brightness and Contrast merged, and
// RandomResizedCropGPU when min_scale < 1), with mult already applied. On
// the validation set only the geometry's sizing runs: with MinScale < 1
// the centred square of the batch resized to Size, otherwise the batch
// resized to Size (unchanged when Size is 0).
type AugTransforms struct {
	Size                 int
	MinScale             float64
	DoFlip               bool
	MaxRotate            float64
	MinZoom, MaxZoom     float64
	MaxLighting, MaxWarp float64
	PAffine, PLighting   float64
}

// FastaiName is "aug_transforms".
func (AugTransforms) FastaiName() string { return "aug_transforms" }

// fastai's transform classes, as pickles name them.
const (
	resizeClass    = "fastai.vision.augment.Resize"
	toTensorClass  = "fastai.data.transforms.ToTensor"
	intToFloat     = "fastai.data.transforms.IntToFloatTensor"
	normalizeClass = "fastai.data.transforms.Normalize"
	rrcGPU         = "fastai.vision.augment.RandomResizedCropGPU"
)

// affineClasses are aug_transforms' geometric transforms; setup_aug_tfms
// merges them into the first one, whose class the file records.
var affineClasses = []string{"fastai.vision.augment.AffineCoordTfm", "fastai.vision.augment.Flip",
	"fastai.vision.augment.Rotate", "fastai.vision.augment.Zoom", "fastai.vision.augment.Warp"}

// lightingClasses are aug_transforms' lighting transforms, merged likewise.
var lightingClasses = []string{"fastai.vision.augment.LightingTfm", "fastai.vision.augment.Brightness",
	"fastai.vision.augment.Contrast"}

// pipeline returns the transforms of a fastcore Pipeline (its fs, an L).
func pipeline(v any) ([]any, bool) {
	p, ok := v.(*tf.Object)
	if !ok || !p.Is("fastcore.transform.Pipeline") {
		return nil, false
	}
	return items(attr(p, "fs"))
}

// items returns the elements of a fastcore L (or of a list or tuple).
func items(v any) ([]any, bool) {
	if o, ok := v.(*tf.Object); ok && o.Is("fastcore.foundation.L") {
		v = attr(o, "items")
	}
	return tf.Seq(v)
}

// itemTransforms reads the validation DataLoader's after_item pipeline.
func itemTransforms(file string, v any) ([]Transform, error) {
	fs, ok := pipeline(v)
	if !ok {
		return nil, &UnsupportedError{File: file, Where: "dls.valid.after_item", Class: tf.ClassName(v), Why: "not a fastcore Pipeline"}
	}
	var out []Transform
	for i, t := range fs {
		where := fmt.Sprintf("dls.valid.after_item[%d]", i)
		o, _ := t.(*tf.Object)
		switch {
		case o.Is(toTensorClass):
		case o.Is(resizeClass):
			r, err := readResize(file, where, o)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		default:
			return nil, unsupportedTransform(file, where, t, "item transforms: Resize and ToTensor")
		}
	}
	return out, nil
}

// unsupportedTransform explains a transform fastgo does not have.
func unsupportedTransform(file, where string, t any, known string) error {
	class := tf.ClassName(t)
	why := "fastgo reproduces these " + known
	if o, ok := t.(*tf.Object); ok && o.Is("fastcore.transform.Transform") {
		if enc := attr(o, "init_enc"); enc != nil {
			class = "a Transform wrapping " + tf.ClassName(enc)
			why = "a function transform runs its Python code, which fastgo cannot; " + why
		}
	}
	return &UnsupportedError{File: file, Where: where, Class: class, Why: why}
}

func readResize(file, where string, o *tf.Object) (Resize, error) {
	bad := func(why string) (Resize, error) {
		return Resize{}, &UnsupportedError{File: file, Where: where, Class: resizeClass, Why: why}
	}
	size := attr(o, "size") // fastuple(w, h)
	if s, ok := size.(*tf.Object); ok && s.Is("fastcore.basics.fastuple") && len(s.Args) == 1 {
		size = s.Args[0]
	}
	w, h, ok := pair(size)
	if !ok || w < 1 || w > fastgo.MaxSide {
		return bad(fmt.Sprintf("size %v is not a size", attr(o, "size")))
	}
	if w != h {
		return bad(fmt.Sprintf("a %d×%d (width×height) target: fastgo's Resize makes squares", w, h))
	}
	r := Resize{Size: w}
	r.Method, _ = attr(o, "method").(string)
	r.PadMode, _ = attr(o, "pad_mode").(string)
	if !slices.Contains([]string{"crop", "pad", "squish"}, r.Method) {
		return bad(fmt.Sprintf("method %v is not crop, pad or squish", attr(o, "method")))
	}
	if !slices.Contains([]string{"reflection", "zeros", "border"}, r.PadMode) {
		return bad(fmt.Sprintf("pad_mode %v is not reflection, zeros or border", attr(o, "pad_mode")))
	}
	if mode := resample(attr(o, "mode")); mode != 2 {
		return bad(fmt.Sprintf("resampling filter %v: fastgo's Resize is PIL's BILINEAR (2)", mode))
	}
	return r, nil
}

// resample reads a PIL filter: an int (Pillow < 9.1), or a
// PIL.Image.Resampling member, pickled as Resampling(n) or (Python ≥ 3.11)
// getattr(Resampling, 'BILINEAR'); -1 when it is none of these.
func resample(v any) int {
	if o, ok := v.(*tf.Object); ok && len(o.Args) == 1 && o.Is("PIL.Image.Resampling") {
		v = o.Args[0]
	}
	if o, ok := v.(*tf.Object); ok && o.Reduced && len(o.Args) == 2 && o.Is("__builtin__.getattr", "builtins.getattr") &&
		tf.ClassName(o.Args[0]) == "PIL.Image.Resampling" {
		names := map[any]int{"NEAREST": 0, "LANCZOS": 1, "BILINEAR": 2, "BICUBIC": 3, "BOX": 4, "HAMMING": 5}
		if i, ok := names[o.Args[1]]; ok {
			return i
		}
	}
	if i, ok := tf.Int(v); ok {
		return i
	}
	return -1
}

// batchTransforms reads the validation DataLoader's after_batch pipeline.
func batchTransforms(file string, v any) ([]Transform, error) {
	fs, ok := pipeline(v)
	if !ok {
		return nil, &UnsupportedError{File: file, Where: "dls.valid.after_batch", Class: tf.ClassName(v), Why: "not a fastcore Pipeline"}
	}
	var out []Transform
	var aug *AugTransforms
	augment := func() *AugTransforms {
		if aug == nil {
			aug = &AugTransforms{MinScale: 1, MinZoom: 1, MaxZoom: 1}
			out = append(out, aug)
		}
		return aug
	}
	for i, t := range fs {
		where := fmt.Sprintf("dls.valid.after_batch[%d]", i)
		o, _ := t.(*tf.Object)
		var err error
		switch {
		case o.Is(intToFloat):
			div, ok := tf.Float(attr(o, "div"))
			if !ok || div != 255 {
				return nil, &UnsupportedError{File: file, Where: where, Class: intToFloat, Why: fmt.Sprintf("div %v: fastgo divides by 255", attr(o, "div"))}
			}
			out = append(out, IntToFloat{Div: div})
		case o.Is(normalizeClass):
			var n Normalize
			n, err = readNormalize(file, where, o)
			out = append(out, n)
		case o.Is(affineClasses...):
			err = readAffine(file, where, o, augment())
		case o.Is(lightingClasses...):
			err = readLighting(file, where, o, augment())
		case o.Is(rrcGPU):
			err = readRandomResizedCrop(file, where, o, augment())
		default:
			return nil, unsupportedTransform(file, where, t, "batch transforms: IntToFloatTensor, aug_transforms' (Flip, Rotate, Zoom, Warp, Brightness, Contrast, RandomResizedCropGPU) and Normalize")
		}
		if err != nil {
			return nil, err
		}
	}
	for i, t := range out { // the merged augmentation, as a value
		if a, ok := t.(*AugTransforms); ok {
			out[i] = *a
		}
	}
	return out, nil
}

func readNormalize(file, where string, o *tf.Object) (Normalize, error) {
	var n Normalize
	for _, f := range []struct {
		name string
		dst  *[3]float32
	}{{"mean", &n.Mean}, {"std", &n.Std}} {
		vals, err := floats(attr(o, f.name))
		if err != nil || len(vals) != 3 {
			return n, &UnsupportedError{File: file, Where: where, Class: normalizeClass,
				Why: fmt.Sprintf("%s is %s: fastgo normalises the 3 RGB channels with one value each", f.name, describe(attr(o, f.name), err))}
		}
		for i, v := range vals {
			if f.name == "std" && !(v > 0) {
				return n, &UnsupportedError{File: file, Where: where, Class: normalizeClass, Why: fmt.Sprintf("std %v is not positive", vals)}
			}
			f.dst[i] = v
		}
	}
	if axes, _ := tf.Seq(attr(o, "axes")); len(axes) != 3 || axes[0] != 0 || axes[1] != 2 || axes[2] != 3 {
		return n, &UnsupportedError{File: file, Where: where, Class: normalizeClass, Why: fmt.Sprintf("axes %v: fastgo normalises per channel (axes (0, 2, 3))", attr(o, "axes"))}
	}
	return n, nil
}

func describe(v any, err error) string {
	if err != nil {
		return fmt.Sprintf("%s (%v)", tf.ClassName(v), err)
	}
	return tf.ClassName(v)
}

// floats reads a tensor, or a list or tuple of numbers, as float32s.
func floats(v any) ([]float32, error) {
	if t, ok := v.(*tf.Tensor); ok {
		return t.Float32()
	}
	s, ok := tf.Seq(v)
	if !ok {
		return nil, fmt.Errorf("not numbers")
	}
	out := make([]float32, len(s))
	for i, x := range s {
		f, ok := tf.Float(x)
		if !ok {
			return nil, fmt.Errorf("not numbers")
		}
		out[i] = float32(f)
	}
	return out, nil
}

// readAffine reads aug_transforms' merged affine transform: its size and
// sampling settings, and the functools.partial of each part.
func readAffine(file, where string, o *tf.Object, a *AugTransforms) error {
	bad := func(why string) error {
		return &UnsupportedError{File: file, Where: where, Class: o.Class.String(), Why: why}
	}
	if size := attr(o, "size"); size != nil {
		s1, s2, ok := pair(size)
		if !ok || s1 != s2 || s1 < 1 || s1 > fastgo.MaxSide {
			return bad(fmt.Sprintf("size %v: fastgo's aug_transforms make squares", size))
		}
		a.Size = s1
	}
	if attr(o, "mode") != "bilinear" || attr(o, "pad_mode") != "reflection" || attr(o, "align_corners") != true {
		return bad(fmt.Sprintf("mode %v, pad_mode %v, align_corners %v: fastgo samples bilinear, reflection, align_corners=True",
			attr(o, "mode"), attr(o, "pad_mode"), attr(o, "align_corners")))
	}
	affs, _ := items(attr(o, "aff_fs"))
	for _, f := range affs {
		fn, kw, ok := partial(f)
		get := func(k string) float64 { v, _ := tf.Float(kw[k]); return v }
		switch {
		case !ok:
			return bad("an affine function " + tf.ClassName(f) + " that is not one of aug_transforms'")
		case fn == "fastai.vision.augment.flip_mat":
			a.DoFlip = true
		case fn == "fastai.vision.augment.rotate_mat":
			a.MaxRotate, a.PAffine = get("max_deg"), get("p")
		case fn == "fastai.vision.augment.zoom_mat":
			a.MinZoom, a.MaxZoom, a.PAffine = get("min_zoom"), get("max_zoom"), get("p")
		default:
			return bad("the affine function " + fn + ": fastgo's aug_transforms has flip (left-right), rotate, zoom and warp")
		}
	}
	coords, _ := items(attr(o, "coord_fs"))
	for _, f := range coords {
		w, ok := f.(*tf.Object)
		if !ok || !w.Is("fastai.vision.augment._WarpCoord") {
			return bad("a coordinate function " + tf.ClassName(f) + " that is not aug_transforms' warp")
		}
		a.MaxWarp, _ = tf.Float(attr(w, "magnitude"))
		a.PAffine, _ = tf.Float(attr(w, "p"))
	}
	return nil
}

// partial reads a functools.partial of a module function with keyword
// arguments only: its function's name and keywords.
func partial(v any) (string, map[string]any, bool) {
	o, ok := v.(*tf.Object)
	if !ok || !o.Is("functools.partial") {
		return "", nil, false
	}
	st, ok := tf.Seq(o.State) // (func, args, kwds, dict)
	if !ok || len(st) < 3 {
		return "", nil, false
	}
	fn, ok := st[0].(*tf.Global)
	if !ok {
		return "", nil, false
	}
	if args, _ := tf.Seq(st[1]); len(args) > 0 {
		return "", nil, false
	}
	kw := map[string]any{}
	entries, _ := tf.Entries(st[2])
	for _, e := range entries {
		if k, ok := e.Key.(string); ok {
			kw[k] = e.Value
		}
	}
	return fn.String(), kw, true
}

func readLighting(file, where string, o *tf.Object, a *AugTransforms) error {
	fs, _ := items(attr(o, "fs"))
	for _, f := range fs {
		l, ok := f.(*tf.Object)
		if !ok || !l.Is("fastai.vision.augment._BrightnessLogit", "fastai.vision.augment._ContrastLogit") {
			return &UnsupportedError{File: file, Where: where, Class: tf.ClassName(f), Why: "a lighting transform other than aug_transforms' Brightness and Contrast"}
		}
		max, _ := tf.Float(attr(l, "max_lighting"))
		if a.MaxLighting != 0 && math.Abs(max-a.MaxLighting) > 1e-12 {
			return &UnsupportedError{File: file, Where: where, Class: l.Class.String(), Why: "Brightness and Contrast with different max_lighting"}
		}
		a.MaxLighting = max
		a.PLighting, _ = tf.Float(attr(l, "p"))
	}
	return nil
}

func readRandomResizedCrop(file, where string, o *tf.Object, a *AugTransforms) error {
	bad := func(why string) error { return &UnsupportedError{File: file, Where: where, Class: rrcGPU, Why: why} }
	s1, s2, ok := pair(attr(o, "size"))
	if !ok || s1 != s2 || s1 < 1 || s1 > fastgo.MaxSide {
		return bad(fmt.Sprintf("size %v: fastgo's crops are squares", attr(o, "size")))
	}
	r1, r2, okRatio := ratio(attr(o, "ratio"))
	if !okRatio || r1 != 1 || r2 != 1 {
		return bad(fmt.Sprintf("ratio %v: fastgo's crop keeps ratio (1, 1), as aug_transforms sets it", attr(o, "ratio")))
	}
	vs, _ := tf.Float(attr(o, "valid_scale"))
	maxs, okMax := tf.Float(attr(o, "max_scale"))
	if vs != 1 || (okMax && maxs != 1) || attr(o, "mode") != "bilinear" {
		return bad(fmt.Sprintf("valid_scale %v, max_scale %v, mode %v: fastgo has 1, 1, bilinear", attr(o, "valid_scale"), attr(o, "max_scale"), attr(o, "mode")))
	}
	a.Size = s1
	a.MinScale, _ = tf.Float(attr(o, "min_scale"))
	return nil
}

func ratio(v any) (float64, float64, bool) {
	s, ok := tf.Seq(v)
	if !ok || len(s) != 2 {
		return 0, 0, false
	}
	a, ok1 := tf.Float(s[0])
	b, ok2 := tf.Float(s[1])
	return a, b, ok1 && ok2
}
