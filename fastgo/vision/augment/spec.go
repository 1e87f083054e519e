package augment

import (
	"fmt"

	"github.com/fastgo-ml/fastgo/fastgo"
)

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
	return fastgo.TransformSpec{Name: "Normalize", Params: map[string][]float64{"mean": f64(n.Mean()), "std": f64(n.Std())}}
}

// BatchTransformFromSpec builds the batch transform a spec describes
// (written by Export from augment.AugTransforms or augment.Normalize).
// Errors: a transform fastgo does not know, naming it; a parameter that
// is missing or of the wrong kind; values AugTransforms or Normalize
// refuse.
func BatchTransformFromSpec(s fastgo.TransformSpec) (fastgo.BatchTransform, error) {
	switch s.Name {
	case "AugTransforms":
		size, err := s.Int("size", 0)
		if err != nil {
			return nil, fmt.Errorf("augment: %w", err)
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
	return nil, fmt.Errorf("augment: no batch transform %q (fastgo knows AugTransforms and Normalize)", s.Name)
}

func f32Param(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}
