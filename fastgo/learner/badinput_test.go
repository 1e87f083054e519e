package learner

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/internal/ops"
	"github.com/gomlx/gomlx/core/graph"
)

// nanAbove is cross-entropy that turns NaN once any logit's magnitude
// passes limit (0·√(limit − max|logit|) is 0, then NaN): a model that
// diverges at a known point, as one trained with too high a rate does.
func nanAbove(limit float64) Loss {
	ce := CrossEntropyLossFlat()
	return Loss{Name: "nan-above", Activation: ce.Activation,
		PerItem: func(logits, labels *graph.Node) *graph.Node {
			big := graph.ReduceMax(graph.Abs(logits), -1)
			bomb := graph.MulScalar(graph.Sqrt(graph.Sub(graph.Scalar(logits.Graph(), logits.DType(), limit), big)), 0)
			return graph.Add(ce.PerItem(logits, labels), bomb)
		}}
}

// TestLRFindStopsAtNaN: LRFind stops at the first non-finite smoothed loss
// and says so. It once went on: min(best, NaN) made best NaN, so the
// 4×best rule never fired again and every remaining iteration ran on NaN.
func TestLRFindStopsAtNaN(t *testing.T) {
	t.Setenv(display.EnvOutputDir, t.TempDir()) // the LRFind plot
	var out bytes.Buffer
	l := newTiny(t, WithLoss(nanAbove(30)), Output(&out))
	l.Quiet = false
	r, err := l.LRFind(NumIt(60), StartLR(1e-3), EndLR(1e3))
	if err != nil {
		t.Fatal(err)
	}
	n := len(r.Losses)
	if n == 0 || n >= 60 {
		t.Fatalf("LRFind ran %d of 60 iterations; want a stop at the first NaN", n)
	}
	if last := r.Losses[n-1]; !math.IsNaN(last) {
		t.Errorf("last recorded loss %v, want the NaN it stopped at", last)
	}
	for i, v := range r.Losses[:n-1] {
		if math.IsNaN(v) {
			t.Fatalf("loss %d of %d is NaN: LRFind went on after it", i, n)
		}
	}
	if !strings.Contains(out.String(), "LRFind: the loss became NaN at iteration") {
		t.Errorf("no line says why LRFind stopped:\n%s", out.String())
	}
}

// TestFitSaysWhereTheLossDiverged: a fit whose loss turns NaN prints "nan"
// in the table (fastai's format, not "None") and one line naming the batch
// where it happened and the usual cause.
func TestFitSaysWhereTheLossDiverged(t *testing.T) {
	var out bytes.Buffer
	l := newTiny(t, WithLoss(nanAbove(8)), Output(&out))
	l.Quiet = false
	if err := l.Fit(2, 1); err != nil {
		t.Fatal(err)
	}
	row := l.Recorder.Rows[len(l.Recorder.Rows)-1]
	if !math.IsNaN(row.TrainLoss) || row.Cells()[1] != "nan" {
		t.Fatalf("train_loss %v shown as %q, want NaN shown as nan", row.TrainLoss, row.Cells()[1])
	}
	said := strings.Count(out.String(), "the training diverged")
	if said != 1 || !strings.Contains(out.String(), "train_loss is NaN from epoch 0, batch ") ||
		!strings.Contains(out.String(), "learning rate too high") {
		t.Errorf("want one line naming the batch and the cause, got %d:\n%s", said, out.String())
	}
}

// TestEmptyValidationIsNotPerfect: with no validation items the table
// shows None for valid_loss and the metrics — it once showed error_rate
// 0.000000, a perfect score.
func TestEmptyValidationIsNotPerfect(t *testing.T) {
	data := tinyData(4)
	data.Valid = newSynth(0, 16, 4, 2, false)
	l, err := New(data, tinyModel(4), WithBackend(testBackend()), Metrics(ErrorRate))
	if err != nil {
		t.Fatal(err)
	}
	l.Quiet = true
	if err := l.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	row := l.Recorder.Rows[0]
	cells := row.Cells()
	if row.Validated || cells[2] != "None" || cells[3] != "None" {
		t.Errorf("empty validation set: validated %v, cells %q; want valid_loss and error_rate None", row.Validated, cells)
	}
}

// TestBatchOfOneIsRefused: training batches of one item through batch
// norm (the variance of one value) end with PyTorch's error, before any
// weight turns NaN, and with the epoch and batch but without GoMLX's
// compile context in front of it (trial 2's M1: "failed during graph
// construction/compilation: compilation failed for Exec …").
func TestBatchOfOneIsRefused(t *testing.T) {
	data := tinyData(4)
	data.Train = newSynth(8, 1, 4, 1, true)
	l, err := New(data, tinyModel(4), WithBackend(testBackend()))
	if err != nil {
		t.Fatal(err)
	}
	l.Quiet = true
	before := modelValues(t, l)
	for _, fit := range []func() error{func() error { return l.Fit(1, 1e-3) }, func() error { return l.FineTune(1) }} {
		err = fit()
		want := "epoch 0, training batch 0: ops.BatchNorm(/body/bn): expected more than 1 value per channel when training, got input of shape [1 16] (a training batch of one item): use a batch size of at least 2 (fastgo.WithBatchSize)"
		if err == nil || !strings.HasSuffix(err.Error(), want) || strings.Contains(err.Error(), "compil") || strings.Contains(err.Error(), "graphFn") {
			t.Errorf("fit on batches of one: err = %v, want one ending %q without GoMLX's compile context", err, want)
		}
		var refused *ops.InputError
		if !errors.As(err, &refused) {
			t.Errorf("err = %v: want an *ops.InputError in its chain", err)
		}
	}
	for k, v := range modelValues(t, l) {
		if !slicesEqual(v, before[k]) {
			t.Errorf("the refused fit changed %s", k)
		}
	}
}

// A class index outside the vocabulary is an error naming it, in every
// entry point (it gave a silent loss of -0 before).
func TestLabelOutsideVocabulary(t *testing.T) {
	l := newTiny(t)
	b := firstOf(l.Data.Valid)
	b.Y = append([]int(nil), b.Y...)
	b.Y[1] = 99
	want := "label 99 at batch position 1 is not a class index: the vocabulary has 4 classes, [0, 4)"
	if _, err := l.GetPreds(SliceSource{b}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("GetPreds = %v, want %q", err, want)
	}
	bad := Data{Train: SliceSource{b, b}, Valid: SliceSource{b}, Vocab: l.Data.Vocab}
	lb, err := New(bad, tinyModel(4), WithBackend(testBackend()))
	if err != nil {
		t.Fatal(err)
	}
	lb.Quiet = true
	if err := lb.Fit(1, 1e-3); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Fit = %v, want %q", err, want)
	}
	b.Y[1] = -1
	if _, err := l.GetPreds(SliceSource{b}); err == nil || !strings.Contains(err.Error(), "label -1") {
		t.Errorf("GetPreds with -1 = %v", err)
	}
}

// Every argument of Fit, FitOneCycle, FineTune and LRFind is checked before
// any training (or saving) happens (#21: FineTune(-1) trained 8 s first).
func TestBadFitArgumentsBeforeAnyTraining(t *testing.T) {
	l := newTiny(t)
	cases := map[string]struct {
		run  func() error
		want string
	}{
		"Fit(0)":              {func() error { return l.Fit(0, 1e-3) }, "give at least 1"},
		"Fit lr NaN":          {func() error { return l.Fit(1, math.NaN()) }, "learning rate NaN"},
		"Fit lr -1":           {func() error { return l.Fit(1, -1.0) }, "learning rate -1"},
		"Fit lr +Inf":         {func() error { return l.Fit(1, math.Inf(1)) }, "learning rate +Inf"},
		"Fit Slice hi<lo":     {func() error { return l.Fit(1, Slice(1e-2, 1e-4)) }, "Slice(0.0001, 0.01)"},
		"Fit Slice NaN":       {func() error { return l.Fit(1, Slice(math.NaN(), 1e-4)) }, "NaN"},
		"FitOneCycle(-2)":     {func() error { return l.FitOneCycle(-2, 1e-3) }, "give at least 1"},
		"FitOneCycle lr NaN":  {func() error { return l.FitOneCycle(1, math.NaN()) }, "learning rate NaN"},
		"PctStart(2)":         {func() error { return l.FitOneCycle(1, 1e-3, PctStart(2)) }, "PctStart(2)"},
		"Div(0)":              {func() error { return l.FitOneCycle(1, 1e-3, Div(0)) }, "Div(0)"},
		"DivFinal(-1)":        {func() error { return l.FitOneCycle(1, 1e-3, DivFinal(-1)) }, "DivFinal(-1)"},
		"Moms(NaN…)":          {func() error { return l.FitOneCycle(1, 1e-3, Moms(math.NaN(), 0.85, 0.95)) }, "Moms(NaN"},
		"FineTune(-1)":        {func() error { return l.FineTune(-1) }, "FineTune(-1)"},
		"FineTune BaseLR NaN": {func() error { return l.FineTune(1, BaseLR(math.NaN())) }, "BaseLR(NaN)"},
		"FineTune LRMult(0)":  {func() error { return l.FineTune(1, LRMult(0)) }, "LRMult(0)"},
		"FineTune PctStart":   {func() error { return l.FineTune(1, PctStart(math.NaN())) }, "PctStart(NaN)"},
		"FineTune FreezeEp":   {func() error { return l.FineTune(1, FreezeEpochs(-1)) }, "FreezeEpochs(-1)"},
		"LRFind NumIt(5)":     {func() error { _, err := l.LRFind(NumIt(5)); return err }, "NumIt(5)"},
		"LRFind start>end":    {func() error { _, err := l.LRFind(StartLR(1), EndLR(1e-3)); return err }, "need 0 < start < end"},
		"LRFind start NaN":    {func() error { _, err := l.LRFind(StartLR(math.NaN())); return err }, "need 0 < start < end"},
	}
	for name, tc := range cases {
		l.Recorder.Losses = []float64{12345} // a marker: any training replaces it
		frozen := l.FrozenTo()
		err := tc.run()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s = %v, want an error containing %q", name, err, tc.want)
		}
		if len(l.Recorder.Losses) != 1 || l.Recorder.Losses[0] != 12345 || l.FrozenTo() != frozen {
			t.Errorf("%s trained or froze before refusing", name)
		}
	}
}
