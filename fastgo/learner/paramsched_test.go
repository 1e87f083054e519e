package learner

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// groupProbe records every training batch's per-group hyper-parameters as
// the step received them (it runs after ParamScheduler in BeforeBatch, so
// it sees what the step trains with).
type groupProbe struct{ lrs, moms, wds [][]float64 }

func (p *groupProbe) AfterBatch(f *FitState) error {
	if f.Training {
		p.lrs = append(p.lrs, slices.Clone(f.LRs))
		p.moms = append(p.moms, slices.Clone(f.Moms))
		p.wds = append(p.wds, slices.Clone(f.WDs))
	}
	return nil
}

func closeAll(t *testing.T, what string, got, want []float64, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !relClose(got[i], want[i], rel) {
			t.Fatalf("%s[%d] = %.10g, want %.10g", what, i, got[i], want[i])
		}
	}
}

// fastai's test: ParamScheduler({'lr': SchedLin(1e-3, 1e-2)}) over one
// epoch of n batches records 1e-3 + (1e-2−1e-3)·i/n.
func TestParamSchedulerLinear(t *testing.T) {
	l := newTiny(t)
	sched := MustParamScheduler(map[string][]Schedule{"lr": {SchedLin(1e-3, 1e-2)}})
	if err := l.Fit(1, 0, WithCallbacks(sched)); err != nil {
		t.Fatal(err)
	}
	n := l.Data.Train.Len()
	want := make([]float64, n)
	for i := range want {
		want[i] = 1e-3 + (1e-2-1e-3)*float64(i)/float64(n)
	}
	closeAll(t, "hps['lr']", sched.Hps["lr"], want, 1e-12)
	closeAll(t, "recorder.lrs", l.Recorder.LRs, want, 1e-12)
}

// fastai's discriminative test: combined_cos with one array per bound is
// one schedule per group.
func TestParamSchedulerPerGroup(t *testing.T) {
	l := newTiny(t)
	probe := &groupProbe{}
	sched := MustParamScheduler(map[string][]Schedule{"lr": {
		CombinedCos(0.5, 1e-4, 1e-3, 1e-5), CombinedCos(0.5, 1e-3, 1e-2, 1e-4)}})
	if err := l.Fit(2, 0, WithCallbacks(sched, probe)); err != nil {
		t.Fatal(err)
	}
	total := 2 * l.Data.Train.Len()
	for i, lrs := range probe.lrs {
		pos := float64(i) / float64(total)
		closeAll(t, fmt.Sprintf("batch %d lrs", i), lrs, []float64{CombinedCos(0.5, 1e-4, 1e-3, 1e-5)(pos), CombinedCos(0.5, 1e-3, 1e-2, 1e-4)(pos)}, 1e-12)
	}
	if len(probe.lrs) != total {
		t.Errorf("%d training batches probed, want %d", len(probe.lrs), total)
	}
}

// fit_one_cycle is fit with a ParamScheduler of lr and mom (fastai's
// definition): the same weights, bit for bit, and the same records.
func TestParamSchedulerIsFitOneCycle(t *testing.T) {
	a, b := newTiny(t), newTiny(t)
	if err := a.FitOneCycle(2, 1e-2); err != nil {
		t.Fatal(err)
	}
	sched := MustParamScheduler(map[string][]Schedule{
		"lr":  {CombinedCos(0.25, 1e-2/25, 1e-2, 1e-2/1e5)},
		"mom": {CombinedCos(0.25, 0.95, 0.85, 0.95)},
	})
	if err := b.Fit(2, 1e-2, WithCallbacks(sched)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Recorder.LRs, b.Recorder.LRs) || !slices.Equal(a.Recorder.Moms, b.Recorder.Moms) {
		t.Fatalf("recorded schedules differ:\n%v\n%v", a.Recorder.LRs, b.Recorder.LRs)
	}
	if !slices.Equal(sched.Hps["mom"], a.Recorder.Moms) {
		t.Errorf("hps['mom'] differs from the recorder's")
	}
	sameLearnerWeights(t, "FitOneCycle vs Fit+ParamScheduler", a, b)
}

// sameLearnerWeights: the model weights of a and b are bit-identical.
func sameLearnerWeights(t *testing.T, what string, a, b *Learner) {
	t.Helper()
	sameWeights(t, what, modelValues(t, a), modelValues(t, b))
}

// Scheduling wd and mom reaches the optimizer: a constant schedule trains
// exactly as the same constant set the usual way, and a different one
// does not.
func TestParamSchedulerDrivesWDAndMom(t *testing.T) {
	plain := newTiny(t)
	if err := plain.Fit(1, 1e-2, WithWD(0.3)); err != nil {
		t.Fatal(err)
	}
	probe := &groupProbe{}
	viaWD := newTiny(t)
	if err := viaWD.Fit(1, 1e-2, WithCallbacks(MustParamScheduler(map[string][]Schedule{"wd": {SchedNo(0.3, 0)}}), probe)); err != nil {
		t.Fatal(err)
	}
	sameLearnerWeights(t, "wd 0.3 scheduled vs WithWD(0.3)", plain, viaWD)
	if probe.wds[0][1] != 0.3 {
		t.Errorf("probe saw wd %v", probe.wds[0])
	}

	momPlain := newTiny(t, OptFunc(Adam{Mom: 0.8}))
	if err := momPlain.Fit(1, 1e-2); err != nil {
		t.Fatal(err)
	}
	viaMom := newTiny(t)
	if err := viaMom.Fit(1, 1e-2, WithCallbacks(MustParamScheduler(map[string][]Schedule{"mom": {SchedNo(0.8, 0)}}))); err != nil {
		t.Fatal(err)
	}
	sameLearnerWeights(t, "mom 0.8 scheduled vs Adam{Mom: 0.8}", momPlain, viaMom)

	other := newTiny(t)
	if err := other.Fit(1, 1e-2, WithCallbacks(MustParamScheduler(map[string][]Schedule{"wd": {SchedLin(0, 5)}}))); err != nil {
		t.Fatal(err)
	}
	wa, wo := modelValues(t, plain), modelValues(t, other)
	if slices.Equal(wa["/head/weight"], wo["/head/weight"]) {
		t.Error("a different wd schedule trained the same weights: the schedule does not reach the step")
	}
}

// A list of per-group rates works end to end: Fit and FitOneCycle with
// []float64{a, b} train as Slice(a, b) does over two groups (even_mults
// of two values is the pair), and one rate in a list is every group's.
func TestPerGroupLRListEndToEnd(t *testing.T) {
	a, b := newTiny(t), newTiny(t)
	if err := a.FitOneCycle(1, Slice(1e-3, 1e-2)); err != nil {
		t.Fatal(err)
	}
	probe := &groupProbe{}
	if err := b.FitOneCycle(1, []float64{1e-3, 1e-2}, WithCallbacks(probe)); err != nil {
		t.Fatal(err)
	}
	sameLearnerWeights(t, "FitOneCycle(list) vs FitOneCycle(Slice)", a, b)
	n := float64(b.Data.Train.Len())
	for i, lrs := range probe.lrs {
		pos := float64(i) / n
		closeAll(t, fmt.Sprintf("batch %d", i), lrs, []float64{CombinedCos(0.25, 1e-3/25, 1e-3, 1e-3/1e5)(pos), CombinedCos(0.25, 1e-2/25, 1e-2, 1e-2/1e5)(pos)}, 1e-12)
	}
	c, d := newTiny(t), newTiny(t)
	if err := c.Fit(1, []float64{2e-3}); err != nil {
		t.Fatal(err)
	}
	if err := d.Fit(1, 2e-3); err != nil {
		t.Fatal(err)
	}
	sameLearnerWeights(t, "Fit([2e-3]) vs Fit(2e-3)", c, d)
	if err := c.Fit(1, []float64{1, 2, 3}); err == nil || !strings.Contains(err.Error(), "3 learning rates given for 2 parameter groups") {
		t.Errorf("three rates for two groups: %v", err)
	}
}

func TestParamSchedulerRefuses(t *testing.T) {
	lin := SchedLin(0, 1)
	for name, scheds := range map[string]map[string][]Schedule{
		"unknown":     {"beta": {lin}},
		"sqr_mom":     {"sqr_mom": {lin}},
		"empty":       {"lr": {}},
		"nil":         {"lr": {lin, nil}},
		"none at all": {},
	} {
		if _, err := NewParamScheduler(scheds); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	l := newTiny(t)
	three := MustParamScheduler(map[string][]Schedule{"lr": {lin, lin, lin}})
	if err := l.Fit(1, 0, WithCallbacks(three)); err == nil || !strings.Contains(err.Error(), "3 lr schedules for 2 parameter groups") {
		t.Errorf("three schedules for two groups: %v", err)
	}
	badMom := MustParamScheduler(map[string][]Schedule{"mom": {SchedLin(0.9, 1.1)}})
	err := l.Fit(1, 1e-3, WithCallbacks(badMom))
	if err == nil || !strings.Contains(err.Error(), "mom schedule of group 0 gives") || !strings.Contains(err.Error(), "[0, 1)") {
		t.Errorf("momentum reaching 1.1: %v", err)
	}
	nanLR := MustParamScheduler(map[string][]Schedule{"lr": {SchedExp(0, 1)}})
	if err := newTiny(t).Fit(1, 0, WithCallbacks(nanLR)); err == nil || !strings.Contains(err.Error(), "learning rate") {
		t.Errorf("SchedExp(0, 1), NaN rates: %v", err)
	}
}
