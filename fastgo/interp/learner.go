package interp

import (
	"fmt"
	"image"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
)

// FromLearner is fastai's ClassificationInterpretation.from_learner(learn):
// it predicts dls's validation set with learn (any PredsSource, normally
// the *learner.Learner trained on dls) and keeps the validation items so
// that TopLosses can name them and PlotTopLosses can show them (see
// ItemImage).
func FromLearner(learn PredsSource, dls *fastgo.DataLoaders) (*ClassificationInterpretation, error) {
	if dls == nil || dls.Valid == nil || dls.Vocab == nil {
		return nil, fmt.Errorf("interp.FromLearner: DataLoaders are empty: pass the ones the learner was built with")
	}
	return FromSource(learn, dls.Vocab.Items(), dls.Valid.Dataset.Items)
}

// ItemImage is an ImageLoader for PlotTopLosses that decodes item i from
// disk and, when size > 0, resizes it as the validation pipeline does
// (centre crop, vision.Resize(size)).
func (ci *ClassificationInterpretation) ItemImage(size int) ImageLoader {
	return func(i int) (image.Image, error) {
		if i < 0 || i >= len(ci.items) {
			return nil, fmt.Errorf("interp: no item %d: the interpretation was built without items (use FromLearner)", i)
		}
		img, err := vision.LoadImage(string(ci.items[i]))
		if err != nil {
			return nil, err
		}
		if size > 0 {
			v, err := vision.Resize(size).Apply(img, fastgo.ItemContext{Split: fastgo.Valid})
			if err != nil {
				return nil, err
			}
			img = v.(vision.Image)
		}
		return img.ToStd(), nil
	}
}
