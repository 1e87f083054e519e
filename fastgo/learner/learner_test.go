package learner

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo/backend"
)

// Frozen: the body's weights stay as they were, except batch norm (fastai's
// train_bn), while the head trains.
func TestFreezeTrainsOnlyHeadAndBatchNorm(t *testing.T) {
	l := newTiny(t)
	if err := l.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := l.ensureBuilt(); err != nil {
		t.Fatal(err)
	}
	before := modelValues(t, l)
	if err := l.Fit(1, 1e-2); err != nil {
		t.Fatal(err)
	}
	after := modelValues(t, l)
	for p, v := range before {
		changed := !slices.Equal(v, after[p])
		wantChanged := strings.HasPrefix(p, "/head/") || strings.HasPrefix(p, "/body/bn/")
		if changed != wantChanged {
			t.Errorf("%s changed=%v, want %v", p, changed, wantChanged)
		}
	}
	// No optimizer state for frozen weights.
	if v := l.store.GetVariable(optScope + "/body/fc/weight/grad_avg"); v != nil {
		t.Errorf("frozen /body/fc/weight has optimizer state")
	}
	// Unfreeze clears the state and trains everything.
	if err := l.Unfreeze(); err != nil {
		t.Fatal(err)
	}
	if s := l.store.GetVariable(optScope + "/head/weight/step"); copyF32(s.MustValue())[0] != 0 {
		t.Errorf("Unfreeze kept the step counter %v, want it cleared", copyF32(s.MustValue()))
	}
	if err := l.Fit(1, 1e-2); err != nil {
		t.Fatal(err)
	}
	final := modelValues(t, l)
	if slices.Equal(after["/body/fc/weight"], final["/body/fc/weight"]) {
		t.Errorf("after Unfreeze the body did not train")
	}
}

// A tiny FineTune on separable data lowers the loss and gets the classes
// right; the recorder follows fastai's schedule.
func TestFineTuneLowersLoss(t *testing.T) {
	l := newTiny(t)
	first, err := l.GetPreds(nil)
	if err != nil {
		t.Fatal(err)
	}
	before := meanF32(first.Losses)
	if err := l.FineTune(3, BaseLR(2e-2)); err != nil {
		t.Fatal(err)
	}
	rows := l.Recorder.Rows
	if len(rows) != 3 {
		t.Fatalf("recorder has %d epoch rows after FineTune(3), want 3 (the second stage's)", len(rows))
	}
	last := rows[len(rows)-1]
	if !(last.ValidLoss < before/2) {
		t.Errorf("valid loss %.4f after FineTune, %.4f before: want it at least halved", last.ValidLoss, before)
	}
	if last.Metrics[0] > 0.1 {
		t.Errorf("error rate %.3f after FineTune on separable data", last.Metrics[0])
	}
	// Second stage: Slice(1e-2/100, 1e-2) with div 5 ⇒ last group starts at 1e-2/5,
	// momentum starts at 0.95 and the last rate is lr_max/1e5.
	rec := l.Recorder
	if got := rec.LRs[0]; !relClose(got, 1e-2/5, 1e-6) {
		t.Errorf("first lr of the unfrozen stage = %g, want %g", got, 1e-2/5)
	}
	if got := rec.Moms[0]; !relClose(got, 0.95, 1e-12) {
		t.Errorf("first mom = %g, want 0.95", got)
	}
	n := len(rec.LRs)
	wantLast := CombinedCos(0.3, 1e-2/5, 1e-2, 1e-2/1e5)(float64(n-1) / float64(n))
	if !relClose(rec.LRs[n-1], wantLast, 1e-9) {
		t.Errorf("last lr = %g, want %g", rec.LRs[n-1], wantLast)
	}
	// train_loss is the smoothed loss at the epoch end.
	if last.TrainLoss != rec.Losses[len(rec.Losses)-1] {
		t.Errorf("train_loss %g is not the last smoothed loss %g", last.TrainLoss, rec.Losses[len(rec.Losses)-1])
	}
}

func meanF32(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x)
	}
	return s / float64(len(v))
}

func TestLRFindRestoresWeightsAndState(t *testing.T) {
	l := newTiny(t)
	if err := l.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	before := map[string]string{}
	for v := range l.store.IterVariables() {
		before[v.Path()] = rawBytes(v.MustValue())
	}
	r, err := l.LRFind(NumIt(20))
	if err != nil {
		t.Fatal(err)
	}
	for v := range l.store.IterVariables() {
		if before[v.Path()] != rawBytes(v.MustValue()) {
			t.Errorf("%s differs after LRFind", v.Path())
		}
	}
	if len(r.LRs) == 0 || len(r.LRs) > 20 {
		t.Fatalf("LRFind recorded %d points, want 1..20", len(r.LRs))
	}
	for i, lr := range r.LRs {
		want := 1e-7 * math.Pow(10/1e-7, float64(i)/20)
		if !relClose(lr, want, 1e-12) {
			t.Errorf("lr[%d] = %g, want %g", i, lr, want)
		}
	}
	if _, err := l.LRFind(NumIt(5)); err == nil || !strings.Contains(err.Error(), "at least 20") {
		t.Errorf("NumIt(5): err = %v, want one asking for at least 20 iterations", err)
	}
	if l.LastLRFind() != r {
		t.Errorf("LastLRFind does not return the last result")
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	l := newTiny(t)
	if err := l.FitOneCycle(1, 1e-2); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model.learner")
	if err := l.Save(path); err != nil {
		t.Fatal(err)
	}
	l2 := newTiny(t, Seed(7)) // different initial weights
	if err := l2.Load(path); err != nil {
		t.Fatal(err)
	}
	for v := range l.store.IterVariables() {
		v2 := l2.store.GetVariable(v.Path())
		if v2 == nil || rawBytes(v.MustValue()) != rawBytes(v2.MustValue()) {
			t.Errorf("%s not restored", v.Path())
		}
	}
	if len(l2.Recorder.Rows) != 1 || !sameRow(l2.Recorder.Rows[0], l.Recorder.Rows[0]) {
		t.Errorf("recorder rows %v, want %v", l2.Recorder.Rows, l.Recorder.Rows)
	}
	p1, err := l.GetPreds(nil)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := l2.GetPreds(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p1.Probs, p2.Probs) {
		t.Errorf("predictions differ after Load")
	}
	// Training on continues identically (same optimizer state and counters).
	if err := l.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	if err := l2.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	if l.Recorder.Losses[0] != l2.Recorder.Losses[0] {
		t.Errorf("after Load the next fit differs: %v vs %v", l.Recorder.Losses[0], l2.Recorder.Losses[0])
	}
	// A damaged file is reported, not a panic.
	bad := filepath.Join(t.TempDir(), "bad.learner")
	data, _ := os.ReadFile(path)
	os.WriteFile(bad, data[:len(data)/2], 0o644)
	if err := l2.Load(bad); err == nil || !strings.Contains(err.Error(), "bad.learner") {
		t.Errorf("Load of a truncated file: err = %v, want one naming the file", err)
	}
	// Export/LoadExported predicts the same.
	exp := filepath.Join(t.TempDir(), "export.learner")
	if err := l.Export(exp); err != nil {
		t.Fatal(err)
	}
	inf, err := LoadExported(exp, tinyModel(4), nil, WithBackend(testBackend()))
	if err != nil {
		t.Fatal(err)
	}
	b := firstBatch(t, l.Data.Valid)
	want, err := l.Predict(b.X)
	if err != nil {
		t.Fatal(err)
	}
	got, err := inf.Predict(b.X)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i].Class != want[i].Class || !slices.Equal(got[i].Probs, want[i].Probs) {
			t.Errorf("exported learner predicts %+v for item %d, want %+v", got[i], i, want[i])
		}
	}
	// The same images as floats in [0,1] predict the same.
	f := make([]float32, len(b.X.Data))
	for i, v := range b.X.Data {
		f[i] = float32(v) / 255
	}
	fp, err := inf.PredictFloat(f, b.X.Shape)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		for j := range want[i].Probs {
			if math.Abs(float64(fp[i].Probs[j]-want[i].Probs[j])) > 1e-6 {
				t.Fatalf("PredictFloat item %d: %v, Predict %v", i, fp[i].Probs, want[i].Probs)
			}
		}
	}
}

func sameRow(a, b EpochRow) bool {
	return a.Epoch == b.Epoch && a.TrainLoss == b.TrainLoss && a.ValidLoss == b.ValidLoss && a.Time == b.Time
}

func firstBatch(t *testing.T, s BatchSource) Batch {
	t.Helper()
	for b, err := range s.Epoch(0) {
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Fatal("no batch")
	return Batch{}
}

func TestSameSeedSameTraining(t *testing.T) {
	run := func(seed uint64) []float64 {
		l := newTiny(t, Seed(seed))
		if err := l.FitOneCycle(1, 1e-2); err != nil {
			t.Fatal(err)
		}
		return append(l.Recorder.Losses, l.Recorder.Rows[0].ValidLoss)
	}
	a, b, c := run(3), run(3), run(4)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different losses at %d: %v vs %v", i, a, b)
		}
	}
	if a[0] == c[0] {
		t.Errorf("different seeds gave the same first loss %v", a[0])
	}
}

func TestGetPredsProbabilitiesAndLosses(t *testing.T) {
	l := newTiny(t)
	p, err := l.GetPreds(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Targets) != 32 || p.NumClasses != 4 || len(p.Probs) != 32*4 || len(p.Losses) != 32 {
		t.Fatalf("GetPreds: %d targets, %d classes, %d probs, %d losses", len(p.Targets), p.NumClasses, len(p.Probs), len(p.Losses))
	}
	for i, y := range p.Targets {
		if y != i%4 { // synthetic valid set order
			t.Fatalf("target %d = %d: not in dataset order", i, y)
		}
		sum := 0.0
		for _, v := range p.Row(i) {
			sum += float64(v)
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Errorf("item %d: probabilities sum to %v", i, sum)
		}
		if want := -math.Log(float64(p.Row(i)[y])); math.Abs(want-float64(p.Losses[i])) > 1e-4 {
			t.Errorf("item %d: loss %v, want −log p[target] = %v", i, p.Losses[i], want)
		}
	}
	// On the caller's own batches (fastai's dl=[(x,y)]).
	b := firstBatch(t, l.Data.Valid)
	q, err := l.GetPreds(SliceSource{b})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(q.Probs, p.Probs[:len(q.Probs)]) {
		t.Errorf("GetPreds on a given batch differs from the validation run")
	}
}

// The epoch table's cells are fastai's: 6 decimals, mm:ss; "None" for
// what was not computed and "nan"/"inf" for a computed loss that diverged
// (a NaN train loss once printed as "None", like a missing column).
func TestEpochRowCells(t *testing.T) {
	row := EpochRow{Epoch: 0, TrainLoss: 1.5513051, ValidLoss: 0.3221321, Metrics: []float64{0.10622461}, Validated: true, Time: 83 * time.Second}
	got := strings.Join(row.Cells(), "|")
	if want := "0|1.551305|0.322132|0.106225|01:23"; got != want {
		t.Errorf("cells %q, want %q", got, want)
	}
	for _, tc := range []struct {
		row  EpochRow
		want string
	}{
		{EpochRow{Epoch: 3, TrainLoss: math.NaN(), ValidLoss: math.NaN(), Metrics: []float64{0.9}, Validated: true}, "3|nan|nan|0.900000|00:00"},
		{EpochRow{Epoch: 1, TrainLoss: math.Inf(1), ValidLoss: math.Inf(-1), Metrics: []float64{1}, Validated: true}, "1|inf|-inf|1.000000|00:00"},
		{EpochRow{Epoch: 0, TrainLoss: 0.5, ValidLoss: math.NaN(), Metrics: []float64{math.NaN()}}, "0|0.500000|None|None|00:00"},
	} {
		if got := strings.Join(tc.row.Cells(), "|"); got != tc.want {
			t.Errorf("cells %q, want %q", got, tc.want)
		}
	}
	r := &Recorder{MetricNames: []string{"error_rate"}}
	if got := strings.Join(r.Columns(), "|"); got != "epoch|train_loss|valid_loss|error_rate|time" {
		t.Errorf("columns %q", got)
	}
}

// The smoothed loss is fastai's debiased EMA with β = 0.98.
func TestSmoothLoss(t *testing.T) {
	var r Recorder
	losses := []float64{2, 1, 3, 0.5}
	v := 0.0
	for i, x := range losses {
		v = 0.98*v + 0.02*x
		got := r.addBatch(x, 0, 0)
		if want := v / (1 - math.Pow(0.98, float64(i+1))); !relClose(got, want, 1e-12) {
			t.Errorf("batch %d: smooth %v, want %v", i, got, want)
		}
	}
}

func TestMust(t *testing.T) {
	Must(nil)
	if got := Must1(3, nil); got != 3 {
		t.Errorf("Must1 = %d", got)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "boom") {
			t.Errorf("Must did not panic with the error: %v", r)
		}
	}()
	Must(errors.New("boom"))
}

// TestGraphsSeeCurrentWeights: every compiled graph (validation, GetPreds,
// Predict, the training step) computes with the variables' current values,
// not those of its first call. A backend that prefers constants for
// variables (compute v0.1.14's pure-Go backend) once made validation and
// Predict run on the weights they were compiled with (see NewExec).
//
// A model with inference weights (Model.Inference) computes its evaluation
// graphs on weights derived from the variables: they must follow every
// change the same way.
func TestGraphsSeeCurrentWeights(t *testing.T) {
	t.Run("variables", func(t *testing.T) { testGraphsSeeCurrentWeights(t, tinyModel(4)) })
	t.Run("inference weights", func(t *testing.T) { testGraphsSeeCurrentWeights(t, tinyFoldedModel(4)) })
}

func testGraphsSeeCurrentWeights(t *testing.T, m Model) {
	newTiny := func(t *testing.T, opts ...Option) *Learner { return newTinyOf(t, m, opts...) }
	l := newTiny(t)
	b := firstBatch(t, l.Data.Valid)
	// The weights must exist when a graph is compiled (GoMLX passes
	// variables without a value as parameters): train once first.
	if err := l.Fit(1, 1e-2); err != nil {
		t.Fatal(err)
	}
	before, err := l.GetPreds(nil) // the evaluation graph, compiled while validating
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Predict(b.X); err != nil {
		t.Fatal(err)
	}
	if err := l.Fit(1, 1e-2); err != nil { // changes weights and batch-norm statistics
		t.Fatal(err)
	}
	after, err := l.GetPreds(nil)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(before.Probs, after.Probs) {
		t.Fatal("GetPreds gives the same probabilities before and after a training epoch")
	}
	// A learner that never compiled anything, with the same state.
	path := filepath.Join(t.TempDir(), "trained.learner")
	if err := l.Save(path); err != nil {
		t.Fatal(err)
	}
	fresh := newTiny(t, Seed(7))
	if err := fresh.Load(path); err != nil {
		t.Fatal(err)
	}
	want, err := fresh.GetPreds(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(after.Probs, want.Probs) || !slices.Equal(after.Losses, want.Losses) {
		t.Error("GetPreds after training differs from a fresh learner's with the same weights: the evaluation graph read stale weights")
	}
	if row := l.Recorder.Rows[len(l.Recorder.Rows)-1]; row.ValidLoss != meanF32(want.Losses) {
		t.Errorf("the epoch's validation loss %v is not the mean loss of the trained weights %v", row.ValidLoss, meanF32(want.Losses))
	}
	samePredictions(t, "Predict after training", l, "a fresh learner with the same weights", fresh, b.X)
	// The training step reads the weights too: load other weights into l
	// (its training graph is compiled) and train on, beside a fresh learner.
	other := newTiny(t, Seed(11))
	if _, err := other.GetPreds(nil); err != nil { // creates its weights
		t.Fatal(err)
	}
	otherPath := filepath.Join(t.TempDir(), "other.learner")
	if err := other.Save(otherPath); err != nil {
		t.Fatal(err)
	}
	fresh2 := newTiny(t, Seed(3))
	var loaded [2]*Preds
	for i, x := range []*Learner{l, fresh2} {
		if err := x.Load(otherPath); err != nil {
			t.Fatal(err)
		}
		if loaded[i], err = x.GetPreds(nil); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(loaded[0].Probs, loaded[1].Probs) {
		t.Error("after Load, GetPreds differs from a fresh learner's with the same weights: the evaluation graph read stale weights")
	}
	for _, x := range []*Learner{l, fresh2} {
		if err := x.Fit(1, 1e-2); err != nil {
			t.Fatal(err)
		}
	}
	if l.Recorder.Losses[0] != fresh2.Recorder.Losses[0] {
		t.Errorf("after Load the compiled training step gives loss %v, a fresh learner %v", l.Recorder.Losses[0], fresh2.Recorder.Losses[0])
	}
}

// TestPredsTensor: the book's `preds[0]` and `len(preds[0]),
// preds[0].sum()` print as PyTorch does.
func TestPredsTensor(t *testing.T) {
	p := &Preds{Probs: []float32{0.25, 0.75, 0.5, 0.5}, NumClasses: 2, Targets: []int{1, 0}}
	row := p.Tensor().Row(0)
	if got := row.String(); got != "tensor([0.2500, 0.7500])" {
		t.Errorf("preds[0] prints %q", got)
	}
	if got := fmt.Sprintf("(%d, %v)", row.Len(), row.Sum()); got != "(2, tensor(1.))" {
		t.Errorf("(len, sum) prints %q", got)
	}
}

// TestFitGCTargetOnlyWhileFitting: on the pure-Go backend a fit runs with
// the collector's target lowered (backend.GoGCPercent) and gives the
// user's back when it ends; predicting leaves it alone.
func TestFitGCTargetOnlyWhileFitting(t *testing.T) {
	if _, set := os.LookupEnv("GOGC"); set {
		t.Skip("GOGC is set: fits leave the collector's target alone")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(90))
	gcPercent := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }
	l := newTiny(t)
	during := 0
	if err := l.Fit(1, 1e-2, WithCallbacks(onAfterTrain(func() { during = gcPercent() }))); err != nil {
		t.Fatal(err)
	}
	if during != backend.GoGCPercent {
		t.Errorf("the collector's target during a fit: %d, want %d", during, backend.GoGCPercent)
	}
	if _, err := l.Predict(firstBatch(t, l.Data.Valid).X); err != nil {
		t.Fatal(err)
	}
	if got := gcPercent(); got != 90 {
		t.Errorf("after a fit and a prediction the target is %d, want the user's 90", got)
	}
}
