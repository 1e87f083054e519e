package vision

import (
	"fmt"

	"github.com/fastgo-ml/fastgo/fastgo"
)

// Spec describes the transform for learner.Export (see
// [ItemTransformFromSpec]).
func (r *ResizeTransform) Spec() fastgo.TransformSpec {
	return fastgo.TransformSpec{Name: "Resize", Params: map[string][]float64{
		"size": {float64(r.Size)}, "method": {float64(r.Method)}, "pad_mode": {float64(r.PadMode)}}}
}

// ItemTransformFromSpec builds the item transform a spec describes
// (written by Export from vision.Resize). Errors name the spec and what is
// wrong with it; a Resize that [ResizeTransform.Check] refuses (a size
// over MaxPixels) is refused here, when the model is loaded.
func ItemTransformFromSpec(s fastgo.TransformSpec) (fastgo.ItemTransform, error) {
	switch s.Name {
	case "Resize":
		size, err := s.Int("size", 1)
		if err != nil {
			return nil, fmt.Errorf("vision: %w", err)
		}
		method, err := s.Int("method", 0)
		if err != nil || method > int(Squish) {
			return nil, fmt.Errorf("vision: Resize spec: method %v is not Crop, Pad or Squish", s.Params["method"])
		}
		pad, err := s.Int("pad_mode", 0)
		if err != nil || pad > int(Border) {
			return nil, fmt.Errorf("vision: Resize spec: pad_mode %v is not Reflection, Zeros or Border", s.Params["pad_mode"])
		}
		r := Resize(size, WithMethod(ResizeMethod(method)), WithPadMode(PadMode(pad)))
		if err := r.Check(); err != nil {
			return nil, err
		}
		return r, nil
	}
	return nil, fmt.Errorf("vision: no item transform %q (fastgo knows Resize)", s.Name)
}
