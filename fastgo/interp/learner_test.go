package interp

import (
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
)

// uniformSource predicts every class with the same probability.
type uniformSource struct{ n, c int }

func (u uniformSource) GetPreds(learner.BatchSource) (*learner.Preds, error) {
	p := &learner.Preds{NumClasses: u.c, Probs: make([]float32, u.n*u.c), Targets: make([]int, u.n), Losses: make([]float32, u.n)}
	for i := range p.Probs {
		p.Probs[i] = 1 / float32(u.c)
	}
	return p, nil
}

func TestFromLearnerKeepsValidItems(t *testing.T) {
	pets := fastgo.DataBlock{
		Blocks:   fastgo.Blocks{X: vision.ImageBlock(), Y: fastgo.CategoryBlock()},
		GetItems: fastgo.GetImageFiles,
		Splitter: fastgo.FuncSplitter(func(p fastgo.Path) bool { return p.Name() == "Abyssinian_1.jpg" }),
		GetY:     fastgo.UsingName(fastgo.RegexLabeller(`^(.+?)_\d+\.jpg$`)),
		ItemTfms: []fastgo.ItemTransform{vision.Resize(32)},
	}
	dls, err := pets.DataLoaders("../../testdata/images", fastgo.WithBatchSize(2))
	if err != nil {
		t.Fatal(err)
	}
	nValid := dls.Valid.Dataset.Len()
	ci, err := FromLearner(uniformSource{n: nValid, c: dls.Vocab.Len()}, dls)
	if err != nil {
		t.Fatal(err)
	}
	if ci.Len() != nValid {
		t.Fatalf("Len = %d, want %d", ci.Len(), nValid)
	}
	img, err := ci.ItemImage(48)(0)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 48 || b.Dy() != 48 {
		t.Errorf("ItemImage(48) size = %v, want 48×48", b.Size())
	}
	if _, err := ci.ItemImage(0)(nValid); err == nil {
		t.Error("ItemImage past the last item: want an error")
	}
	if _, err := FromLearner(uniformSource{}, nil); err == nil {
		t.Error("FromLearner(nil DataLoaders): want an error")
	}
}
