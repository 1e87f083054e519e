package learner

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/fastgo/tensor"
	"github.com/gomlx/gomlx/core/graph"
)

// eventLog records the events it sees, in order, with the state a
// callback relies on at each.
type eventLog struct {
	events []string
	// checks records violations of what FitState promises.
	bad []string
}

func (e *eventLog) add(name string) { e.events = append(e.events, name) }

func (e *eventLog) BeforeFit(f *FitState) error { e.add("before_fit"); return nil }
func (e *eventLog) BeforeEpoch(f *FitState) error {
	e.add(fmt.Sprintf("before_epoch %d", f.Epoch))
	return nil
}
func (e *eventLog) BeforeTrain(f *FitState) error { e.add("before_train"); return nil }
func (e *eventLog) AfterTrain(f *FitState) error  { e.add("after_train"); return nil }
func (e *eventLog) BeforeValidate(f *FitState) error {
	e.add("before_validate")
	return nil
}
func (e *eventLog) AfterValidate(f *FitState) error {
	if !f.Row.Validated || math.IsNaN(f.Row.ValidLoss) {
		e.bad = append(e.bad, "after_validate without validation values")
	}
	e.add("after_validate")
	return nil
}
func (e *eventLog) BeforeBatch(f *FitState) error {
	if f.Training {
		e.add("before_batch")
	} else {
		e.add("before_batch valid")
	}
	return nil
}
func (e *eventLog) AfterBatch(f *FitState) error {
	if f.Training {
		if !finite(f.Loss) || f.Loss <= 0 || len(f.LRs) != 2 {
			e.bad = append(e.bad, fmt.Sprintf("after_batch: loss %v, lrs %v", f.Loss, f.LRs))
		}
		e.add("after_batch")
	} else {
		e.add("after_batch valid")
	}
	return nil
}
func (e *eventLog) AfterEpoch(f *FitState) error {
	if f.Row == nil || f.Row.Epoch != f.Epoch || f.Iter != (f.Epoch+1)*f.NIter {
		e.bad = append(e.bad, fmt.Sprintf("after_epoch %d: row %+v, iter %d", f.Epoch, f.Row, f.Iter))
	}
	e.add("after_epoch")
	return nil
}
func (e *eventLog) AfterFit(f *FitState) error { e.add("after_fit"); return nil }

// compact joins the events, runs of one event as "name×n".
func compact(events []string) string {
	var out []string
	for i := 0; i < len(events); {
		j := i
		for j < len(events) && events[j] == events[i] {
			j++
		}
		if j-i > 1 {
			out = append(out, fmt.Sprintf("%s×%d", events[i], j-i))
		} else {
			out = append(out, events[i])
		}
		i = j
	}
	return strings.Join(out, ", ")
}

// interleaved removes before_batch/after_batch pairs into "batch" and
// "batch valid" so runs compact.
func interleaved(events []string) []string {
	var out []string
	for i := 0; i < len(events); i++ {
		if i+1 < len(events) && events[i] == "before_batch" && events[i+1] == "after_batch" {
			out = append(out, "batch")
			i++
			continue
		}
		if i+1 < len(events) && events[i] == "before_batch valid" && events[i+1] == "after_batch valid" {
			out = append(out, "batch valid")
			i++
			continue
		}
		out = append(out, events[i])
	}
	return out
}

func TestCallbackEventsInFastaiOrder(t *testing.T) {
	l := newTiny(t)
	log := &eventLog{}
	if err := l.Fit(2, 1e-3, WithCallbacks(log)); err != nil {
		t.Fatal(err)
	}
	epoch := "before_train, batch×16, after_train, before_validate, batch valid×2, after_validate, after_epoch"
	want := "before_fit, before_epoch 0, " + epoch + ", before_epoch 1, " + epoch + ", after_fit"
	if got := compact(interleaved(log.events)); got != want {
		t.Errorf("events:\n got %s\nwant %s", got, want)
	}
	for _, b := range log.bad {
		t.Error(b)
	}
}

// cancelAt returns err from the event named at, once the fit has done
// `after` training batches.
type cancelAt struct {
	at    string
	after int
	err   error
	fired bool
}

func (c *cancelAt) maybe(name string, f *FitState) error {
	if name == c.at && f.Iter >= c.after && !c.fired {
		c.fired = true
		return c.err
	}
	return nil
}

func (c *cancelAt) BeforeBatch(f *FitState) error {
	if !f.Training {
		return c.maybe("before_batch valid", f)
	}
	return c.maybe("before_batch", f)
}
func (c *cancelAt) AfterBatch(f *FitState) error  { return c.maybe("after_batch", f) }
func (c *cancelAt) BeforeTrain(f *FitState) error { return c.maybe("before_train", f) }
func (c *cancelAt) AfterEpoch(f *FitState) error  { return c.maybe("after_epoch", f) }
func (c *cancelAt) BeforeValidate(f *FitState) error {
	return c.maybe("before_validate", f)
}

func TestCancelFamily(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		cb   *cancelAt
		// want: a run of the events of the 2-epoch fit (see
		// TestCallbackEventsInFastaiOrder); not: a run that must not be
		// there; wantErr: Fit's error.
		want, not string
		wantErr   error
	}{
		{name: "train", cb: &cancelAt{at: "after_batch", after: 3, err: ErrCancelTrain},
			want: "before_train, batch×3, after_train, before_validate, batch valid×2, after_validate, after_epoch"},
		{name: "validate", cb: &cancelAt{at: "before_batch valid", err: ErrCancelValidate},
			want: "before_validate, before_batch valid, after_validate, after_epoch"},
		{name: "epoch", cb: &cancelAt{at: "before_train", err: ErrCancelEpoch},
			want: "before_epoch 0, before_train, after_epoch, before_epoch 1"},
		{name: "fit", cb: &cancelAt{at: "after_epoch", err: ErrCancelFit},
			want: "after_validate, after_epoch, after_fit", not: "before_epoch 1"},
		{name: "wrapped fit", cb: &cancelAt{at: "after_batch", after: 5, err: fmt.Errorf("enough: %w", ErrCancelFit)},
			want: "before_train, batch×5, after_fit"},
		{name: "error", cb: &cancelAt{at: "after_batch", after: 5, err: boom},
			want: "before_train, batch×5", not: "after_fit", wantErr: boom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newTiny(t)
			log := &eventLog{}
			err := l.Fit(2, 1e-3, WithCallbacks(log, tc.cb))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("Fit = %v, want %v", err, tc.wantErr)
			}
			got := compact(interleaved(log.events))
			if !strings.Contains(got, tc.want) {
				t.Errorf("events:\n%s\ndo not contain\n%s", got, tc.want)
			}
			if tc.not != "" && strings.Contains(got, tc.not) {
				t.Errorf("events:\n%s\ncontain %q", got, tc.not)
			}
		})
	}
}

// A batch cancelled before its step leaves the weights alone; the epoch's
// validation still runs.
func TestCancelBatchSkipsTheStep(t *testing.T) {
	l := newTiny(t)
	if err := l.Fit(1, 1e-3); err != nil { // weights exist
		t.Fatal(err)
	}
	before := modelValues(t, l)
	skip := skipTraining{}
	if err := l.Fit(1, 1e-2, WithCallbacks(skip)); err != nil {
		t.Fatal(err)
	}
	after := modelValues(t, l)
	for path, v := range before {
		if strings.Contains(path, "running") { // batch-norm statistics are not weights
			continue
		}
		if fmt.Sprint(v) != fmt.Sprint(after[path]) {
			t.Errorf("%s changed though every training batch was cancelled", path)
		}
	}
	if rows := l.Recorder.Rows; len(rows) != 1 || !rows[0].Validated {
		t.Errorf("rows %+v: want one validated epoch", rows)
	}
}

type skipTraining struct{}

func (skipTraining) BeforeBatch(f *FitState) error {
	if f.Training {
		return ErrCancelBatch
	}
	return nil
}

// Per-learner callbacks run in every fit, before the fit's own; per-fit
// ones only in their fit.
func TestCallbacksPerLearnerAndPerFit(t *testing.T) {
	var order []string
	mine := &named{name: "learner", order: &order}
	l := newTiny(t, Callbacks(mine))
	if err := l.Fit(1, 1e-3, WithCallbacks(&named{name: "fit", order: &order})); err != nil {
		t.Fatal(err)
	}
	if err := l.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, " "); got != "learner fit learner" {
		t.Errorf("BeforeFit order %q, want \"learner fit learner\"", got)
	}
}

type named struct {
	name  string
	order *[]string
}

func (n *named) BeforeFit(*FitState) error { *n.order = append(*n.order, n.name); return nil }

// A callback the loop would never call is an error, not silence.
func TestCallbackMistakesAreErrors(t *testing.T) {
	l := newTiny(t)
	for _, tc := range []struct {
		cb   Callback
		want string
	}{
		{SaveModelCallback{}, "pass a pointer, &learner.SaveModelCallback{...}"},
		{struct{ x int }{}, "has none of the callback methods"},
		{nil, "callback 0 is nil"},
	} {
		if err := l.Fit(1, 1e-3, WithCallbacks(tc.cb)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Fit with %T = %v, want an error containing %q", tc.cb, err, tc.want)
		}
		if _, err := New(tinyData(4), tinyModel(4), WithBackend(testBackend()), Callbacks(tc.cb)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Callbacks(%T) = %v, want an error containing %q", tc.cb, err, tc.want)
		}
	}
}

// LRFactor scales the scheduled rates from the next batch on.
func TestLRFactorScalesTheSchedule(t *testing.T) {
	l := newTiny(t)
	seen := &lrSpy{factor: 0.5, from: 4}
	if err := l.Fit(1, 1e-2, WithCallbacks(seen)); err != nil {
		t.Fatal(err)
	}
	if got := l.Recorder.LRs; got[3] != 1e-2 || math.Abs(got[4]-5e-3) > 1e-12 || math.Abs(got[15]-5e-3) > 1e-12 {
		t.Errorf("recorded lrs %v: want 1e-2 for 4 batches, then 5e-3", got)
	}
}

type lrSpy struct {
	factor float64
	from   int
}

func (s *lrSpy) AfterBatch(f *FitState) error {
	if f.Iter == s.from {
		f.LRFactor = s.factor
	}
	return nil
}

// Graph-level hooks: a loss transform changes the loss the step reports
// and optimises.
func TestLossTransformer(t *testing.T) {
	plain, scaled := newTiny(t), newTiny(t)
	if err := plain.Fit(1, 1e-3, WithCallbacks(stopAfter(1))); err != nil {
		t.Fatal(err)
	}
	if err := scaled.Fit(1, 1e-3, WithCallbacks(doubleLoss{}, stopAfter(1))); err != nil {
		t.Fatal(err)
	}
	p, s := plain.Recorder.Losses[0], scaled.Recorder.Losses[0]
	if math.Abs(s-2*p) > 1e-5*p {
		t.Errorf("first loss with the transform %v, want twice %v", s, p)
	}
}

type doubleLoss struct{}

func (doubleLoss) TransformLoss(loss *graph.Node) *graph.Node { return graph.MulScalar(loss, 2.0) }

// stopAfter ends the fit after n training batches.
type stopAfter int

func (n stopAfter) AfterBatch(f *FitState) error {
	if f.Training && f.Iter >= int(n) {
		return ErrCancelFit
	}
	return nil
}

// captured returns a learner whose messages go to the returned buffer.
func captured(t *testing.T, opts ...Option) (*Learner, *bytes.Buffer) {
	var buf bytes.Buffer
	return newTiny(t, append(opts, Output(&buf))...), &buf
}

// noTrainingAfter cancels every training pass from epoch n on: the
// validation loss then stays exactly the same (a plateau).
type noTrainingAfter int

func (n noTrainingAfter) BeforeTrain(f *FitState) error {
	if f.Epoch >= int(n) {
		return ErrCancelTrain
	}
	return nil
}

func TestEarlyStoppingStopsAfterPatience(t *testing.T) {
	l, out := captured(t)
	es := &EarlyStoppingCallback{Patience: 2}
	if err := l.Fit(10, 1e-2, WithCallbacks(noTrainingAfter(2), es)); err != nil {
		t.Fatal(err)
	}
	// Epochs 0 and 1 train (new bests), 2 and 3 do not improve: stop.
	if n := len(l.Recorder.Rows); n != 4 {
		t.Errorf("%d epochs ran, want 4", n)
	}
	if want := "No improvement since epoch 1: early stopping\n"; out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
}

// A Greater monitor (accuracy-like) and MinDelta: an improvement smaller
// than MinDelta does not count.
func TestTrackerCompAndMinDelta(t *testing.T) {
	var tr tracker
	l := newTiny(t)
	f := &FitState{Learner: l}
	if tr.reset("error_rate", nil, 0.1, false, f); !tr.less {
		t.Fatalf("error_rate: want lower is better")
	}
	for _, tc := range []struct {
		v    float64
		best bool
	}{{0.5, true}, {0.45, false}, {0.39, true}, {math.NaN(), false}, {0.39, false}} {
		f.Row = &EpochRow{ValidLoss: 1, Metrics: []float64{tc.v}, Validated: true}
		tr.update(f)
		if tr.newBest != tc.best {
			t.Errorf("value %v after best %v: new best %v, want %v", tc.v, tr.best, tr.newBest, tc.best)
		}
	}
	// Kept across fits: the best stays; otherwise it starts over.
	if tr.reset("error_rate", nil, 0.1, true, f); tr.best != 0.39 {
		t.Errorf("KeepAcrossFits: best %v after reset, want 0.39", tr.best)
	}
	if tr.reset("train_loss", Greater, 0, false, f); tr.less || tr.best != math.Inf(-1) {
		t.Errorf("Greater: less %v, best %v", tr.less, tr.best)
	}
}

// Settings that cannot work are refused before the fit — in FineTune
// before it freezes or clears anything.
func TestCallbackSettingsAreCheckedFirst(t *testing.T) {
	noValid := tinyData(4)
	noValid.Valid = nil
	for _, tc := range []struct {
		cb   Callback
		data *Data
		want string
	}{
		{&SaveModelCallback{Monitor: "accuracy"}, nil, `*learner.SaveModelCallback: Monitor "accuracy" is not a value this learner records: use one of train_loss, valid_loss, error_rate`},
		{&EarlyStoppingCallback{}, &noValid, `Monitor "valid_loss" is computed on the validation set and this learner has none`},
		{&ReduceLROnPlateau{Monitor: "error_rate"}, &noValid, `Monitor "error_rate" is computed on the validation set`},
		{&ReduceLROnPlateau{Factor: math.Inf(1)}, nil, "the rates are divided by Factor, +Inf here: give a finite number above 1"},
		{&ReduceLROnPlateau{Factor: 0.5}, nil, "Factor, 0.5 here"},
		{&ReduceLROnPlateau{MinLR: -1}, nil, "MinLR -1"},
		{&EarlyStoppingCallback{Patience: -2}, nil, "the Patience, -2 here"},
		{GradientClip{MaxNorm: -1}, nil, "MaxNorm -1"},
		{&GradientClip{MaxNorm: math.NaN()}, nil, "MaxNorm NaN"},
		{(*SaveModelCallback)(nil), nil, "callback 0 is a nil *learner.SaveModelCallback: give &learner.SaveModelCallback{...}"},
		{halfPointer{}, nil, "has methods on *learner.halfPointer: pass a pointer"},
	} {
		l := newTiny(t)
		if tc.data != nil {
			var err error
			if l, err = New(*tc.data, tinyModel(4), WithBackend(testBackend()), Metrics(ErrorRate)); err != nil {
				t.Fatal(err)
			}
			l.Quiet = true
		}
		if err := l.Fit(1, 1e-3); err != nil {
			t.Fatal(err)
		}
		rows, frozen := len(l.Recorder.Rows), l.FrozenTo()
		err := l.FineTune(1, WithCallbacks(tc.cb))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("FineTune with %T%+v = %v, want an error containing %q", tc.cb, tc.cb, err, tc.want)
		}
		if len(l.Recorder.Rows) != rows || l.FrozenTo() != frozen {
			t.Errorf("%T: the refused FineTune changed the learner (rows %d → %d, frozen %d → %d)", tc.cb, rows, len(l.Recorder.Rows), frozen, l.FrozenTo())
		}
	}
}

// halfPointer has one event method on its value and one on its pointer.
type halfPointer struct{}

func (halfPointer) BeforeFit(*FitState) error { return nil }
func (*halfPointer) AfterFit(*FitState) error { return nil }

// blowUpAt multiplies the learning rate by a huge factor from epoch n:
// the validation loss then gets worse.
type blowUpAt int

func (n blowUpAt) BeforeEpoch(f *FitState) error {
	if f.Epoch == int(n) {
		f.LRFactor = 1e4
	}
	return nil
}

func validLoss(t *testing.T, l *Learner) float64 {
	t.Helper()
	p, err := l.GetPreds(nil)
	if err != nil {
		t.Fatal(err)
	}
	var s float64
	for _, v := range p.Losses {
		s += float64(v)
	}
	return s / float64(len(p.Losses))
}

func TestSaveModelCallbackLoadsTheBestEpoch(t *testing.T) {
	dir := t.TempDir()
	for _, withCb := range []bool{false, true} {
		l, out := captured(t)
		cbs := []Callback{blowUpAt(2)}
		if withCb {
			cbs = append(cbs, &SaveModelCallback{Dir: dir, Fname: "best"})
		}
		if err := l.Fit(3, 1e-2, WithCallbacks(cbs...)); err != nil {
			t.Fatal(err)
		}
		rows := l.Recorder.Rows
		if len(rows) != 3 || !(rows[1].ValidLoss < rows[0].ValidLoss) || !(rows[2].ValidLoss > rows[1].ValidLoss) {
			t.Fatalf("valid losses %v, %v, %v: the scenario needs a best epoch 1", rows[0].ValidLoss, rows[1].ValidLoss, rows[2].ValidLoss)
		}
		got := validLoss(t, l)
		if !withCb {
			if math.Abs(got-rows[1].ValidLoss) < 1e-3*rows[1].ValidLoss {
				t.Fatalf("without the callback the learner already holds epoch 1's weights: the test cannot tell")
			}
			continue
		}
		if math.Abs(got-rows[1].ValidLoss) > 1e-6*rows[1].ValidLoss {
			t.Errorf("valid loss after the fit %v, want the best epoch's %v", got, rows[1].ValidLoss)
		}
		want := fmt.Sprintf("Better model found at epoch 0 with valid_loss value: %s.\nBetter model found at epoch 1 with valid_loss value: %s.\n",
			tensor.FormatRepr(rows[0].ValidLoss), tensor.FormatRepr(rows[1].ValidLoss))
		if out.String() != want {
			t.Errorf("printed %q, want %q", out.String(), want)
		}
		if _, err := os.Stat(filepath.Join(dir, "best.learner")); err != nil {
			t.Error(err)
		}
		if len(l.Recorder.Rows) != 3 {
			t.Errorf("loading the best model changed the recorder: %d rows", len(l.Recorder.Rows))
		}
	}
}

func TestSaveModelCallbackEveryEpochAndAtEnd(t *testing.T) {
	dir := t.TempDir()
	l := newTiny(t)
	if err := l.Fit(3, 1e-2, WithCallbacks(&SaveModelCallback{Dir: dir, EveryEpoch: 2}, &SaveModelCallback{Dir: dir, Fname: "last", AtEnd: true, WithOpt: true})); err != nil {
		t.Fatal(err)
	}
	if got := fileNames(t, dir); got != "last.learner model_0.learner model_2.learner" {
		t.Errorf("files %q", got)
	}
	// AtEnd saved the final state: loading it changes nothing.
	before := modelValues(t, l)
	if err := l.Load(filepath.Join(dir, "last.learner")); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(before) != fmt.Sprint(modelValues(t, l)) {
		t.Error("the AtEnd file does not hold the final weights")
	}
}

func TestReduceLROnPlateau(t *testing.T) {
	l, out := captured(t)
	// A Comp that never sees an improvement: every epoch is a plateau.
	never := func(float64, float64) bool { return false }
	r := &ReduceLROnPlateau{Comp: never, MinLR: 5e-4}
	if err := l.Fit(4, 1e-2, WithCallbacks(r)); err != nil {
		t.Fatal(err)
	}
	lrs := l.Recorder.LRs
	for epoch, want := range []float64{1e-2, 1e-3, 5e-4, 5e-4} {
		if got := lrs[epoch*16+5]; math.Abs(got-want) > 1e-12 {
			t.Errorf("epoch %d: lr %v, want %v", epoch, got, want)
		}
	}
	if want := "Epoch 0: reducing lr to 0.001\nEpoch 1: reducing lr to 0.0005\n"; out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	if err := newTiny(t).Fit(1, 1e-2, WithCallbacks(&ReduceLROnPlateau{Factor: 0.5})); err == nil || !strings.Contains(err.Error(), "above 1") {
		t.Errorf("Factor 0.5: %v", err)
	}
}

func TestCSVLogger(t *testing.T) {
	name := filepath.Join(t.TempDir(), "logs", "history.csv")
	l := newTiny(t)
	read := func() [][]string {
		t.Helper()
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	if err := l.FitOneCycle(2, 1e-2, WithCallbacks(&CSVLogger{Fname: name})); err != nil {
		t.Fatal(err)
	}
	recs := read()
	if len(recs) != 3 || strings.Join(recs[0], ",") != "epoch,train_loss,valid_loss,error_rate,time" {
		t.Fatalf("file %v", recs)
	}
	for i, row := range l.Recorder.Rows {
		if !slices.Equal(recs[i+1], row.Cells()) {
			t.Errorf("row %d: %v, table %v", i, recs[i+1], row.Cells())
		}
	}
	if err := l.Fit(1, 1e-3, WithCallbacks(&CSVLogger{Fname: name, Append: true})); err != nil {
		t.Fatal(err)
	}
	if recs := read(); len(recs) != 4 || recs[3][0] != "0" {
		t.Errorf("after an appending fit: %v", recs)
	}
	if err := l.Fit(1, 1e-3, WithCallbacks(&CSVLogger{Fname: name})); err != nil {
		t.Fatal(err)
	}
	if recs := read(); len(recs) != 2 {
		t.Errorf("a fit without Append starts over: %v", recs)
	}
	other := newTiny(t, Metrics(Accuracy)) // after newTiny's error_rate
	err := other.Fit(1, 1e-3, WithCallbacks(&CSVLogger{Fname: name, Append: true}))
	if err == nil || !strings.Contains(err.Error(), "has the columns epoch,train_loss,valid_loss,error_rate,time, this learner's are epoch,train_loss,valid_loss,error_rate,accuracy,time") {
		t.Errorf("appending other columns: %v", err)
	}
}

func TestShowGraphCallbackDrawsEveryEpoch(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(display.EnvDisplay, "terminal")
	t.Setenv(display.EnvOutputDir, dir)
	var term bytes.Buffer
	display.SetOutput(&term)
	t.Cleanup(func() { display.SetOutput(nil) })
	l, _ := captured(t)
	l.Quiet = false
	sg := &ShowGraphCallback{}
	drawn := &pngSizes{path: filepath.Join(dir, "show_graph.png")}
	if err := l.Fit(2, 1e-2, WithCallbacks(sg, drawn)); err != nil {
		t.Fatal(err)
	}
	if len(drawn.sizes) != 2 || drawn.sizes[0] == 0 || drawn.sizes[0] == drawn.sizes[1] {
		t.Errorf("PNG sizes after each epoch %v: want a new picture each epoch", drawn.sizes)
	}
	if n := strings.Count(term.String(), "show_graph.png"); n != 1 {
		t.Errorf("path printed %d times: %q", n, term.String())
	}
	// LRFind draws nothing.
	os.Remove(drawn.path)
	if _, err := l.LRFind(); err != nil {
		t.Fatal(err)
	}
	l.Cbs = nil
	if _, err := os.Stat(drawn.path); err == nil {
		t.Error("LRFind drew the graph")
	}
}

// pngSizes records the size of a file after each epoch.
type pngSizes struct {
	path  string
	sizes []int64
}

func (p *pngSizes) AfterEpoch(*FitState) error {
	st, err := os.Stat(p.path)
	if err != nil {
		return err
	}
	p.sizes = append(p.sizes, st.Size())
	return nil
}

func TestTerminateOnNaN(t *testing.T) {
	l, out := captured(t)
	if err := l.Fit(2, 1e-3, WithCallbacks(infLossFrom(3), TerminateOnNaNCallback{})); err != nil {
		t.Fatal(err)
	}
	if n := len(l.Recorder.Losses); n != 4 {
		t.Errorf("%d batches trained, want 4 (stopped at the first infinite loss)", n)
	}
	if len(l.Recorder.Rows) != 0 {
		t.Errorf("%d epochs finished, want none", len(l.Recorder.Rows))
	}
	if want := "TerminateOnNaNCallback: the training loss is inf at epoch 0, batch 3: fit stopped\n"; out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
}

// infLossFrom makes the reported loss infinite from batch n on (the loop
// sees what a diverged step reports).
type infLossFrom int

func (n infLossFrom) AfterBatch(f *FitState) error {
	if f.Training && f.Batch >= int(n) {
		f.Loss = math.Inf(1)
	}
	return nil
}

// GradientClip: one SGD step (no momentum, no weight decay) at lr 1 moves
// the trainable weights by exactly the clipped gradient, whose global L2
// norm is MaxNorm (PyTorch's clip_grad_norm_: ‖g‖·MaxNorm/(‖g‖+1e-6)).
func TestGradientClipScalesToMaxNorm(t *testing.T) {
	step := func(cbs ...Callback) float64 {
		l := newTiny(t, OptFunc(SGD{}))
		if _, err := l.GetPreds(nil); err != nil { // creates the weights
			t.Fatal(err)
		}
		before := modelValues(t, l)
		if err := l.Fit(1, 1.0, WithCallbacks(append(cbs, stopAfter(1))...)); err != nil {
			t.Fatal(err)
		}
		after := modelValues(t, l)
		var sq float64
		for v := range l.store.IterVariables() {
			if !isModelVar(v.Path()) || !v.Trainable {
				continue
			}
			for i, b := range before[v.Path()] {
				d := float64(after[v.Path()][i]) - float64(b)
				sq += d * d
			}
		}
		return math.Sqrt(sq)
	}
	const maxNorm = 0.1
	plain := step()
	if plain < 2*maxNorm {
		t.Fatalf("unclipped step norm %v: too small for the test to tell", plain)
	}
	clipped := step(GradientClip{MaxNorm: maxNorm})
	want := maxNorm * plain / (plain + 1e-6)
	// Each weight's change is ~2e-3 next to weights ~0.1: float32's
	// rounding of p - lr·g is ~4e-6 of it.
	if math.Abs(clipped-want) > 1e-4*want {
		t.Errorf("clipped step norm %v, want %v (unclipped %v)", clipped, want, plain)
	}
	if big := step(GradientClip{MaxNorm: 10 * plain}); math.Abs(big-plain) > 1e-4*plain {
		t.Errorf("a MaxNorm above the norm changed the step: %v, want %v", big, plain)
	}
}

// trainGraphs counts the compiled training graphs.
func trainGraphs(l *Learner) int {
	n := 0
	for k := range l.execs {
		if k.mode == modeTrain {
			n++
		}
	}
	return n
}

// A hook's state is not part of the graph: one graph per configuration.
func TestHooksCompileOncePerConfiguration(t *testing.T) {
	l := newTiny(t)
	if err := l.Fit(1, 1e-3, WithCallbacks(&countingHook{})); err != nil {
		t.Fatal(err)
	}
	if n := trainGraphs(l); n != 1 {
		t.Errorf("%d training graphs for a hook that counts batches, want 1", n)
	}
	if err := l.Fit(1, 1e-3, WithCallbacks(GradientClip{MaxNorm: 1})); err != nil {
		t.Fatal(err)
	}
	if err := l.Fit(1, 1e-3, WithCallbacks(&GradientClip{MaxNorm: 1})); err != nil {
		t.Fatal(err)
	}
	if n := trainGraphs(l); n != 2 {
		t.Errorf("%d training graphs after GradientClip{1} and &GradientClip{1}, want 2 (one more)", n)
	}
	if err := l.Fit(1, 1e-3, WithCallbacks(GradientClip{MaxNorm: 2})); err != nil {
		t.Fatal(err)
	}
	if n := trainGraphs(l); n != 3 {
		t.Errorf("%d training graphs after GradientClip{2}, want 3: its MaxNorm is baked into the graph", n)
	}
}

type countingHook struct{ n int }

func (c *countingHook) TransformLoss(x *graph.Node) *graph.Node { return x }
func (c *countingHook) AfterBatch(*FitState) error              { c.n++; return nil }

// A cancel does not hide the event from the callbacks after the one that
// cancels: the CSV file has the epoch that stopped the fit.
func TestCancelStillReachesLaterCallbacks(t *testing.T) {
	name := filepath.Join(t.TempDir(), "h.csv")
	l := newTiny(t, Output(io.Discard))
	err := l.Fit(6, 1e-3, WithCallbacks(noTrainingAfter(1), &EarlyStoppingCallback{}, &CSVLogger{Fname: name}))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(name)
	if rows, lines := len(l.Recorder.Rows), strings.Count(string(data), "\n")-1; rows != 2 || lines != rows {
		t.Errorf("%d epochs ran, %d in the CSV file (want 2 and 2):\n%s", rows, lines, data)
	}
}

// What a callback changes in f.LRs or f.Moms is for that batch only.
func TestBatchHypersAreTheBatchsOwn(t *testing.T) {
	l := newTiny(t)
	if err := l.Fit(1, 1e-2, WithCallbacks(halveLR{})); err != nil {
		t.Fatal(err)
	}
	for i, lr := range l.Recorder.LRs {
		if lr != 5e-3 {
			t.Fatalf("batch %d: lr %v, want 5e-3 every batch", i, lr)
		}
	}
	if m := l.currentMom(); m != 0.5 {
		t.Errorf("momentum after the fit %v, want the last batch's 0.5", m)
	}
	if err := l.Fit(1, 1e-2); err != nil {
		t.Fatal(err)
	}
	// fastai keeps the last hyper-parameters set: a later Fit starts from
	// the momentum the optimizer last had, but each batch's change was
	// not compounded.
	if lrs := l.Recorder.LRs; lrs[0] != 1e-2 {
		t.Errorf("next fit's lr %v, want 1e-2", lrs[0])
	}
}

type halveLR struct{}

func (halveLR) BeforeBatch(f *FitState) error {
	if f.Training {
		f.LRs[len(f.LRs)-1] *= 0.5
		f.Moms[len(f.Moms)-1] = 0.5
	}
	return nil
}

// A callback's own error comes back naming the callback, event and epoch.
func TestCallbackErrorsSayWhere(t *testing.T) {
	l := newTiny(t)
	err := l.FineTune(2, WithCallbacks(failAt{epoch: 1}))
	want := "FineTune, unfrozen stage: callback learner.failAt.AfterEpoch, epoch 1: disk full"
	if err == nil || err.Error() != want {
		t.Errorf("FineTune = %v, want %q", err, want)
	}
}

type failAt struct{ epoch int }

func (c failAt) AfterEpoch(f *FitState) error {
	if f.Epoch == c.epoch {
		return errors.New("disk full")
	}
	return nil
}

// Cancelled batches record nothing (no 0 losses); an LRFind whose batches
// are all cancelled is an error and keeps the previous result.
func TestCancelledBatchesAreNotRecorded(t *testing.T) {
	l := newTiny(t)
	if err := l.Fit(1, 1e-3, WithCallbacks(skipFirst(3))); err != nil {
		t.Fatal(err)
	}
	if n := len(l.Recorder.Losses); n != 13 {
		t.Errorf("%d losses recorded, want 13 (16 batches, 3 cancelled)", n)
	}
	for i, v := range l.Recorder.Losses {
		if !(v > 0) {
			t.Errorf("loss %d is %v", i, v)
		}
	}
	prev, err := l.LRFind()
	if err != nil {
		t.Fatal(err)
	}
	l.Cbs = []Callback{skipTraining{}}
	if _, err := l.LRFind(); err == nil || !strings.Contains(err.Error(), "no training step ran") {
		t.Errorf("LRFind with every batch cancelled = %v", err)
	}
	if l.LastLRFind() != prev {
		t.Error("the failed LRFind replaced the last result")
	}
	if err := l.Fit(1, 1e-3); !strings.Contains(fmt.Sprint(l.Recorder.Rows[0].TrainLoss), "NaN") || err != nil {
		t.Errorf("a fit without a training step: train_loss %v (want NaN, shown as nan), err %v", l.Recorder.Rows[0].TrainLoss, err)
	}
}

// skipFirst cancels the first n training batches of a fit.
type skipFirst int

func (n skipFirst) BeforeBatch(f *FitState) error {
	if f.Training && f.Iter < int(n) {
		return ErrCancelBatch
	}
	return nil
}

func TestSaveModelEveryEpochWithAtEnd(t *testing.T) {
	dir := t.TempDir()
	if err := newTiny(t).Fit(2, 1e-2, WithCallbacks(&SaveModelCallback{Dir: dir, EveryEpoch: 1, AtEnd: true})); err != nil {
		t.Fatal(err)
	}
	if got := fileNames(t, dir); got != "model.learner model_0.learner model_1.learner" {
		t.Errorf("files %q, want every epoch's and the end's", got)
	}
}

func TestCSVAppendToAFileWithoutFinalNewline(t *testing.T) {
	name := filepath.Join(t.TempDir(), "h.csv")
	l := newTiny(t)
	if err := l.Fit(1, 1e-3, WithCallbacks(&CSVLogger{Fname: name})); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(name)
	os.WriteFile(name, bytes.TrimSuffix(data, []byte("\n")), 0o644)
	if err := l.Fit(1, 1e-3, WithCallbacks(&CSVLogger{Fname: name, Append: true})); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(name)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Errorf("file after appending: %v, %v", recs, err)
	}
}

// Optimizer settings: Adam's zero fields are fastai's defaults; values
// that cannot train are refused.
func TestOptimizerSettings(t *testing.T) {
	l := newTiny(t, OptFunc(Adam{WD: 0.1}))
	if err := l.FitOneCycle(2, 1e-2); err != nil {
		t.Fatal(err)
	}
	if r := l.Recorder.Rows[1]; !(r.ValidLoss < 0.5) {
		t.Errorf("Adam{WD: 0.1}: valid loss %v, want it trained (< 0.5)", r.ValidLoss)
	}
	if got := (Adam{WD: 0.1}).withDefaults(); got != (Adam{Mom: 0.9, SqrMom: 0.99, Eps: 1e-5, WD: 0.1}) {
		t.Errorf("Adam{WD: 0.1} means %+v", got)
	}
	for _, tc := range []struct {
		opt  Option
		want string
	}{
		{OptFunc(Adam{SqrMom: 1}), "learner.OptFunc(Adam): SqrMom 1: give a value in [0, 1)"},
		{OptFunc(Adam{Eps: -1}), "the Eps added to the denominator, -1 here"},
		{OptFunc(SGD{Mom: math.NaN()}), "learner.OptFunc(SGD): Mom NaN"},
		{OptFunc(SGD{WD: -1}), "WD -1"},
		{WD(math.NaN()), "learner.WD(NaN): give a weight decay ≥ 0"},
		{WD(-0.1), "learner.WD(-0.1)"},
	} {
		if _, err := New(tinyData(4), tinyModel(4), WithBackend(testBackend()), tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New = %v, want an error containing %q", err, tc.want)
		}
	}
	if err := newTiny(t).Fit(1, 1e-3, WithWD(math.Inf(1))); err == nil || !strings.Contains(err.Error(), "WithWD(+Inf): give a weight decay") {
		t.Errorf("WithWD(+Inf): %v", err)
	}
}

// fileNames lists dir's files, space-separated, sorted.
func fileNames(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}
