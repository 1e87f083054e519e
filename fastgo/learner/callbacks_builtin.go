package learner

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo/tensor"
)

// The loop's own callbacks: what every fit records, shows and saves.

// cleanUp releases what the callbacks hold (Cleaner), in order.
func cleanUp(cbs []Callback) {
	for _, cb := range cbs {
		if c, ok := cb.(Cleaner); ok {
			c.CleanUp()
		}
	}
}

// fitCallbacks are the callbacks of one fit, in calling order: the
// recorder, the progress display, the divergence note, the learner's
// callbacks, the fit's own, the Keeper's save (after, say,
// SaveModelCallback has loaded the best weights), and the interrupt
// watch last, also returned on its own.
func (l *Learner) fitCallbacks(spec fitSpec) ([]Callback, *interruptWatch) {
	cbs := []Callback{&recorderCallback{}, &progressCallback{show: spec.show, table: spec.table}}
	if spec.table {
		cbs = append(cbs, &divergenceNote{})
	}
	cbs = append(cbs, l.Cbs...)
	cbs = append(cbs, spec.cbs...)
	if spec.keep != "" && l.keeper != nil {
		cbs = append(cbs, keepCallback{what: spec.keep})
	}
	// Last, so that it speaks after the bars have ended.
	w := newInterruptWatch(cbs)
	return append(cbs, w), w
}

// ErrInterrupted is what Fit, FitOneCycle, FineTune and LRFind return,
// wrapped (test it with errors.Is), when an interrupt — SIGINT (Ctrl-C,
// a notebook's stop button) or SIGTERM — arrived while they ran and the
// program survived it: a program with its own signal.Notify (a server's
// graceful shutdown), or one started with SIGINT ignored. The fit stops
// at the next batch, as a cancelled fit: AfterFit still runs, so what
// was trained is kept in the learner and, with a Keeper (notebook
// persistence), saved; the error says where it stopped and what was kept.
// FineTune does not start its second stage. A program with no handler of
// its own ends as the signal ends it (exit status 130 for SIGINT) once
// the fit has stopped and saved, before the fit returns.
var ErrInterrupted = errors.New("interrupted")

// errStopForInterrupt ends a fit on an interrupt as a cancelled fit; the
// fit then returns the watch's ErrInterrupted.
var errStopForInterrupt = fmt.Errorf("interrupted: %w", ErrCancelFit)

// interruptWatch turns an interrupt during a fit into a stop at the next
// batch; when the fit has ended (bars done, state saved) it says where it
// stopped and what was kept, then delivers the interrupt again, to end
// the program as it would have (or to the program's own handler). GoNB
// kills a cell 5 s after the stop button, so a batch longer than that
// cannot finish: the moment the interrupt arrives, the fit's Interruptible
// callbacks are told (memory.Check notes it, so that the next cell reports
// a stop rather than a lack of memory).
type interruptWatch struct {
	ch   chan os.Signal
	done chan struct{}
	cbs  []Callback // the fit's other callbacks, told of an interrupt

	mu        sync.Mutex
	got       os.Signal
	stoppedAt string
	learn     *Learner
	kept      string // how the Keeper finds the state again ("" when none)
	lrFind    bool
}

func newInterruptWatch(cbs []Callback) *interruptWatch {
	w := &interruptWatch{ch: make(chan os.Signal, 1), done: make(chan struct{}), cbs: cbs}
	signal.Notify(w.ch, interruptSignals...)
	go w.listen()
	return w
}

// listen waits for the first interrupt of the fit.
func (w *interruptWatch) listen() {
	select {
	case sig := <-w.ch:
		w.mu.Lock()
		w.got = sig
		l := w.learn
		w.mu.Unlock()
		for _, cb := range w.cbs {
			if c, ok := cb.(Interruptible); ok {
				c.OnInterrupt()
			}
		}
		if l != nil {
			l.Printf("Stopping: the fit ends after the current batch.")
		}
	case <-w.done:
	}
}

// requested is the interrupt received, or nil.
func (w *interruptWatch) requested() os.Signal {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.got
}

func (*interruptWatch) loopCallback() {}

func (w *interruptWatch) BeforeFit(f *FitState) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.learn, w.lrFind = f.Learner, f.LRFind
	if k := f.Learner.keeper; k != nil {
		w.kept = k.Where(f.Learner)
	}
	return nil
}

func (w *interruptWatch) BeforeBatch(f *FitState) error {
	if w.requested() == nil {
		return nil
	}
	w.stoppedAt = fmt.Sprintf("epoch %d, training batch %d of %d", f.Epoch, f.Batch, f.NIter)
	if !f.Training {
		w.stoppedAt = fmt.Sprintf("epoch %d, validation batch %d", f.Epoch, f.Batch)
	}
	return errStopForInterrupt
}

// summary says where the fit stopped and what was kept.
func (w *interruptWatch) summary() string {
	kept := "the weights trained up to there are kept"
	switch {
	case w.lrFind:
		kept = "LRFind restored the weights it started from"
	case w.kept != "":
		kept += " and " + w.kept
	}
	where := w.stoppedAt
	if where == "" {
		where = "the end of the fit"
	}
	return fmt.Sprintf("at %s: %s", where, kept)
}

// err is the fit's ErrInterrupted once an interrupt arrived, else nil.
func (w *interruptWatch) err() error {
	sig := w.requested()
	if sig == nil {
		return nil
	}
	return fmt.Errorf("%w (%s) %s", ErrInterrupted, signalName(sig), w.summary())
}

func (w *interruptWatch) CleanUp() {
	signal.Stop(w.ch)
	close(w.done)
	sig := w.requested()
	if sig == nil {
		return
	}
	if w.learn != nil {
		fmt.Fprintf(w.learn.out, "Interrupted %s.\n", w.summary())
	}
	if p, err := os.FindProcess(os.Getpid()); err == nil && p.Signal(sig) == nil {
		time.Sleep(200 * time.Millisecond) // let it take effect
	}
}

// recorderCallback is fastai's Recorder callback: it keeps the fit's
// history in Learner.Recorder.
type recorderCallback struct{}

// The loop's own callbacks are marked, so their errors are not prefixed
// as a user's callback's are (describeErr).
func (recorderCallback) loopCallback()  {}
func (*progressCallback) loopCallback() {}
func (*divergenceNote) loopCallback()   {}
func (keepCallback) loopCallback()      {}
func (*lrFinder) loopCallback()         {}

// The loop's callbacks that run at batch events take them late when the
// losses are read in groups (Pipelining.SyncEvery): they only record and
// show each batch's own values. LRFind's is not: it stops at the batch
// whose loss diverged.
func (recorderCallback) ToleratesLag()  {}
func (*progressCallback) ToleratesLag() {}
func (*divergenceNote) ToleratesLag()   {}
func (*interruptWatch) ToleratesLag()   {} // its BeforeBatch reads the interrupt only

func (recorderCallback) BeforeFit(f *FitState) error {
	names := make([]string, len(f.Learner.Metrics))
	for i, m := range f.Learner.Metrics {
		names[i] = m.Name
	}
	f.Learner.mu.Lock() // a Save in another goroutine copies the recorder
	defer f.Learner.mu.Unlock()
	f.Learner.Recorder.reset(names)
	return nil
}

func (recorderCallback) AfterBatch(f *FitState) error {
	if f.Training && f.stepped {
		f.Learner.mu.Lock()
		defer f.Learner.mu.Unlock()
		f.SmoothLoss = f.Learner.Recorder.addBatch(f.Loss, f.LRs[len(f.LRs)-1], f.Moms[len(f.Moms)-1])
	}
	return nil
}

// AfterTrain records the epoch's training loss: the smoothed loss at its
// end (fastai's Recorder logs smooth_loss, not an epoch mean).
func (recorderCallback) AfterTrain(f *FitState) error {
	f.Row.TrainLoss = f.SmoothLoss
	f.Learner.mu.Lock()
	defer f.Learner.mu.Unlock()
	f.Learner.Recorder.Iters = append(f.Learner.Recorder.Iters, len(f.Learner.Recorder.Losses))
	return nil
}

func (recorderCallback) AfterEpoch(f *FitState) error {
	f.Learner.mu.Lock()
	defer f.Learner.mu.Unlock()
	rec := f.Learner.Recorder
	rec.Rows = append(rec.Rows, *f.Row)
	rec.Finished = time.Now()
	return nil
}

// progressCallback is fastai's ProgressCallback: the outer bar over
// epochs, the table, and one inner bar per training and validation pass.
type progressCallback struct {
	show, table bool
	view        *fitView
	bar         bar // the current pass's bar
}

func (p *progressCallback) BeforeFit(f *FitState) error {
	var columns []string
	if p.table {
		columns = f.Learner.Recorder.Columns()
	}
	p.view = f.Learner.newFitView(f.NEpoch, columns, p.show)
	return nil
}

func (p *progressCallback) BeforeTrain(f *FitState) error {
	p.bar = p.view.child(f.NIter)
	return nil
}

func (p *progressCallback) BeforeValidate(f *FitState) error {
	p.bar = p.view.child(f.Learner.Data.Valid.Len())
	return nil
}

// AfterBatch moves the pass's bar; its comment is the smoothed training
// loss, in training and validation alike (as fastai's).
func (p *progressCallback) AfterBatch(f *FitState) error {
	p.bar.update(f.Batch+1, tensor.FormatFloat(f.SmoothLoss, 4))
	return nil
}

func (p *progressCallback) AfterTrain(*FitState) error {
	p.bar.done()
	p.bar = bar{}
	return nil
}

func (p *progressCallback) AfterValidate(*FitState) error {
	p.bar.done()
	p.bar = bar{}
	return nil
}

func (p *progressCallback) AfterEpoch(f *FitState) error {
	p.view.row(f.Epoch+1, f.Row.Cells())
	return nil
}

func (p *progressCallback) CleanUp() {
	p.bar.done()
	if p.view != nil {
		p.view.done()
	}
}

// divergenceNote says once per fit, in the table's output, from which
// batch the training loss stopped being a number, and what usually causes
// it.
type divergenceNote struct{ said bool }

func (d *divergenceNote) AfterBatch(f *FitState) error {
	if f.Training && !d.said && !finite(f.Loss) {
		d.said = true
		f.Learner.Logf("train_loss is %v from epoch %d, batch %d (lr %.2e) on: the training diverged. The usual cause is a learning rate too high for the model (LRFind shows where the loss blows up); NaN or huge values in the inputs do it too.",
			f.Loss, f.Epoch, f.Batch, f.LRs[len(f.LRs)-1])
	}
	return nil
}

// keepCallback has the learner's Keeper keep its state after the fit
// (notebook cells; see KeepWith).
type keepCallback struct{ what string }

func (k keepCallback) AfterFit(f *FitState) error { return f.Learner.keep(k.what) }

// BeforeFit refuses a fit whose state the Keeper could not keep after it
// (a read-only or full folder): better than training for an hour and then
// losing it.
func (k keepCallback) BeforeFit(f *FitState) error {
	c, ok := f.Learner.keeper.(KeepChecker)
	if !ok {
		return nil
	}
	return c.CheckKeep(f.Learner, f.Learner.stateBytes())
}

// CheckStep checks again once the training graph is built, when the
// model's size is known: its weights and Adam's two moments in float32.
func (k keepCallback) CheckStep(l *Learner, step TrainStep) error {
	c, ok := l.keeper.(KeepChecker)
	if !ok {
		return nil
	}
	return c.CheckKeep(l, 3*4*step.Parameters)
}
