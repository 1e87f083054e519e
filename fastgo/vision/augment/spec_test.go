package augment

import (
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
)

// Export describes the transforms as specs (fastgo.TransformSpec) and
// LoadPredictor rebuilds them: Resize here through vision, the batch
// transforms through this package.
func TestTransformSpecsRoundTrip(t *testing.T) {
	r := vision.Resize(460, vision.WithMethod(vision.Pad), vision.WithPadMode(vision.Zeros))
	back, err := vision.ItemTransformFromSpec(r.Spec())
	if err != nil || *back.(*vision.ResizeTransform) != *r {
		t.Errorf("Resize: %v %v, want %v", back, err, r)
	}
	a := MustAugTransforms(224, MinScale(0.75), Mult(0.5), DoFlip(false))
	b, err := BatchTransformFromSpec(a.Spec())
	want := a.cfg
	want.mult = 1 // the values are stored with Mult applied
	if err != nil || b.(*Augment).cfg != want {
		t.Errorf("AugTransforms: %+v %v, want %+v", b, err, a.cfg)
	}
	n := MustNormalize(ImagenetStats())
	nb, err := BatchTransformFromSpec(n.Spec())
	if err != nil || nb.(*Normalization).Spec().Params["std"][2] != n.Spec().Params["std"][2] {
		t.Errorf("Normalize: %+v %v", nb, err)
	}
	for _, bad := range []fastgo.TransformSpec{
		{Name: "Resize", Params: map[string][]float64{"size": {-3}}},
		{Name: "Resize", Params: map[string][]float64{"size": {2.5}}},
		{Name: "Rotate"},
	} {
		if _, err := vision.ItemTransformFromSpec(bad); err == nil {
			t.Errorf("spec %+v accepted", bad)
		}
	}
	if _, err := BatchTransformFromSpec(fastgo.TransformSpec{Name: "Normalize", Params: map[string][]float64{"mean": {0.5}, "std": {0}}}); err == nil {
		t.Error("Normalize with std 0 accepted")
	}
}

// A model file is user input: whatever specs its header holds, building
// the transforms gives a transform or an error, never a panic.
func FuzzTransformFromSpec(f *testing.F) {
	f.Add("Resize", 460.0, 0.0, 0.0)
	f.Add("AugTransforms", 224.0, 0.75, 1.0)
	f.Add("Normalize", 0.5, 0.0, -1.0)
	f.Fuzz(func(t *testing.T, name string, a, b, c float64) {
		s := fastgo.TransformSpec{Name: name, Params: map[string][]float64{
			"size": {a}, "method": {b}, "pad_mode": {c}, "min_scale": {b}, "max_rotate": {c}, "do_flip": {c},
			"mean": {a, b, c}, "std": {c, b, a}}}
		if tf, err := vision.ItemTransformFromSpec(s); err == nil && tf == nil {
			t.Errorf("%+v: no transform and no error", s)
		}
		if tf, err := BatchTransformFromSpec(s); err == nil && tf == nil {
			t.Errorf("%+v: no transform and no error", s)
		}
	})
}
