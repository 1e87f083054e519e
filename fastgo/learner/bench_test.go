package learner

import (
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/gomlx/gomlx/core/tensors"
)

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

// trainStep runs one optimisation step on a batch and returns its loss:
// trainStepOn for one batch, waited for (the benchmark's step; the loop
// prepares batches ahead and reads losses in groups).
func (l *Learner) trainStep(b Batch, lrs, moms, wds []float64) (float64, error) {
	in := l.upload(b, 0)
	defer in.free()
	if in.err == nil {
		if err := l.drawOnDevice(in, fastgo.Train, l.iter); err != nil {
			return 0, err
		}
	}
	loss, err := l.trainStepOn(in, lrs, moms, wds)
	if err != nil {
		return 0, err
	}
	defer loss.FinalizeAll()
	return float64(tensors.ToScalar[float32](loss)), nil
}
