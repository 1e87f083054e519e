package learner

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/backend"
	"github.com/fastgo-ml/fastgo/fastgo/learner/prefetch"
	"github.com/gomlx/gomlx/core/tensors"
)

// FitOption tunes Fit, FitOneCycle and FineTune (fastai's keyword
// arguments).
type FitOption func(*fitOptions)

type fitOptions struct {
	div, divFinal, pctStart *float64
	moms                    *[3]float64
	wd                      *float64
	baseLR, lrMult          *float64
	freezeEpochs            *int
	cbs                     []Callback
}

func ptrTo[T any](v T) *T { return &v }

// Div sets the one-cycle start rate lr_max/div (25; FineTune's second
// stage: 5).
func Div(div float64) FitOption { return func(o *fitOptions) { o.div = ptrTo(div) } }

// DivFinal sets the one-cycle final rate lr_max/div_final (1e5).
func DivFinal(d float64) FitOption { return func(o *fitOptions) { o.divFinal = ptrTo(d) } }

// PctStart sets the fraction of a one-cycle spent warming up (0.25;
// FineTune's second stage: 0.3).
func PctStart(p float64) FitOption { return func(o *fitOptions) { o.pctStart = ptrTo(p) } }

// Moms sets the one-cycle momentum schedule (0.95, 0.85, 0.95).
func Moms(start, middle, end float64) FitOption {
	return func(o *fitOptions) { o.moms = &[3]float64{start, middle, end} }
}

// WithWD sets the weight decay of this fit (default: the learner's, see WD).
func WithWD(wd float64) FitOption { return func(o *fitOptions) { o.wd = ptrTo(wd) } }

// BaseLR sets FineTune's base learning rate (2e-3).
func BaseLR(lr float64) FitOption { return func(o *fitOptions) { o.baseLR = ptrTo(lr) } }

// LRMult sets FineTune's ratio between the last and first group's rates
// in the unfrozen stage (100).
func LRMult(m float64) FitOption { return func(o *fitOptions) { o.lrMult = ptrTo(m) } }

// FreezeEpochs sets FineTune's number of frozen epochs (1); 0 skips the
// frozen stage (fastai's freeze_epochs=0), a negative number is refused.
func FreezeEpochs(n int) FitOption { return func(o *fitOptions) { o.freezeEpochs = ptrTo(n) } }

func collect(opts []FitOption) fitOptions {
	var o fitOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// check refuses option values that would train on NaN rates or a broken
// schedule, before any training (fastai would train with them).
func (o fitOptions) check() error {
	positive := func(name string, p *float64) error {
		if p != nil && (!(*p > 0) || math.IsInf(*p, 1)) {
			return fmt.Errorf("%s(%g): give a finite number > 0", name, *p)
		}
		return nil
	}
	for _, err := range []error{
		positive("Div", o.div), positive("DivFinal", o.divFinal), positive("BaseLR", o.baseLR), positive("LRMult", o.lrMult),
	} {
		if err != nil {
			return err
		}
	}
	if o.pctStart != nil && !(*o.pctStart >= 0 && *o.pctStart <= 1) {
		return fmt.Errorf("PctStart(%g): give the warm-up's fraction of the fit, in [0, 1]", *o.pctStart)
	}
	if o.moms != nil {
		for _, m := range o.moms {
			if !(m >= 0 && m < 1) {
				return fmt.Errorf("Moms(%g, %g, %g): each momentum must be in [0, 1)", o.moms[0], o.moms[1], o.moms[2])
			}
		}
	}
	if o.wd != nil && (!(*o.wd >= 0) || math.IsInf(*o.wd, 1)) {
		return fmt.Errorf("WithWD(%g): give a weight decay ≥ 0", *o.wd)
	}
	return nil
}

func optOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// hypers gives the per-group learning rates and momentums at position t
// (the fraction of the fit's training batches done).
type hypers func(iter int, t float64) (lrs, moms []float64)

// fitSpec is one run of the training loop.
type fitSpec struct {
	nEpoch   int
	hyper    hypers
	wd       float64
	validate bool
	show     bool
	// table shows the epoch table (off for LRFind).
	table bool
	// cbs are the fit's own callbacks (WithCallbacks, LRFind's).
	cbs []Callback
	// lrFind marks LRFind's fit.
	lrFind bool
	// keep names the state kept after the fit ("" for none: LRFind keeps
	// it once its result is known).
	keep string
}

// Fit trains for nEpoch epochs at a constant learning rate (a number or a
// Slice; 0 means Learner.LR), fastai's fit.
//
// Errors: ErrBusy while another fit runs; a setting that cannot train
// (option values, the learning rate, no training batches), refused before
// any training; a batch that fails to load or to run (naming the epoch
// and batch); a callback's error (naming it and the event); a
// StepChecker's refusal (memory.Check), before the first step; the
// Keeper's failure to keep the state after the fit; ErrInterrupted
// (wrapped) when SIGINT or SIGTERM stopped it (see the package doc).
func (l *Learner) Fit[R LR](nEpoch int, lr R, opts ...FitOption) error {
	done, err := l.startFit("Fit")
	if err != nil {
		return err
	}
	defer done()
	o := collect(opts)
	if err := o.check(); err != nil {
		return fmt.Errorf("Fit: %w", err)
	}
	lrs, err := groupLRs(l, lr)
	if err != nil {
		return fmt.Errorf("Fit: %w", err)
	}
	mom := l.currentMom()
	moms := make([]float64, len(lrs))
	for i := range moms {
		moms[i] = mom
	}
	return l.run(fitSpec{nEpoch: nEpoch, wd: optOr(o.wd, l.weightDecay()), validate: true, show: !l.Quiet, table: true,
		cbs: o.cbs, keep: "fit", hyper: func(int, float64) ([]float64, []float64) { return lrs, moms }})
}

// FitOneCycle trains for nEpoch epochs with the one-cycle policy, fastai's
// fit_one_cycle: each group's rate follows CombinedCos(pct_start,
// lr_max/div, lr_max, lr_max/div_final) and the momentum
// CombinedCos(pct_start, 0.95, 0.85, 0.95), with t = (training batches
// done)/(nEpoch·batches per epoch). lrMax is a number or a Slice (0 means
// Learner.LR). Errors are Fit's.
func (l *Learner) FitOneCycle[R LR](nEpoch int, lrMax R, opts ...FitOption) error {
	done, err := l.startFit("FitOneCycle")
	if err != nil {
		return err
	}
	defer done()
	o := collect(opts)
	if err := o.check(); err != nil {
		return fmt.Errorf("FitOneCycle: %w", err)
	}
	maxs, err := groupLRs(l, lrMax)
	if err != nil {
		return fmt.Errorf("FitOneCycle: %w", err)
	}
	return l.run(l.oneCycleSpec(nEpoch, maxs, o))
}

// oneCycleSpec is the one-cycle fit with maxs, one peak rate per group.
func (l *Learner) oneCycleSpec(nEpoch int, maxs []float64, o fitOptions) fitSpec {
	pct, div, divFinal := optOr(o.pctStart, 0.25), optOr(o.div, 25.0), optOr(o.divFinal, 1e5)
	moms := optOr(o.moms, l.Moms)
	lrScheds := make([]func(float64) float64, len(maxs))
	for i, m := range maxs {
		lrScheds[i] = CombinedCos(pct, m/div, m, m/divFinal)
	}
	momSched := CombinedCos(pct, moms[0], moms[1], moms[2])
	return fitSpec{nEpoch: nEpoch, wd: optOr(o.wd, l.weightDecay()), validate: true, show: !l.Quiet, table: true,
		cbs: o.cbs, keep: "fit",
		hyper: func(_ int, t float64) ([]float64, []float64) {
			lrs := make([]float64, len(lrScheds))
			ms := make([]float64, len(lrScheds))
			mom := momSched(t)
			for i, s := range lrScheds {
				lrs[i], ms[i] = s(t), mom
			}
			return lrs, ms
		}}
}

// FineTune is fastai's fine_tune: Freeze and FitOneCycle(FreezeEpochs,
// Slice(BaseLR), PctStart 0.99); then halve BaseLR, Unfreeze and
// FitOneCycle(epochs, Slice(BaseLR/LRMult, BaseLR), PctStart 0.3, Div 5).
// Defaults: BaseLR 2e-3, FreezeEpochs 1, LRMult 100. Div and PctStart
// apply to the second stage; DivFinal, WithWD and Moms to both (fastai's
// **kwargs). Each stage shows its own table, epochs numbered from 0.
// FreezeEpochs(0) skips the frozen stage, as fastai's fit_one_cycle(0)
// trains nothing, but the unfrozen stage still runs at the halved BaseLR:
// Slice(BaseLR/2/LRMult, BaseLR/2) (fastai also prints an empty table and
// fires its callbacks' before_fit and after_fit for the empty stage; we
// show and fire nothing for it).
// Errors are Fit's, naming the stage; every argument is checked before
// the first stage, and an error in the first stage (ErrInterrupted
// included) ends FineTune there, frozen.
func (l *Learner) FineTune(epochs int, opts ...FitOption) error {
	done, err := l.startFit("FineTune")
	if err != nil {
		return err
	}
	defer done()
	o := collect(opts)
	if err := o.check(); err != nil {
		return fmt.Errorf("FineTune: %w", err)
	}
	base := optOr(o.baseLR, 2e-3)
	// Every argument, the callbacks' settings included, is checked before
	// any training, freezing or saving happens.
	if epochs < 1 {
		return fmt.Errorf("FineTune(%d): give at least 1 epoch", epochs)
	}
	freezeEpochs := optOr(o.freezeEpochs, 1)
	if freezeEpochs < 0 {
		return fmt.Errorf("FineTune: FreezeEpochs(%d): give 0 (no frozen stage) or more frozen epochs", freezeEpochs)
	}
	if !(base > 0) || math.IsInf(base, 0) {
		return fmt.Errorf("FineTune: BaseLR(%g): the learning rate must be a positive number", base)
	}
	if err := l.checkCallbacks(o.cbs, false); err != nil {
		return fmt.Errorf("FineTune: %w", err)
	}
	if err := l.checkMetrics(); err != nil {
		return fmt.Errorf("FineTune: %w", err)
	}
	if wd := optOr(o.wd, l.weightDecay()); !(wd >= 0) || math.IsInf(wd, 1) {
		return fmt.Errorf("FineTune: weight decay %g: give a number ≥ 0 (fastai's Adam uses 0.01)", wd)
	}
	shared := fitOptions{moms: o.moms, wd: o.wd, divFinal: o.divFinal, cbs: o.cbs}
	l.freezeTo(-1)
	first := shared
	first.pctStart = ptrTo(0.99)
	maxs, err := groupLRs(l, Slice(base))
	if err != nil {
		return err
	}
	if freezeEpochs > 0 { // fastai's fit_one_cycle(0) trains nothing
		if err := l.run(l.oneCycleSpec(freezeEpochs, maxs, first)); err != nil {
			return fmt.Errorf("FineTune, frozen stage: %w", err)
		}
	}
	base /= 2 // halved even with no frozen stage, as in fastai
	l.freezeTo(0)
	second := shared
	second.pctStart = ptrTo(optOr(o.pctStart, 0.3))
	second.div = ptrTo(optOr(o.div, 5.0))
	if maxs, err = groupLRs(l, Slice(base/optOr(o.lrMult, 100.0), base)); err != nil {
		return err
	}
	if err := l.run(l.oneCycleSpec(epochs, maxs, second)); err != nil {
		return fmt.Errorf("FineTune, unfrozen stage: %w", err)
	}
	return nil
}

// groupLRs expands a learning rate for l's groups (0: l.LR).
func groupLRs[R LR](l *Learner, lr R) ([]float64, error) {
	n := l.Model.numGroups()
	if r := readLR(lr); r.isNumber && r.number == 0 {
		return GroupLRs(l.LR, n)
	}
	return GroupLRs(lr, n)
}

// currentMom is the momentum the optimizer holds now: Opt.Mom, or the last
// scheduled value (fastai keeps the last hyper-parameters set).
func (l *Learner) currentMom() float64 {
	if n := len(l.Recorder.Moms); n > 0 {
		return l.Recorder.Moms[n-1]
	}
	return l.Opt.DefaultMom()
}

// run is the training loop shared by every fit and LRFind: fastai's
// _do_fit, events and all. What the loop shows and keeps — the recorder,
// the progress bars and table, the note on a diverging loss, the Keeper's
// save — are callbacks like the user's (callbacks_builtin.go).
func (l *Learner) run(spec fitSpec) error {
	if spec.nEpoch < 1 {
		return fmt.Errorf("fit for %d epochs: give at least 1", spec.nEpoch)
	}
	if l.Data.Train == nil {
		return errors.New("fit: this learner has no training data (made by LoadExported?): create it with learner.New")
	}
	nb := l.Data.Train.Len()
	if nb < 1 {
		return errors.New("fit: the training set yields no batches: it holds fewer items than one batch, and a training loader drops the last partial batch (drop_last); lower the batch size (fastgo.WithBatchSize) or add data")
	}
	if err := l.checkCallbacks(spec.cbs, spec.lrFind); err != nil {
		return err
	}
	if spec.validate {
		if err := l.checkMetrics(); err != nil {
			return err
		}
	}
	if !(spec.wd >= 0) || math.IsInf(spec.wd, 1) {
		return fmt.Errorf("weight decay %g: give a number ≥ 0 (fastai's Adam uses 0.01)", spec.wd)
	}
	f := &FitState{Learner: l, NEpoch: spec.nEpoch, NIter: nb, LRFactor: 1, LRFind: spec.lrFind, SmoothLoss: math.NaN(), Loss: math.NaN()}
	defer backend.FitGCTarget(l.backend)() // the collector's target while it trains (pure-Go backend)
	cbs, watch := l.fitCallbacks(spec)
	err := l.runEvents(spec, cbs, f)
	// Known once the callbacks are cleaned up: the watch has then said
	// where the fit stopped and delivered the signal again (a program
	// without a handler of its own ends there).
	if ierr := watch.err(); ierr != nil {
		if err != nil {
			return fmt.Errorf("%w; then: %w", ierr, err)
		}
		return ierr
	}
	return err
}

// runEvents fires the fit's events, from BeforeFit to AfterFit, then
// cleans the callbacks up.
func (l *Learner) runEvents(spec fitSpec, cbs []Callback, f *FitState) error {
	l.hooks = cbs
	defer func() { l.hooks = nil }()
	defer cleanUp(cbs)
	err := fire(cbs, beforeFit, f)
	if err == nil {
		err = l.doEpochs(spec, cbs, f)
	}
	if errors.Is(err, ErrCancelFit) {
		err = nil
	}
	if err != nil {
		return err
	}
	if err := fire(cbs, afterFit, f); err != nil && !errors.Is(err, ErrCancelFit) {
		return err
	}
	return nil
}

// doEpochs runs the epochs: training pass, validation pass, AfterEpoch.
func (l *Learner) doEpochs(spec fitSpec, cbs []Callback, f *FitState) error {
	total := float64(spec.nEpoch * f.NIter)
	for epoch := range spec.nEpoch {
		f.Epoch = epoch
		start := time.Now()
		row := EpochRow{Epoch: epoch, TrainLoss: math.NaN(), ValidLoss: math.NaN(), Metrics: make([]float64, len(l.Metrics))}
		for j := range row.Metrics {
			row.Metrics[j] = math.NaN()
		}
		f.Row = &row
		err := withEvents(cbs, f, beforeEpoch, afterEpoch, ErrCancelEpoch, func() error {
			defer func() { row.Time = time.Since(start) }()
			if err := l.trainPass(spec, cbs, f, total); err != nil {
				return err
			}
			if spec.validate && l.Data.Valid != nil {
				if err := l.validatePass(cbs, f); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// withEvents runs body between the before and after events, as fastai's
// _with_events: a cancel error from the before event or the body ends the
// part early and the after event still runs; any other error returns at
// once.
func withEvents(cbs []Callback, f *FitState, before, after *event, cancel error, body func() error) error {
	err := fire(cbs, before, f)
	if err == nil {
		err = body()
	}
	if err != nil && !errors.Is(err, cancel) {
		return err
	}
	return fire(cbs, after, f)
}

// trainPass is one epoch's training batches. The batches are made
// device tensors ahead of their steps (Pipelining.Prefetch) and their
// AfterBatch events run when their losses are read (Pipelining.SyncEvery,
// pipeline.go); with neither, it is fastai's loop as written.
func (l *Learner) trainPass(spec fitSpec, cbs []Callback, f *FitState, total float64) error {
	f.Training, f.Batch = true, 0
	defer func() { l.mu.Lock(); l.trainedEpochs++; l.mu.Unlock() }() // the next epoch shuffles anew
	return withEvents(cbs, f, beforeTrain, afterTrain, ErrCancelTrain, func() error {
		pipe := l.Pipelining()
		events := &batchEvents{cbs: cbs, f: f, every: 1}
		if lagAllowed(cbs) {
			events.every = pipe.SyncEvery
		}
		defer events.drop()
		// The prefetcher runs ahead on its own goroutine: it knows the
		// batch counter and schedule position each batch will have if no
		// callback cancels a step; the step checks (trainStepOn).
		counter, iter := l.iter, f.Iter
		prepare := func(b Batch) (*stepInput, error) {
			in := l.upload(b, 0)
			if in.err == nil {
				err := l.drawOnDevice(in, fastgo.Train, counter)
				if err == nil {
					lrs, moms := spec.hyper(iter, float64(iter)/total)
					err = l.hyperOnDevice(in, lrs, moms, slices.Repeat([]float64{spec.wd}, len(lrs)))
				}
				if err != nil {
					in.free()
					in.err = err
				}
			}
			counter, iter = counter+1, iter+1
			return in, nil
		}
		// fail reports what stopped the pass once the batches before it
		// have had their AfterBatch, as in a loop that read every loss.
		fail := func(err error) error {
			if ferr := events.flush(); ferr != nil {
				return ferr
			}
			return err
		}
		for in, err := range prefetch.Ahead(l.Data.Train.Epoch(l.epochs()), pipe.Prefetch, prepare, (*stepInput).free) {
			if err != nil {
				return fail(fmt.Errorf("epoch %d, training batch %d: %w", f.Epoch, f.Batch, err))
			}
			lrs, moms := spec.hyper(f.Iter, float64(f.Iter)/total)
			f.LRs, f.Moms, f.WDs = scaled(lrs, f.LRFactor), slices.Clone(moms), slices.Repeat([]float64{spec.wd}, len(lrs))
			f.stepped = false
			rec := &batchRecord{epoch: f.Epoch, batch: f.Batch, training: true}
			// As withEvents, but the batch counts as done (f.Iter, the
			// schedule's position) even when cancelled, as fastai's
			// train_iter.
			err := fire(cbs, beforeBatch, f)
			if err == nil {
				var loss *tensors.Tensor
				if loss, err = l.trainStepOn(in, f.LRs, f.Moms, f.WDs); err != nil {
					in.free()
					if r, refused := err.(stepRefused); refused {
						return fail(r.error) // about the fit, not this batch
					}
					return fail(fmt.Errorf("epoch %d, training batch %d: %w", f.Epoch, f.Batch, err))
				}
				rec.outs, rec.stepped, f.stepped = []*tensors.Tensor{loss}, true, true
			}
			in.free() // the inputs' device memory, now rather than at the next GC
			if err != nil && !errors.Is(err, ErrCancelBatch) {
				return fail(err)
			}
			f.Iter++
			rec.iter, rec.lrs, rec.moms = f.Iter, f.LRs, f.Moms
			if err := events.add(rec); err != nil {
				return err
			}
			f.Batch++
		}
		return events.flush()
	})
}

// validatePass is one epoch's validation: the mean per-item loss and the
// metrics — batch-size-weighted means, or, for an AccumMetric, computed
// once over every batch's predictions — into f.Row. A validation cancelled part
// way leaves them unset (Validated false) rather than computed from a
// part of the set. Batches are prepared ahead and read in groups as in
// trainPass; the last, shorter one is padded when Pipelining.PadValid.
func (l *Learner) validatePass(cbs []Callback, f *FitState) error {
	f.Training, f.Batch = false, 0
	return withEvents(cbs, f, beforeValidate, afterValidate, ErrCancelValidate, func() error {
		var lossSum float64
		sums := make([]float64, len(l.Metrics))
		n := 0
		// What the accumulating metrics are computed on at the end: every
		// batch's activations and targets, in dataset order.
		accumulate := slices.ContainsFunc(l.Metrics, func(m Metric) bool { return m.Accumulate })
		var allProbs []float32
		var allTargets []int
		pipe := l.Pipelining()
		events := &batchEvents{cbs: cbs, f: f, every: 1, read: func(r *batchRecord) error {
			probs, losses, err := readEval(r.outs, r.n)
			if err != nil {
				return fmt.Errorf("epoch %d, validation: %w", f.Epoch, err)
			}
			for _, v := range losses {
				lossSum += float64(v)
			}
			nc := len(probs) / max(r.n, 1)
			for j, m := range l.Metrics {
				if !m.Accumulate {
					sums[j] += m.Fn(probs, nc, r.labels) * float64(r.n)
				}
			}
			if accumulate {
				allProbs, allTargets = append(allProbs, probs...), append(allTargets, r.labels...)
			}
			n += r.n
			return nil
		}}
		if lagAllowed(cbs) {
			events.every = pipe.SyncEvery
		}
		defer events.drop()
		padTo := 0 // the first batch's size, when padding
		prepare := func(b Batch) (*stepInput, error) {
			if pipe.PadValid && padTo == 0 {
				padTo = len(b.Y)
			}
			in := l.upload(b, padTo)
			if in.err == nil {
				if err := l.drawOnDevice(in, fastgo.Valid, 0); err != nil {
					in.free()
					in.err = err
				}
			}
			return in, nil
		}
		fail := func(err error) error {
			if ferr := events.flush(); ferr != nil {
				return ferr
			}
			return err
		}
		for in, err := range prefetch.Ahead(l.Data.Valid.Epoch(0), pipe.Prefetch, prepare, (*stepInput).free) {
			if err != nil {
				return fail(fmt.Errorf("epoch %d, validation: %w", f.Epoch, err))
			}
			rec := &batchRecord{epoch: f.Epoch, batch: f.Batch, iter: f.Iter, stepped: f.stepped, lrs: f.LRs, moms: f.Moms}
			err := fire(cbs, beforeBatch, f)
			if err == nil {
				outs, err := l.evalOn(in)
				if err != nil {
					in.free()
					return fail(fmt.Errorf("epoch %d, validation: %w", f.Epoch, err))
				}
				rec.outs, rec.n, rec.labels = outs, in.n, in.labels
			}
			in.free()
			if err != nil && !errors.Is(err, ErrCancelBatch) {
				return fail(err)
			}
			if err := events.add(rec); err != nil {
				return err
			}
			f.Batch++
		}
		if err := events.flush(); err != nil {
			return err
		}
		if n > 0 { // an empty validation set computes nothing: None, not 0
			for j, m := range l.Metrics {
				if m.Accumulate {
					sums[j] = m.Fn(allProbs, len(allProbs)/n, allTargets)
				} else {
					sums[j] /= float64(n)
				}
			}
			f.Row.ValidLoss, f.Row.Metrics, f.Row.Validated = lossSum/float64(n), sums, true
		}
		return nil
	})
}

// scaled is lrs times factor, a copy: the batch's own, which callbacks may
// change without changing the schedule.
func scaled(lrs []float64, factor float64) []float64 {
	out := make([]float64, len(lrs))
	for i, v := range lrs {
		out[i] = v * factor
	}
	return out
}

// epochs is the data epoch counter (shuffles differ across fits).
func (l *Learner) epochs() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.trainedEpochs
}

// finite says whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
