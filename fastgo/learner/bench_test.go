package learner

import "testing"

// BenchmarkTrainStep measures one optimisation step of the tiny model
// (batch 16 of 8×8 images): mostly the learner's per-step overhead.
func BenchmarkTrainStep(b *testing.B) {
	l := newTiny(b)
	batch := firstOf(l.Data.Train)
	lrs, moms := []float64{1e-3, 1e-3}, []float64{0.9, 0.9}
	if _, err := l.trainStep(batch, lrs, moms, 0.01); err != nil { // compile
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := l.trainStep(batch, lrs, moms, 0.01); err != nil {
			b.Fatal(err)
		}
	}
}
