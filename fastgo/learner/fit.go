package learner

import (
	"errors"
	"fmt"
	"github.com/fastgo-ml/fastgo/fastgo/tensor"
	"math"
	"time"
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

// FreezeEpochs sets FineTune's number of frozen epochs (1).
func FreezeEpochs(n int) FitOption { return func(o *fitOptions) { o.freezeEpochs = ptrTo(n) } }

func collect(opts []FitOption) fitOptions {
	var o fitOptions
	for _, f := range opts {
		f(&o)
	}
	return o
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
	// stop is called after each batch with its index in the fit; true ends
	// the fit (LRFind).
	stop func(iter int) bool
}

// Fit trains for nEpoch epochs at a constant learning rate (a number or a
// Slice; 0 means Learner.LR), fastai's fit.
func (l *Learner) Fit(nEpoch int, lr LR, opts ...FitOption) error {
	o := collect(opts)
	lrs, err := l.groupLRs(lr)
	if err != nil {
		return err
	}
	mom := l.currentMom()
	moms := make([]float64, len(lrs))
	for i := range moms {
		moms[i] = mom
	}
	return l.runAndPersist(fitSpec{nEpoch: nEpoch, wd: optOr(o.wd, l.weightDecay()), validate: true, show: !l.Quiet, table: true,
		hyper: func(int, float64) ([]float64, []float64) { return lrs, moms }})
}

// FitOneCycle trains for nEpoch epochs with the one-cycle policy, fastai's
// fit_one_cycle: each group's rate follows CombinedCos(pct_start,
// lr_max/div, lr_max, lr_max/div_final) and the momentum
// CombinedCos(pct_start, 0.95, 0.85, 0.95), with t = (training batches
// done)/(nEpoch·batches per epoch). lrMax is a number or a Slice (0 means
// Learner.LR).
func (l *Learner) FitOneCycle(nEpoch int, lrMax LR, opts ...FitOption) error {
	spec, err := l.oneCycleSpec(nEpoch, lrMax, collect(opts))
	if err != nil {
		return err
	}
	return l.runAndPersist(spec)
}

func (l *Learner) oneCycleSpec(nEpoch int, lrMax LR, o fitOptions) (fitSpec, error) {
	maxs, err := l.groupLRs(lrMax)
	if err != nil {
		return fitSpec{}, err
	}
	pct, div, divFinal := optOr(o.pctStart, 0.25), optOr(o.div, 25.0), optOr(o.divFinal, 1e5)
	moms := optOr(o.moms, l.Moms)
	lrScheds := make([]func(float64) float64, len(maxs))
	for i, m := range maxs {
		lrScheds[i] = CombinedCos(pct, m/div, m, m/divFinal)
	}
	momSched := CombinedCos(pct, moms[0], moms[1], moms[2])
	return fitSpec{nEpoch: nEpoch, wd: optOr(o.wd, l.weightDecay()), validate: true, show: !l.Quiet, table: true,
		hyper: func(_ int, t float64) ([]float64, []float64) {
			lrs := make([]float64, len(lrScheds))
			ms := make([]float64, len(lrScheds))
			mom := momSched(t)
			for i, s := range lrScheds {
				lrs[i], ms[i] = s(t), mom
			}
			return lrs, ms
		}}, nil
}

// FineTune is fastai's fine_tune: Freeze and FitOneCycle(FreezeEpochs,
// Slice(BaseLR), PctStart 0.99); then halve BaseLR, Unfreeze and
// FitOneCycle(epochs, Slice(BaseLR/LRMult, BaseLR), PctStart 0.3, Div 5).
// Defaults: BaseLR 2e-3, FreezeEpochs 1, LRMult 100. Div and PctStart
// apply to the second stage; DivFinal, WithWD and Moms to both (fastai's
// **kwargs). Each stage shows its own table, epochs numbered from 0.
func (l *Learner) FineTune(epochs int, opts ...FitOption) error {
	o := collect(opts)
	base := optOr(o.baseLR, 2e-3)
	shared := fitOptions{moms: o.moms, wd: o.wd, divFinal: o.divFinal}
	l.freezeTo(-1)
	first := shared
	first.pctStart = ptrTo(0.99)
	spec, err := l.oneCycleSpec(optOr(o.freezeEpochs, 1), Slice(base), first)
	if err != nil {
		return err
	}
	if err := l.runAndPersist(spec); err != nil {
		return err
	}
	base /= 2
	l.freezeTo(0)
	second := shared
	second.pctStart = ptrTo(optOr(o.pctStart, 0.3))
	second.div = ptrTo(optOr(o.div, 5.0))
	spec, err = l.oneCycleSpec(epochs, Slice(base/optOr(o.lrMult, 100.0), base), second)
	if err != nil {
		return err
	}
	return l.runAndPersist(spec)
}

// groupLRs expands a learning rate for the model's groups (0 or nil: l.LR).
func (l *Learner) groupLRs(lr LR) ([]float64, error) {
	if lr == nil {
		lr = l.LR
	}
	if f, ok := lr.(float64); ok && f == 0 {
		lr = l.LR
	}
	if i, ok := lr.(int); ok && i == 0 {
		lr = l.LR
	}
	return GroupLRs(lr, l.Model.numGroups())
}

// currentMom is the momentum the optimizer holds now: Opt.Mom, or the last
// scheduled value (fastai keeps the last hyper-parameters set).
func (l *Learner) currentMom() float64 {
	if n := len(l.Recorder.Moms); n > 0 {
		return l.Recorder.Moms[n-1]
	}
	return l.Opt.DefaultMom()
}

func (l *Learner) runAndPersist(spec fitSpec) error {
	if err := l.run(spec); err != nil {
		return err
	}
	return l.persist("fit")
}

// run is the training loop shared by every fit and LRFind.
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
	names := make([]string, len(l.Metrics))
	for i, m := range l.Metrics {
		names[i] = m.Name
	}
	rec := l.Recorder
	rec.reset(names)
	var columns []string
	if spec.table {
		columns = rec.Columns()
	}
	view := l.newFitView(spec.nEpoch, columns, spec.show)
	defer view.done()
	total := float64(spec.nEpoch * nb)
	iter := 0
	sawNonFinite := false // said once per fit
	for epoch := range spec.nEpoch {
		start := time.Now()
		bar := view.child(nb)
		i := 0
		stopped := false
		for b, err := range l.Data.Train.Epoch(l.epochs()) {
			if err != nil {
				bar.done()
				return fmt.Errorf("epoch %d, training batch %d: %w", epoch, i, err)
			}
			lrs, moms := spec.hyper(iter, float64(iter)/total)
			loss, err := l.trainStep(b, lrs, moms, spec.wd)
			if err != nil {
				bar.done()
				return fmt.Errorf("epoch %d, training batch %d: %w", epoch, i, err)
			}
			if !finite(loss) && !sawNonFinite && spec.table {
				sawNonFinite = true
				l.logf("train_loss is %v from epoch %d, batch %d (lr %.2e) on: the training diverged. The usual cause is a learning rate too high for the model (LRFind shows where the loss blows up); NaN or huge values in the inputs do it too.",
					loss, epoch, i, lrs[len(lrs)-1])
			}
			smooth := rec.addBatch(loss, lrs[len(lrs)-1], moms[len(moms)-1])
			i++
			iter++
			bar.update(i, tensor.FormatFloat(smooth, 4))
			if spec.stop != nil && spec.stop(iter-1) {
				stopped = true
				break
			}
		}
		bar.done()
		l.trainedEpochs++
		rec.Iters = append(rec.Iters, iter)
		row := EpochRow{Epoch: epoch, TrainLoss: rec.SmoothLoss(), ValidLoss: math.NaN(), Metrics: make([]float64, len(l.Metrics))}
		for j := range row.Metrics {
			row.Metrics[j] = math.NaN()
		}
		if spec.validate && l.Data.Valid != nil {
			vl, ms, n, err := l.validate(view, tensor.FormatFloat(rec.SmoothLoss(), 4))
			if err != nil {
				return fmt.Errorf("epoch %d, validation: %w", epoch, err)
			}
			if n > 0 { // an empty validation set computes nothing: None, not 0
				row.ValidLoss, row.Metrics, row.Validated = vl, ms, true
			}
		}
		row.Time = time.Since(start)
		rec.Rows = append(rec.Rows, row)
		rec.Finished = time.Now()
		view.row(epoch+1, row.Cells())
		if stopped {
			break
		}
	}
	return nil
}

// epochs is the data epoch counter (shuffles differ across fits).
func (l *Learner) epochs() int { return l.trainedEpochs }

// validate runs the validation set: mean per-item loss and the
// batch-size-weighted metrics. Its bar shows comment (the smoothed training
// loss, as fastai's does).
func (l *Learner) validate(view *fitView, comment string) (loss float64, metrics []float64, n int, err error) {
	bar := view.child(l.Data.Valid.Len())
	defer bar.done()
	var lossSum float64
	sums := make([]float64, len(l.Metrics))
	i := 0
	for b, err := range l.Data.Valid.Epoch(0) {
		if err != nil {
			return 0, nil, 0, err
		}
		probs, losses, err := l.evalBatch(b)
		if err != nil {
			return 0, nil, 0, err
		}
		for _, v := range losses {
			lossSum += float64(v)
		}
		nc := len(probs) / max(len(b.Y), 1)
		for j, m := range l.Metrics {
			sums[j] += m.Fn(probs, nc, b.Y) * float64(len(b.Y))
		}
		n += len(b.Y)
		i++
		bar.update(i, comment)
	}
	if n == 0 {
		return math.NaN(), nil, 0, nil
	}
	for j := range sums {
		sums[j] /= float64(n)
	}
	return lossSum / float64(n), sums, n, nil
}

// finite says whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
