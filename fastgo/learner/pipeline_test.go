package learner

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// batchLog records what AfterBatch saw, batch by batch; lagged says it
// is LagTolerant.
type batchLog struct {
	rows   []string
	events []string // "before e/b" and "after e/b", in the order they came
}

func (c *batchLog) BeforeBatch(f *FitState) error {
	c.events = append(c.events, fmt.Sprintf("before %v %d/%d", f.Training, f.Epoch, f.Batch))
	return nil
}

func (c *batchLog) AfterBatch(f *FitState) error {
	c.events = append(c.events, fmt.Sprintf("after %v %d/%d", f.Training, f.Epoch, f.Batch))
	c.rows = append(c.rows, fmt.Sprintf("train=%v epoch=%d batch=%d iter=%d stepped=%v loss=%x smooth=%x lrs=%v moms=%v",
		f.Training, f.Epoch, f.Batch, f.Iter, f.stepped, math.Float64bits(f.Loss), math.Float64bits(f.SmoothLoss), f.LRs, f.Moms))
	return nil
}

type laggedLog struct{ batchLog }

func (*laggedLog) ToleratesLag() {}

// pipelineRun is one fit's observable results.
type pipelineRun struct {
	rows    []string
	losses  []float64
	lrs     []float64
	valid   []string
	weights map[string][]float32
	evals   int // evaluation graphs built
}

// runPipelined trains the tiny model with a device transform, on a
// validation set of 37 items (not a multiple of the batch size 16), for
// two one-cycle epochs, under p.
func runPipelined(t *testing.T, p Pipelining, cbs ...Callback) pipelineRun {
	t.Helper()
	var draws atomic.Int64
	data := tinyData(4)
	data.Valid = newSynth(37, 16, 4, 2, false)
	data.BatchTfms = []fastgo.BatchTransform{brighten{&draws}}
	m := tinyModel(4)
	var run pipelineRun
	build := m.Build
	m.Build = func(scope *model.Scope, x *graph.Node, train bool) *graph.Node {
		if !train {
			run.evals++
		}
		return build(scope, x, train)
	}
	l, err := New(data, m, WithBackend(testBackend()), Metrics(ErrorRate), WithPipelining(p), Output(nopWriter{}))
	if err != nil {
		t.Fatal(err)
	}
	l.Quiet = true
	log := &laggedLog{}
	if err := l.FitOneCycle(2, 1e-2, WithCallbacks(append([]Callback{log}, cbs...)...)); err != nil {
		t.Fatal(err)
	}
	run.rows, run.losses, run.lrs = log.rows, l.Recorder.Losses, l.Recorder.LRs
	for _, r := range l.Recorder.Rows {
		run.valid = append(run.valid, fmt.Sprintf("%x %x %v", math.Float64bits(r.TrainLoss), math.Float64bits(r.ValidLoss), r.Metrics))
	}
	run.weights = modelValues(t, l)
	return run
}

// TestPipeliningChangesNothing: prefetching, reading the losses in groups
// and padding the last validation batch give the same losses, metrics,
// per-batch callback values and weights, bit for bit, as the plain loop.
func TestPipeliningChangesNothing(t *testing.T) {
	base := runPipelined(t, Pipelining{SyncEvery: 1})
	if base.evals != 2 {
		t.Errorf("unpadded validation of 37 items in batches of 16 built %d evaluation graphs, want 2 (16 and 5 items)", base.evals)
	}
	for _, p := range []Pipelining{
		{Prefetch: 1, SyncEvery: 1},
		{Prefetch: 2, SyncEvery: 5},
		{Prefetch: 0, SyncEvery: 3},
		{Prefetch: 3, SyncEvery: 100, PadValid: true},
		{Prefetch: 0, SyncEvery: 1, PadValid: true},
	} {
		got := runPipelined(t, p)
		if !slices.Equal(got.rows, base.rows) {
			t.Errorf("%+v: AfterBatch saw\n%s\nwant\n%s", p, strings.Join(got.rows, "\n"), strings.Join(base.rows, "\n"))
		}
		if !slices.Equal(got.losses, base.losses) || !slices.Equal(got.lrs, base.lrs) || !slices.Equal(got.valid, base.valid) {
			t.Errorf("%+v: recorder differs:\nlosses %v\nwant   %v\nepochs %v\nwant   %v", p, got.losses, base.losses, got.valid, base.valid)
		}
		for k, w := range base.weights {
			if !slices.Equal(got.weights[k], w) {
				t.Errorf("%+v: weights of %s differ", p, k)
			}
		}
		if want := map[bool]int{true: 1, false: 2}[p.PadValid]; got.evals != want {
			t.Errorf("%+v: %d evaluation graphs built, want %d", p, got.evals, want)
		}
	}
}

// TestSyncEveryLagsOnlyTolerantCallbacks: with SyncEvery 4 a fit whose
// batch callbacks are all LagTolerant runs several steps before their
// AfterBatch; one other callback with a batch method brings back the
// strict order.
func TestSyncEveryLagsOnlyTolerantCallbacks(t *testing.T) {
	strictOrder := func(events []string) bool {
		for i := 0; i+1 < len(events); i += 2 {
			b, a := strings.TrimPrefix(events[i], "before "), strings.TrimPrefix(events[i+1], "after ")
			if b == events[i] || a == events[i+1] || a != b {
				return false
			}
		}
		return true
	}
	p := Pipelining{Prefetch: 1, SyncEvery: 4}
	for _, strict := range []bool{false, true} {
		l := newTiny(t, WithPipelining(p))
		lagged := &laggedLog{}
		cbs := []Callback{lagged}
		var other *batchLog
		if strict {
			other = &batchLog{}
			cbs = append(cbs, other)
		}
		if err := l.Fit(1, 1e-3, WithCallbacks(cbs...)); err != nil {
			t.Fatal(err)
		}
		if got := strictOrder(lagged.events); got != strict {
			t.Errorf("strict callback present %v: events in strict before/after order %v, want %v:\n%s", strict, got, strict, strings.Join(lagged.events, "\n"))
		}
		if !strict {
			// 16 training batches: the first AfterBatch comes after the
			// fourth BeforeBatch.
			if want := "before true 0/3"; lagged.events[3] != want {
				t.Errorf("event 4 is %q, want %q", lagged.events[3], want)
			}
		}
	}
}

// TestNaNNamedWithinSyncEvery: a diverging fit (a learning rate far too
// high) is stopped by TerminateOnNaNCallback at the same batch, with the
// same message and record, whether the losses are read every step or
// every 4; reading every 4 runs at most 3 more steps.
func TestNaNNamedWithinSyncEvery(t *testing.T) {
	run := func(every int) (string, []float64, uint64) {
		var out strings.Builder
		l := newTiny(t, WithPipelining(Pipelining{Prefetch: 1, SyncEvery: every}), Output(&out))
		if err := l.Fit(3, 1e6, WithCallbacks(TerminateOnNaNCallback{})); err != nil {
			t.Fatal(err)
		}
		return out.String(), l.Recorder.Losses, l.iter
	}
	msg1, losses1, steps1 := run(1)
	msg4, losses4, steps4 := run(4)
	if !strings.Contains(msg1, "TerminateOnNaNCallback: the training loss is") {
		t.Fatalf("lr 1e6 did not diverge: %q (losses %v)", msg1, losses1)
	}
	if msg4 != msg1 || len(losses4) != len(losses1) {
		t.Errorf("SyncEvery 4: %q after %d batches, want %q after %d", msg4, len(losses4), msg1, len(losses1))
	}
	if steps4 < steps1 || steps4 > steps1+3 {
		t.Errorf("SyncEvery 4 ran %d steps, SyncEvery 1 %d: want at most 3 more", steps4, steps1)
	}
}

// cancelBatch cancels the training step of batches 2 and 5 (BeforeBatch):
// the steps prepared ahead of them were drawn for a batch counter one or
// two too far.
type cancelBatch struct{}

func (cancelBatch) BeforeBatch(f *FitState) error {
	if f.Training && (f.Batch == 2 || f.Batch == 5) {
		return ErrCancelBatch
	}
	return nil
}

// skipBatches is a source without some batches of another.
type skipBatches struct {
	BatchSource
	skip []int
}

func (s skipBatches) Len() int { return s.BatchSource.Len() - len(s.skip) }

func (s skipBatches) Epoch(epoch int) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		i := 0
		for b, err := range s.BatchSource.Epoch(epoch) {
			if !slices.Contains(s.skip, i) && !yield(b, err) {
				return
			}
			i++
		}
	}
}

// trainWith trains the tiny model with a device transform for one epoch
// (run decides how) and returns its weights.
func trainWith(t *testing.T, p Pipelining, run func(l *Learner) error) map[string][]float32 {
	t.Helper()
	var draws atomic.Int64
	data := tinyData(4)
	data.BatchTfms = []fastgo.BatchTransform{brighten{&draws}}
	l, err := New(data, tinyModel(4), WithBackend(testBackend()), WithPipelining(p), Output(nopWriter{}))
	if err != nil {
		t.Fatal(err)
	}
	l.Quiet = true
	if err := run(l); err != nil {
		t.Fatal(err)
	}
	return modelValues(t, l)
}

func sameWeights(t *testing.T, what string, got, want map[string][]float32) {
	t.Helper()
	for k, w := range want {
		if !slices.Equal(got[k], w) {
			t.Errorf("%s: weights of %s differ", what, k)
		}
	}
}

// TestPrefetchFollowsCancelledSteps: steps cancelled by a callback shift
// the random transform parameters of the following steps (a pure function
// of the number of steps done), however far ahead they were prepared: the
// weights are those of a fit over the same data without those batches.
func TestPrefetchFollowsCancelledSteps(t *testing.T) {
	for _, ahead := range []int{0, 3} {
		p := Pipelining{Prefetch: ahead, SyncEvery: 1}
		cancelled := trainWith(t, p, func(l *Learner) error { return l.Fit(1, 1e-2, WithCallbacks(cancelBatch{})) })
		skipped := trainWith(t, p, func(l *Learner) error {
			l.Data.Train = skipBatches{l.Data.Train, []int{2, 5}}
			return l.Fit(1, 1e-2)
		})
		sameWeights(t, fmt.Sprintf("prefetch %d, steps 2 and 5 cancelled vs. batches 2 and 5 left out", ahead), cancelled, skipped)
	}
}

// changeLR halves the learning rate of batch 3 (BeforeBatch): the rates
// uploaded ahead from the schedule do not apply.
type changeLR struct{}

func (changeLR) BeforeBatch(f *FitState) error {
	if f.Training && f.Batch == 3 {
		f.LRs = scaled(f.LRs, 0.5)
	}
	return nil
}

// TestPrefetchFollowsChangedRates: a rate changed by a callback is the
// rate of the step, as if the schedule had said so.
func TestPrefetchFollowsChangedRates(t *testing.T) {
	for _, ahead := range []int{0, 3} {
		p := Pipelining{Prefetch: ahead, SyncEvery: 1}
		byCallback := trainWith(t, p, func(l *Learner) error { return l.Fit(1, 1e-2, WithCallbacks(changeLR{})) })
		bySchedule := trainWith(t, p, func(l *Learner) error {
			return l.run(fitSpec{nEpoch: 1, wd: l.weightDecay(), hyper: func(iter int, _ float64) ([]float64, []float64) {
				lr := 1e-2
				if iter == 3 {
					lr *= 0.5
				}
				return []float64{lr, lr}, []float64{0.9, 0.9}
			}})
		})
		sameWeights(t, fmt.Sprintf("prefetch %d, rate halved by a callback vs. by the schedule", ahead), byCallback, bySchedule)
	}
}

// raiseWD sets every group's weight decay to 0.5 from batch 2 on
// (BeforeBatch, as a ParamScheduler does).
type raiseWD struct{}

func (raiseWD) BeforeBatch(f *FitState) error {
	if f.Training && f.Batch >= 2 {
		for i := range f.WDs {
			f.WDs[i] = 0.5
		}
	}
	return nil
}

// TestPrefetchFollowsChangedWeightDecay: a weight decay changed by a
// callback reaches the step whose inputs were uploaded ahead with the
// scheduled one: the weights are those of the same fit without prefetch,
// and differ from a fit that kept the scheduled weight decay.
func TestPrefetchFollowsChangedWeightDecay(t *testing.T) {
	fit := func(cbs ...Callback) func(l *Learner) error {
		return func(l *Learner) error { return l.Fit(1, 1e-2, WithCallbacks(cbs...)) }
	}
	want := trainWith(t, Pipelining{SyncEvery: 1}, fit(raiseWD{}))
	kept := trainWith(t, Pipelining{SyncEvery: 1}, fit())
	changed := false
	for k, w := range want {
		if !slices.Equal(kept[k], w) {
			changed = true
		}
	}
	if !changed {
		t.Fatal("raising the weight decay changed no weight: the test cannot tell")
	}
	got := trainWith(t, Pipelining{Prefetch: 3, SyncEvery: 4}, fit(raiseWD{}))
	sameWeights(t, "prefetch 3, weight decay raised by a callback vs. no prefetch", got, want)
}

// stopAt cancels the fit at a training batch.
type stopAt struct{ batch int }

func (s stopAt) AfterBatch(f *FitState) error {
	if f.Training && f.Batch == s.batch {
		return ErrCancelFit
	}
	return nil
}

// failData fails at a given batch of the training source.
type failData struct {
	BatchSource
	at int
}

func (s failData) Epoch(epoch int) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		i := 0
		for b, err := range s.BatchSource.Epoch(epoch) {
			if i == s.at {
				yield(Batch{}, errors.New("disk on fire"))
				return
			}
			if !yield(b, err) {
				return
			}
			i++
		}
	}
}

// TestStoppedFitLeavesNoGoroutine: a fit cancelled part way, or failing on
// its data, with batches prepared ahead ends every goroutine it started
// (the prefetcher included).
func TestStoppedFitLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	p := Pipelining{Prefetch: 3, SyncEvery: 4}
	l := newTiny(t, WithPipelining(p))
	if err := l.Fit(2, 1e-3, WithCallbacks(stopAt{batch: 5})); err != nil {
		t.Fatal(err)
	}
	if got := len(l.Recorder.Losses); got != 6 {
		t.Errorf("fit cancelled at batch 5 recorded %d batches, want 6", got)
	}
	l = newTiny(t, WithPipelining(p))
	l.Data.Train = failData{l.Data.Train, 7}
	err := l.Fit(1, 1e-3)
	if err == nil || !strings.Contains(err.Error(), "training batch 7: disk on fire") {
		t.Errorf("error %v, want the data error at training batch 7", err)
	}
	if got := len(l.Recorder.Losses); got != 7 {
		t.Errorf("fit failing at batch 7 recorded %d batches, want the 7 before it", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after the fits, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestWithPipeliningRefuses(t *testing.T) {
	for _, p := range []Pipelining{{Prefetch: -1, SyncEvery: 1}, {SyncEvery: 0}} {
		if _, err := New(tinyData(4), tinyModel(4), WithBackend(testBackend()), WithPipelining(p)); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	if p := newTiny(t).Pipelining(); p != (Pipelining{SyncEvery: 1}) {
		t.Errorf("pure-Go backend's default %+v, want nothing ahead, every loss read, no padding", p)
	}
}
