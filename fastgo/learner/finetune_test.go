package learner

import (
	"math"
	"testing"
)

// lrLog records each fit and each training batch's per-group rates.
type lrLog struct {
	fits int
	lrs  [][]float64
}

func (g *lrLog) BeforeFit(*FitState) error { g.fits++; return nil }
func (g *lrLog) BeforeBatch(f *FitState) error {
	if f.Training {
		g.lrs = append(g.lrs, append([]float64(nil), f.LRs...))
	}
	return nil
}

// FineTune(n, FreezeEpochs(0)) is fastai's fine_tune(n, freeze_epochs=0):
// no frozen stage, and the unfrozen one at the halved base rate —
// Unfreeze then FitOneCycle(n, Slice(BaseLR/2/LRMult, BaseLR/2),
// PctStart 0.3, Div 5), weight for weight (trial 2's B3: it was refused).
func TestFineTuneWithoutFrozenStage(t *testing.T) {
	log := &lrLog{}
	l := newTiny(t)
	if err := l.FineTune(1, FreezeEpochs(0), BaseLR(2e-2), WithCallbacks(log)); err != nil {
		t.Fatal(err)
	}
	if log.fits != 1 || len(l.Recorder.Rows) != 1 || l.FrozenTo() != 0 {
		t.Errorf("fits %d, rows %d, frozen %d: want one unfrozen fit of 1 epoch", log.fits, len(l.Recorder.Rows), l.FrozenTo())
	}
	// The first batch is at the one-cycle's start, peak/Div.
	want := []float64{1e-2 / 100 / 5, 1e-2 / 5}
	if got := log.lrs[0]; len(got) != 2 || math.Abs(got[0]-want[0]) > 1e-15 || math.Abs(got[1]-want[1]) > 1e-15 {
		t.Errorf("first batch's rates %v, want %v (BaseLR halved, Slice(lr/100, lr), Div 5)", got, want)
	}
	peak := 0.0
	for _, lrs := range log.lrs {
		peak = max(peak, lrs[1])
	}
	if peak > 1e-2*(1+1e-12) || peak < 0.99e-2 {
		t.Errorf("peak rate %v, want the halved BaseLR 1e-2", peak)
	}

	manual := newTiny(t)
	if err := manual.Unfreeze(); err != nil {
		t.Fatal(err)
	}
	if err := manual.FitOneCycle(1, Slice(1e-4, 1e-2), PctStart(0.3), Div(5)); err != nil {
		t.Fatal(err)
	}
	got, ref := modelValues(t, l), modelValues(t, manual)
	for k, v := range ref {
		if !slicesEqual(got[k], v) {
			t.Errorf("%s differs from Unfreeze + FitOneCycle(1, Slice(1e-4, 1e-2), PctStart(0.3), Div(5))", k)
		}
	}
}
