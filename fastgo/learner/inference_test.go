package learner

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// onAfterTrain calls f after each epoch's training pass.
type onAfterTrain func()

func (a onAfterTrain) AfterTrain(*FitState) error { a(); return nil }

// TestInferenceWeightsDerivedOncePerChange: a model's inference weights
// are derived once for a validation pass and any number of predictions,
// again after a variable is set, and are not kept while training.
func TestInferenceWeightsDerivedOncePerChange(t *testing.T) {
	l := newTinyOf(t, tinyFoldedModel(4))
	b := firstBatch(t, l.Data.Valid)
	if err := l.Fit(1, 1e-2); err != nil {
		t.Fatal(err)
	}
	if l.infer == nil || l.infer.runs != 1 {
		t.Fatalf("after a fit with one validation pass: inference weights derived %v times, want once", l.infer)
	}
	before, err := l.Predict(b.X)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := l.GetPreds(nil); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Predict(b.X); err != nil {
			t.Fatal(err)
		}
	}
	if l.infer.runs != 1 {
		t.Errorf("unchanged weights derived %d times, want once", l.infer.runs)
	}

	// A variable set from outside the learner (as a weight import does).
	v := l.Store().GetVariable("/head/bias")
	if err := v.SetValue(tensors.FromFlatDataAndDimensions([]float32{5, 0, 0, 0}, 4)); err != nil {
		t.Fatal(err)
	}
	after, err := l.Predict(b.X)
	if err != nil {
		t.Fatal(err)
	}
	if l.infer.runs != 2 || slices.Equal(before[0].Probs, after[0].Probs) {
		t.Errorf("after setting a bias: derived %d times (want 2), probabilities %v then %v", l.infer.runs, before[0].Probs, after[0].Probs)
	}

	// Training frees them; validation derives them once again.
	held := func() (n int) {
		for v := range l.infer.store.IterVariables() {
			if v.HasValue() {
				n++
			}
		}
		return n
	}
	if held() == 0 {
		t.Fatal("no inference weights held after a prediction")
	}
	if err := l.Fit(1, 1e-2, WithCallbacks(onAfterTrain(func() {
		if n := held(); n != 0 {
			t.Errorf("%d inference weights kept while training", n)
		}
	}))); err != nil {
		t.Fatal(err)
	}
	if l.infer.runs != 3 {
		t.Errorf("after another epoch: derived %d times, want 3", l.infer.runs)
	}
}
