package vision

import (
	"fmt"
	"math"

	"github.com/fastgo-ml/fastgo/fastgo"
)

// Spec describes the transform for learner.Export (see
// [ItemTransformFromSpec]).
func (r *ResizeTransform) Spec() fastgo.TransformSpec {
	return fastgo.TransformSpec{Name: "Resize", Params: map[string][]float64{
		"size": {float64(r.Size)}, "method": {float64(r.Method)}, "pad_mode": {float64(r.PadMode)}}}
}

// Spec describes the transform for learner.Export (see
// [BatchTransformFromSpec]); Mult is already applied to the values.
func (a *Augment) Spec() fastgo.TransformSpec {
	c := a.cfg
	b := 0.0
	if c.doFlip {
		b = 1
	}
	return fastgo.TransformSpec{Name: "AugTransforms", Params: map[string][]float64{
		"size": {float64(c.size)}, "do_flip": {b}, "max_rotate": {c.maxRotate}, "min_zoom": {c.minZoom},
		"max_zoom": {c.maxZoom}, "max_lighting": {c.maxLighting}, "max_warp": {c.maxWarp},
		"p_affine": {c.pAffine}, "p_lighting": {c.pLighting}, "min_scale": {c.minScale}}}
}

// Spec describes the transform for learner.Export (see
// [BatchTransformFromSpec]).
func (n *Normalization) Spec() fastgo.TransformSpec {
	f64 := func(v []float32) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	return fastgo.TransformSpec{Name: "Normalize", Params: map[string][]float64{"mean": f64(n.mean), "std": f64(n.std)}}
}

// ItemTransformFromSpec builds the item transform a spec describes
// (written by Export from vision.Resize). Errors name the spec and what is
// wrong with it.
func ItemTransformFromSpec(s fastgo.TransformSpec) (fastgo.ItemTransform, error) {
	switch s.Name {
	case "Resize":
		size, err := intParam(s, "size", 1)
		if err != nil {
			return nil, err
		}
		method, err := intParam(s, "method", 0)
		if err != nil || method > int(Squish) {
			return nil, fmt.Errorf("vision: Resize spec: method %v is not Crop, Pad or Squish", s.Params["method"])
		}
		pad, err := intParam(s, "pad_mode", 0)
		if err != nil || pad > int(Border) {
			return nil, fmt.Errorf("vision: Resize spec: pad_mode %v is not Reflection, Zeros or Border", s.Params["pad_mode"])
		}
		return Resize(size, WithMethod(ResizeMethod(method)), WithPadMode(PadMode(pad))), nil
	}
	return nil, fmt.Errorf("vision: no item transform %q (fastgo knows Resize)", s.Name)
}

// BatchTransformFromSpec builds the batch transform a spec describes
// (written by Export from vision.AugTransforms or vision.Normalize).
func BatchTransformFromSpec(s fastgo.TransformSpec) (fastgo.BatchTransform, error) {
	switch s.Name {
	case "AugTransforms":
		size, err := intParam(s, "size", 0)
		if err != nil {
			return nil, err
		}
		var opts []AugOption
		for key, opt := range map[string]func(float64) AugOption{
			"max_rotate": MaxRotate, "min_zoom": MinZoom, "max_zoom": MaxZoom, "max_lighting": MaxLighting,
			"max_warp": MaxWarp, "p_affine": PAffine, "p_lighting": PLighting, "min_scale": MinScale,
		} {
			if v, ok := s.Params[key]; ok && len(v) == 1 {
				opts = append(opts, opt(v[0]))
			}
		}
		if v, ok := s.Params["do_flip"]; ok && len(v) == 1 {
			opts = append(opts, DoFlip(v[0] != 0))
		}
		return AugTransforms(size, opts...)
	case "Normalize":
		mean, std := f32Param(s.Params["mean"]), f32Param(s.Params["std"])
		return Normalize(mean, std)
	}
	return nil, fmt.Errorf("vision: no batch transform %q (fastgo knows AugTransforms and Normalize)", s.Name)
}

// intParam reads a whole-number parameter ≥ lo.
func intParam(s fastgo.TransformSpec, key string, lo int) (int, error) {
	v := s.Params[key]
	if len(v) != 1 || v[0] != math.Trunc(v[0]) || v[0] < float64(lo) || v[0] > 1<<14 { // 16384 px: a larger side is a broken file, not a model
		return 0, fmt.Errorf("vision: %s spec: %s is %v, want one whole number from %d to 16384", s.Name, key, v, lo)
	}
	return int(v[0]), nil
}

func f32Param(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}
