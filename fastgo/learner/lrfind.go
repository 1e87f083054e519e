package learner

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
)

// LRFindResult is what LRFind found: the recorded curve and fastai's four
// suggestions (NaN where a rule could not decide, e.g. too few points).
type LRFindResult struct {
	// LRs and Losses are the recorded learning rates and smoothed losses,
	// one per batch.
	LRs, Losses []float64
	// NumIt is the number of iterations asked for.
	NumIt int
	// Minimum is the learning rate at the lowest loss divided by 10.
	Minimum float64
	// Steep is the learning rate where the loss falls fastest.
	Steep float64
	// Valley is fastai's default suggestion.
	Valley float64
	// Slide is Novetta's rule.
	Slide float64
	// Shown lists the suggestions marked on the plot and printed.
	Shown []string
	// When is when the search ran.
	When time.Time
}

// String lists the shown suggestions like fastai's SuggestedLRs.
func (r *LRFindResult) String() string {
	parts := make([]string, len(r.Shown))
	for i, name := range r.Shown {
		parts[i] = fmt.Sprintf("%s=%.2e", name, r.suggestion(name))
	}
	return "SuggestedLRs(" + strings.Join(parts, ", ") + ")"
}

func (r *LRFindResult) suggestion(name string) float64 {
	switch name {
	case "minimum":
		return r.Minimum
	case "steep":
		return r.Steep
	case "valley":
		return r.Valley
	case "slide":
		return r.Slide
	}
	return math.NaN()
}

// LRFindOption tunes LRFind.
type LRFindOption func(*lrFindOptions)

type lrFindOptions struct {
	start, end float64
	numIt      int
	stopDiv    bool
	show       []string
}

// StartLR sets the first learning rate tried (1e-7).
func StartLR(lr float64) LRFindOption { return func(o *lrFindOptions) { o.start = lr } }

// EndLR sets the last learning rate tried (10).
func EndLR(lr float64) LRFindOption { return func(o *lrFindOptions) { o.end = lr } }

// NumIt sets the number of batches tried (100; at least MinLRFindIt).
func NumIt(n int) LRFindOption { return func(o *lrFindOptions) { o.numIt = n } }

// StopDiv sets whether LRFind stops once the smoothed loss exceeds 4× the
// best so far (true).
func StopDiv(stop bool) LRFindOption { return func(o *lrFindOptions) { o.stopDiv = stop } }

// ShowSuggestions chooses the suggestions marked on the plot and listed
// by String: any of "minimum", "steep", "valley", "slide" (default
// "valley", as current fastai; the book used "minimum", "steep").
func ShowSuggestions(names ...string) LRFindOption {
	return func(o *lrFindOptions) { o.show = append([]string(nil), names...) }
}

// MinLRFindIt is the fewest iterations LRFind accepts: enough for its
// suggestions, which skip the first tenth of the points and the last 5.
const MinLRFindIt = 20

// LRFind is fastai's lr_find: it trains from the current weights for
// NumIt batches with the rate rising geometrically,
// lr_i = start·(end/start)^(i/NumIt) on every group, records the smoothed
// loss (validation skipped), stops early when it diverges (4× the best
// loss, or a loss that is NaN or infinite — said in one line), then restores
// the weights and optimizer state saved before. It shows the loss against
// the rate (log scale, last 5 points dropped) with the suggestions, which
// are computed on the points [NumIt/10, len−5).
//
// Errors (the weights are restored in every case): ErrBusy; an option out
// of range (a start ≥ end, fewer than MinLRFindIt iterations, an unknown
// suggestion); no training batches; a batch or callback that failed, as
// in Fit; ErrInterrupted (wrapped) when SIGINT or SIGTERM stopped it — no
// result then.
func (l *Learner) LRFind(opts ...LRFindOption) (*LRFindResult, error) {
	done, err := l.startFit("LRFind")
	if err != nil {
		return nil, err
	}
	defer done()
	o := lrFindOptions{start: 1e-7, end: 10, numIt: 100, stopDiv: true, show: []string{"valley"}}
	for _, f := range opts {
		f(&o)
	}
	for _, n := range o.show {
		if n != "minimum" && n != "steep" && n != "valley" && n != "slide" {
			return nil, fmt.Errorf("LRFind: unknown suggestion %q: use minimum, steep, valley or slide", n)
		}
	}
	if !(o.start > 0 && o.end > o.start) {
		return nil, fmt.Errorf("LRFind: rates from %g to %g: need 0 < start < end", o.start, o.end)
	}
	if o.numIt < MinLRFindIt {
		return nil, fmt.Errorf("LRFind: NumIt(%d): use at least %d iterations (the suggestions skip the first tenth and the last 5 points; fastai's default is 100)", o.numIt, MinLRFindIt)
	}
	if l.Data.Train == nil || l.Data.Train.Len() < 1 {
		return nil, fmt.Errorf("LRFind: the learner has no training batches")
	}
	nEpoch := o.numIt/l.Data.Train.Len() + 1
	if err := l.ensureBuilt(); err != nil {
		return nil, fmt.Errorf("LRFind: %w", err)
	}
	groups := l.Model.numGroups()
	mom := l.currentMom()
	finder := &lrFinder{numIt: o.numIt, stopDiv: o.stopDiv, best: math.Inf(1), diverged: -1}
	sched := SchedExp(o.start, o.end) // fastai's LRFinder, at train_iter/num_it
	spec := fitSpec{nEpoch: nEpoch, wd: l.weightDecay(), show: !l.Quiet, cbs: []Callback{finder}, lrFind: true,
		hyper: func(iter int, _ float64) ([]float64, []float64) {
			lr := sched(float64(iter) / float64(o.numIt))
			lrs, moms := make([]float64, groups), make([]float64, groups)
			for i := range lrs {
				lrs[i], moms[i] = lr, mom
			}
			return lrs, moms
		}}
	runErr := l.run(spec)
	if finder.restoreErr != nil {
		return nil, fmt.Errorf("LRFind: restoring the weights: %w", finder.restoreErr)
	}
	if finder.diverged >= 0 && runErr == nil {
		l.Logf("LRFind: the loss became %v at iteration %d (lr %.2e): stopped there; the rates from that one on are too high for this model",
			l.Recorder.Losses[finder.diverged], finder.diverged, l.Recorder.LRs[finder.diverged])
	}
	if runErr != nil {
		return nil, fmt.Errorf("LRFind: %w", runErr)
	}
	if len(l.Recorder.Losses) == 0 {
		return nil, errors.New("LRFind: no training step ran (a callback cancelled them): nothing to suggest from")
	}
	r := &LRFindResult{LRs: append([]float64(nil), l.Recorder.LRs...), Losses: append([]float64(nil), l.Recorder.Losses...),
		NumIt: o.numIt, Shown: o.show, When: time.Now()}
	lrs, losses := TrimForSuggestions(r.LRs, r.Losses, o.numIt)
	pick := func(f func(lrs, losses []float64) (float64, int, error)) float64 {
		v, _, err := f(lrs, losses)
		if err != nil {
			return math.NaN()
		}
		return v
	}
	r.Minimum, r.Steep, r.Valley, r.Slide = pick(SuggestMinimum), pick(SuggestSteep), pick(SuggestValley), pick(SuggestSlide)
	l.mu.Lock()
	l.lastLRFind = r
	l.mu.Unlock()
	if !l.Quiet {
		l.showLRFind(r)
	}
	return r, l.keep("lrfind")
}

// lrFinder is fastai's LRFinder callback: it saves the learner's state
// before the mini-training, stops it after numIt batches or when the loss
// diverges, and puts the state back however the fit ends.
type lrFinder struct {
	numIt      int
	stopDiv    bool
	best       float64
	diverged   int // the iteration whose smoothed loss was not finite, or -1
	learn      *Learner
	snap       *snapshot
	restoreErr error
}

func (r *lrFinder) BeforeFit(f *FitState) error {
	snap, err := f.Learner.snapshot()
	if err != nil {
		return fmt.Errorf("saving the weights first: %w", err)
	}
	r.learn, r.snap = f.Learner, snap
	return nil
}

func (r *lrFinder) AfterBatch(f *FitState) error {
	if !f.Training || !f.stepped {
		return nil
	}
	iter, s := f.Iter-1, f.SmoothLoss // iter: the schedule's position
	if math.IsNaN(s) || math.IsInf(s, 0) {
		// fastai's LRFinder stops at a NaN loss too; without this,
		// min(best, NaN) made best NaN and s > 4·best never held.
		r.diverged = len(f.Learner.Recorder.Losses) - 1
		return ErrCancelFit
	}
	r.best = min(r.best, s)
	if (r.stopDiv && s > 4*r.best) || iter+1 >= r.numIt {
		return ErrCancelFit
	}
	return nil
}

func (r *lrFinder) CleanUp() {
	if r.snap != nil {
		r.restoreErr = r.learn.restore(r.snap)
	}
}

// LastLRFind returns the last LRFind result (restored across notebook
// cells for a persisted learner), or nil.
func (l *Learner) LastLRFind() *LRFindResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastLRFind
}

// snapshot is a copy of every store variable plus the counters.
type snapshot struct {
	values        map[string]*tensors.Tensor
	iter          uint64
	trainedEpochs int
}

func (l *Learner) snapshot() (*snapshot, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := &snapshot{values: map[string]*tensors.Tensor{}, iter: l.iter, trainedEpochs: l.trainedEpochs}
	for v := range l.store.IterVariables() {
		if !v.HasValue() {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return nil, err
		}
		c, err := t.LocalClone()
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		s.values[v.Path()] = c
	}
	return s, nil
}

// restore puts a snapshot back: variables created since (the optimizer
// state of a first fit) are zeroed, as a fresh optimizer would have them.
func (l *Learner) restore(s *snapshot) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for v := range l.store.IterVariables() {
		t, ok := s.values[v.Path()]
		switch {
		case ok:
			if err := v.SetValue(t); err != nil {
				return err
			}
		case v.HasValue() && !isModelVar(v.Path()):
			if err := v.SetValue(zerosLike(v.Shape())); err != nil {
				return err
			}
		}
	}
	l.iter, l.trainedEpochs = s.iter, s.trainedEpochs
	return nil
}

// hasState says whether the learner's state is more than a fresh
// model's: a graph has run on its store, or the state came from a file.
func (l *Learner) hasState() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.params) > 0 || l.fileVars != nil
}

// ensureBuilt builds and initialises the model (one forward pass on the
// first training batch, else the first validation batch) unless a graph
// has run on this store or its state came from a file: so that every
// variable of the model has a value, not only those InitStore set (a
// pretrained body without its head). Without a batch, the weights set
// through Store are taken as they are; none at all is an error.
func (l *Learner) ensureBuilt() error {
	if l.hasState() {
		return nil
	}
	for _, src := range []BatchSource{l.Data.Train, l.Data.Valid} {
		if src == nil {
			continue
		}
		for b, err := range src.Epoch(0) {
			if err != nil {
				return fmt.Errorf("building the model on its first batch: %w", err)
			}
			if _, _, err := l.evalBatch(b); err != nil {
				return fmt.Errorf("building the model on its first batch: %w", err)
			}
			return nil
		}
	}
	if l.hasWeights() {
		// Set through Store (cnn.LoadFastai): saved as they are; a file
		// that lacks some is refused when its model is built (Load).
		return nil
	}
	return errors.New("the model has no weights yet and the learner has no batch to initialise them from: give it data (learner.Data), or load a learner file (Load)")
}
