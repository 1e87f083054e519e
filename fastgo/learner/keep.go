package learner

import "fmt"

// Keeper keeps a learner's state beyond the process: every GoNB cell is a
// new process, so a notebook's learner would lose its training between
// cells. Package learner/persist is the Keeper notebooks use (KeepWith
// attaches it; cnn.Learner does so by default); the loop only says when.
type Keeper interface {
	// Restore puts back, at New, the state kept earlier (nothing, if this
	// Keeper does not restore). An error fails New.
	Restore(l *Learner) error
	// Keep keeps the state after what changed it: "fit" (after every fit,
	// once the fit's callbacks are done), "lrfind" (once LRFind's result
	// is known) or "freeze" (Freeze, Unfreeze and FreezeTo of a learner
	// that has weights). An error is returned by the fit or LRFind (the
	// training itself finished).
	Keep(l *Learner, what string) error
	// Forget deletes what was kept (Reset).
	Forget(l *Learner) error
	// Where says how the kept state is found again, for the message of an
	// interrupted fit ("saved (persist.Resume(\"first\") restores them)");
	// "" when nothing is kept.
	Where(l *Learner) string
}

// KeepChecker is a Keeper that can tell, before a fit trains, that it
// will not be able to keep the state after it (a read-only, unwritable or
// full folder): the fit is then refused, with its error, instead of its
// training being lost at the end.
type KeepChecker interface {
	// CheckKeep returns why a state of about bytes (0 while the model's
	// size is not known) cannot be kept, or nil. It must not call the
	// learner's methods: it runs while a training graph is built.
	CheckKeep(l *Learner, bytes int64) error
}

// stateBytes is the size of the store's values (0 before the first graph
// is built).
func (l *Learner) stateBytes() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var n int64
	for v := range l.store.IterVariables() {
		n += int64(v.Shape().ByteSize())
	}
	return n
}

// KeepWith attaches a Keeper (notebook persistence: persist.As,
// persist.Resume); nil removes the one attached before. The last KeepWith
// among New's options wins.
func KeepWith(k Keeper) Option {
	return OptionFunc(func(l *Learner) error { l.keeper = k; return nil })
}

// keep has the Keeper, if any, keep the state after what.
func (l *Learner) keep(what string) error {
	if l.keeper == nil {
		return nil
	}
	return l.keeper.Keep(l, what)
}

// StartFrozen creates the learner frozen (all groups but the last, as
// cnn.Learner does for pretrained models) without touching state a
// persisted learner restores.
func StartFrozen() Option {
	return OptionFunc(func(l *Learner) error { l.frozenIdx = l.Model.numGroups() - 1; return nil })
}

// Reset starts over: what the Keeper kept of this learner (if any) is
// deleted and the learner returns to freshly initialised weights, no
// optimizer state, an empty recorder and its initial frozen state.
//
// Errors: ErrBusy (wrapped) while Fit, FitOneCycle, FineTune or LRFind
// runs, and nothing changes; the Keeper cannot delete what it kept (the
// learner is then left as it was); an InitStore function fails on the
// fresh store.
func (l *Learner) Reset() error {
	done, err := l.startFit("Reset")
	if err != nil {
		return err
	}
	defer done()
	if l.keeper != nil {
		if err := l.keeper.Forget(l); err != nil {
			return fmt.Errorf("learner.Reset: %w", err)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.newStore(); err != nil {
		return fmt.Errorf("learner.Reset: %w", err)
	}
	*l.Recorder = Recorder{}
	l.iter, l.trainedEpochs, l.lastLRFind = 0, 0, nil
	l.frozenIdx = l.initialFrozen
	return nil
}

// hasWeights says whether any model variable holds a value yet.
func (l *Learner) hasWeights() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for v := range l.store.IterVariables() {
		if v.HasValue() && isModelVar(v.Path()) {
			return true
		}
	}
	return false
}
