package learner

import "testing"

// BenchmarkTrainStep measures one optimisation step of the tiny model
// (batch 16 of 8×8 images): mostly the learner's per-step overhead.
func BenchmarkTrainStep(b *testing.B) {
	l := newTiny(b)
	batch := firstOf(l.Data.Train)
	lrs, moms, wds := []float64{1e-3, 1e-3}, []float64{0.9, 0.9}, []float64{0.01, 0.01}
	if _, err := l.trainStep(batch, lrs, moms, wds); err != nil { // compile
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := l.trainStep(batch, lrs, moms, wds); err != nil {
			b.Fatal(err)
		}
	}
}
