package learner

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/gomlx/gomlx/core/graph"
)

// A Callback is any value the training loop calls at the events it has a
// method for — fastai's Callback, in Go's idiom: one small interface per
// event ([BeforeFitter], [AfterBatcher], …), checked with a type
// assertion, so a callback implements only what it needs. Every method
// gets the [FitState] of the fit in progress (the learner, the epoch, the
// iteration, the last loss, the epoch's row with its metrics) and returns
// an error: nil to go on, one of the Cancel errors to stop part of the fit
// cleanly (fastai's CancelFitException family), anything else to abort the
// fit with that error.
//
// Callbacks are given per learner ([Callbacks]) or per fit ([WithCallbacks],
// fastai's cbs=); the loop calls its own ones first (the recorder, the
// progress display), then the learner's, then the fit's, in order, and the
// Keeper's save (notebook persistence) last. A cancel error does not hide
// the event from the callbacks after the one that returned it; any other
// error is returned by the fit naming the callback, the event and the
// epoch. A [Cleaner] is called when the fit ends, however it ends; an
// [Interruptible] when an interrupt arrives.
//
//	type printLoss struct{}
//
//	func (printLoss) AfterEpoch(f *learner.FitState) error {
//		fmt.Printf("epoch %d: valid loss %.4f\n", f.Epoch, f.Row.ValidLoss)
//		return nil
//	}
//
//	err := learn.Fit(3, 1e-3, learner.WithCallbacks(printLoss{}))
//
// Events inside the training step — fastai's after_pred, after_loss,
// before_step, after_backward — run inside the compiled graph here, so
// there is no per-batch Go call for them. What they are used for is
// offered as graph-level hooks: a [LossTransformer] rewrites the loss
// before the gradients are taken (label smoothing, a penalty), a
// [GradientTransformer] rewrites the gradients before the optimizer step
// ([GradientClip]). A fit whose hooks differ compiles its own graph.
type Callback any

// The events, in the order fastai fires them:
//
//	BeforeFit
//	  for each epoch: BeforeEpoch
//	    BeforeTrain, then per training batch BeforeBatch, AfterBatch, then AfterTrain
//	    BeforeValidate, then per validation batch BeforeBatch, AfterBatch, then AfterValidate
//	  AfterEpoch
//	AfterFit
//
// FitState.Training tells training batches from validation ones.
type (
	// BeforeFitter is called once before the first epoch.
	BeforeFitter interface{ BeforeFit(f *FitState) error }
	// AfterFitter is called once at the end, also after a cancelled fit
	// (not after one that failed).
	AfterFitter interface{ AfterFit(f *FitState) error }
	// BeforeEpocher is called at the start of every epoch.
	BeforeEpocher interface{ BeforeEpoch(f *FitState) error }
	// AfterEpocher is called at the end of every epoch, when f.Row holds
	// its losses and metrics.
	AfterEpocher interface{ AfterEpoch(f *FitState) error }
	// BeforeTrainer is called before the training pass of an epoch.
	BeforeTrainer interface{ BeforeTrain(f *FitState) error }
	// AfterTrainer is called after the training pass of an epoch.
	AfterTrainer interface{ AfterTrain(f *FitState) error }
	// BeforeValidater is called before the validation pass of an epoch.
	BeforeValidater interface{ BeforeValidate(f *FitState) error }
	// AfterValidater is called after the validation pass, when f.Row holds
	// the validation loss and metrics.
	AfterValidater interface{ AfterValidate(f *FitState) error }
	// BeforeBatcher is called before each batch (training or validation).
	BeforeBatcher interface{ BeforeBatch(f *FitState) error }
	// AfterBatcher is called after each batch; after a training batch
	// f.Loss is its loss and f.SmoothLoss the recorder's smoothed loss.
	AfterBatcher interface{ AfterBatch(f *FitState) error }
)

// Graph-level hooks: callbacks that change the compiled training step.
type (
	// LossTransformer rewrites the training loss (a scalar float32 node)
	// before the gradients are taken.
	LossTransformer interface {
		TransformLoss(loss *graph.Node) *graph.Node
	}
	// GradientTransformer rewrites the gradients of the trainable
	// parameters (in the same order as params) before the optimizer step.
	GradientTransformer interface {
		TransformGradients(params, grads []*graph.Node) []*graph.Node
	}
	// StepChecker looks at a training step once its graph is built,
	// before it first runs (memory.Check estimates its peak memory). An
	// error refuses the step: the fit ends before any training, returning
	// the error as it is; the graph is built, and checked, again next time.
	StepChecker interface {
		CheckStep(l *Learner, step TrainStep) error
	}
)

// TrainStep is what a StepChecker sees of a training step's graph.
type TrainStep struct {
	// Forward holds the graph's nodes up to the loss: the forward pass,
	// whose outputs the backward pass keeps.
	Forward []*graph.Node
	// BatchSize is the batch size the step is built for.
	BatchSize int
	// Parameters is the number of the model's values (weights, biases,
	// batch-norm statistics; not the optimizer's state).
	Parameters int64
}

// stepRefused is a StepChecker's error on its way out of the step: about
// the fit, not the batch being trained.
type stepRefused struct{ error }

func (r stepRefused) Unwrap() error { return r.error }

// What a callback may do besides the events.
type (
	// Cleaner is called once the fit has ended, however it ended (finished,
	// cancelled or failed), in the callbacks' order: the moment to close
	// files and end progress bars.
	Cleaner interface{ CleanUp() }
	// Interruptible is told at once, from the goroutine that received it,
	// that an interrupt (SIGINT: the notebook's stop button, Ctrl-C; or
	// SIGTERM) arrived during the fit; the fit itself stops at the next
	// batch and returns ErrInterrupted.
	Interruptible interface{ OnInterrupt() }
)

// Errors a callback returns to stop part of a fit cleanly (fastai's
// CancelBatchException and its family). Returned wrapped or not.
var (
	// ErrCancelBatch skips the rest of the batch: from BeforeBatch, the
	// training step itself (AfterBatch still runs).
	ErrCancelBatch = errors.New("learner: batch cancelled by a callback")
	// ErrCancelTrain ends the epoch's training pass; validation runs.
	ErrCancelTrain = errors.New("learner: training pass cancelled by a callback")
	// ErrCancelValidate ends the epoch's validation pass.
	ErrCancelValidate = errors.New("learner: validation cancelled by a callback")
	// ErrCancelEpoch ends the epoch (AfterEpoch still runs).
	ErrCancelEpoch = errors.New("learner: epoch cancelled by a callback")
	// ErrCancelFit ends the fit; AfterFit still runs and the fit returns
	// no error.
	ErrCancelFit = errors.New("learner: fit cancelled by a callback")
)

// FitState is what callbacks see of the fit in progress (fastai's
// attributes of the Learner during fit: epoch, n_epoch, iter, loss, …).
type FitState struct {
	Learner *Learner
	// NEpoch is the number of epochs asked for; Epoch the current one
	// (from 0).
	NEpoch, Epoch int
	// Iter counts the training batches done in this fit; NIter is the
	// number of training batches per epoch.
	Iter, NIter int
	// Batch is the index of the current batch in its pass.
	Batch int
	// Training is true during the training pass, false while validating.
	Training bool
	// LRFind is true in the fits LRFind runs (fastai's
	// hasattr(learn, 'lr_finder')): the trackers, the CSV logger and the
	// live graph sit those out.
	LRFind bool
	// Loss is the last training step's loss; SmoothLoss the recorder's
	// smoothed training loss (NaN before the fit's first step).
	Loss, SmoothLoss float64
	// LRs and Moms are the current batch's learning rates and momentums,
	// one per parameter group (after LRFactor).
	LRs, Moms []float64
	// WDs are the current batch's weight decays, one per parameter group:
	// the fit's weight decay unless a BeforeBatch (ParamScheduler's "wd")
	// changes them for the batch.
	WDs []float64
	// LRFactor multiplies every scheduled learning rate from the next
	// batch on; 1 at the start of a fit. (LRs, Moms and WDs are the
	// batch's own copies: a BeforeBatch may change them for that batch
	// only.)
	LRFactor float64
	// Row is the current epoch's row of the table, NaN until known: its
	// training loss from AfterTrain on, its validation loss and metrics
	// from AfterValidate on (Validated says whether they were computed).
	Row *EpochRow

	// stepped says whether the current training batch ran its step (not
	// cancelled): only those are recorded.
	stepped bool
}

// Monitor returns the value named name in the current epoch's row:
// "train_loss", "valid_loss" or a metric's name ("error_rate") — what
// fastai's tracker callbacks call monitor. ok is false when the epoch has
// no such value yet (validation skipped, unknown name).
func (f *FitState) Monitor(name string) (value float64, ok bool) {
	if f.Row == nil {
		return 0, false
	}
	switch name {
	case "train_loss":
		return f.Row.TrainLoss, true
	case "valid_loss":
		return f.Row.ValidLoss, f.Row.Validated
	}
	for i, m := range f.Learner.Metrics {
		if m.Name == name && i < len(f.Row.Metrics) {
			return f.Row.Metrics[i], f.Row.Validated
		}
	}
	return 0, false
}

// event is one of the loop's events: the method's name, whether a
// callback has the method, and the call. The table below is the one list
// of events: the loop fires them, checkCallback counts them, errors name
// them.
type event struct {
	name string
	has  func(cb any) bool
	call func(cb Callback, f *FitState) error
}

// on makes the event of interface I, whose method is method (a method
// expression, e.g. BeforeFitter.BeforeFit).
func on[I any](name string, method func(I, *FitState) error) *event {
	return &event{
		name: name,
		has:  is[I],
		call: func(cb Callback, f *FitState) error {
			if c, ok := cb.(I); ok {
				return method(c, f)
			}
			return nil
		},
	}
}

// The events, in the order fastai fires them.
var (
	beforeFit      = on("BeforeFit", BeforeFitter.BeforeFit)
	beforeEpoch    = on("BeforeEpoch", BeforeEpocher.BeforeEpoch)
	beforeTrain    = on("BeforeTrain", BeforeTrainer.BeforeTrain)
	beforeBatch    = on("BeforeBatch", BeforeBatcher.BeforeBatch)
	afterBatch     = on("AfterBatch", AfterBatcher.AfterBatch)
	afterTrain     = on("AfterTrain", AfterTrainer.AfterTrain)
	beforeValidate = on("BeforeValidate", BeforeValidater.BeforeValidate)
	afterValidate  = on("AfterValidate", AfterValidater.AfterValidate)
	afterEpoch     = on("AfterEpoch", AfterEpocher.AfterEpoch)
	afterFit       = on("AfterFit", AfterFitter.AfterFit)

	allEvents = []*event{beforeFit, beforeEpoch, beforeTrain, beforeBatch, afterBatch,
		afterTrain, beforeValidate, afterValidate, afterEpoch, afterFit}
)

// fire calls every callback's method for ev in order. A cancel error
// does not hide the event from the callbacks after the one that returned
// it (a CSVLogger after an EarlyStoppingCallback still logs the last
// epoch); the widest cancel is returned once all have run. Any other error
// stops the round at once and is returned naming the callback and event.
func fire(cbs []Callback, ev *event, f *FitState) error {
	var cancel error
	for _, cb := range cbs {
		err := ev.call(cb, f)
		switch {
		case err == nil:
		case cancelScope(err) > 0:
			if cancelScope(err) > cancelScope(cancel) {
				cancel = err
			}
		default:
			return describeErr(cb, ev, f, err)
		}
	}
	return cancel
}

// cancelScope ranks the cancel errors by how much they stop (0: not a
// cancel).
func cancelScope(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrCancelFit):
		return 4
	case errors.Is(err, ErrCancelEpoch):
		return 3
	case errors.Is(err, ErrCancelTrain), errors.Is(err, ErrCancelValidate):
		return 2
	case errors.Is(err, ErrCancelBatch):
		return 1
	}
	return 0
}

// describeErr prefixes a callback's error with the callback's type, the
// event and where the fit was ("*main.myCallback.AfterEpoch, epoch 2:
// …"); the loop's own callbacks say enough themselves.
func describeErr(cb Callback, ev *event, f *FitState, err error) error {
	if loopCallback(cb) {
		return err
	}
	where := ""
	switch ev {
	case beforeFit, afterFit:
	case beforeBatch, afterBatch:
		where = fmt.Sprintf(", epoch %d, batch %d", f.Epoch, f.Batch)
	default:
		where = fmt.Sprintf(", epoch %d", f.Epoch)
	}
	return fmt.Errorf("callback %T.%s%s: %w", cb, ev.name, where, err)
}

// loopCallback says whether cb is one of the loop's own callbacks
// (recorder, progress, persistence, LRFind's), which say enough
// themselves.
func loopCallback(cb Callback) bool {
	_, ok := cb.(interface{ loopCallback() })
	return ok
}

// Callbacks adds callbacks to every fit of the learner (fastai's
// Learner(cbs=...)).
func Callbacks(cbs ...Callback) Option {
	return OptionFunc(func(l *Learner) error {
		for i, cb := range cbs {
			if err := checkCallback(i, cb); err != nil {
				return fmt.Errorf("learner.Callbacks: %w", err)
			}
		}
		l.Cbs = append(l.Cbs, cbs...)
		return nil
	})
}

// WithCallbacks adds callbacks to this fit only (fastai's
// fit(..., cbs=...)).
func WithCallbacks(cbs ...Callback) FitOption {
	return func(o *fitOptions) { o.cbs = append(o.cbs, cbs...) }
}

// hooksSignature names the graph-level hooks among cbs, in order, for the
// compiled-graph cache key ("" when none): each hook's type and exported
// fields (its configuration, baked into the graph), not its unexported
// state, so a hook that counts batches does not recompile at every one,
// and GradientClip{1} and &GradientClip{1} share a graph.
func hooksSignature(cbs []Callback) string {
	var parts []string
	for _, cb := range cbs {
		_, lt := cb.(LossTransformer)
		_, gt := cb.(GradientTransformer)
		if lt || gt {
			parts = append(parts, hookConfig(cb))
		}
	}
	return strings.Join(parts, "|")
}

// hookConfig is a hook's type and the values of its exported fields.
func hookConfig(cb Callback) string {
	v := reflect.ValueOf(cb)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return fmt.Sprintf("%s(%v)", v.Type(), v)
	}
	var b strings.Builder
	b.WriteString(v.Type().String())
	for i := range v.NumField() {
		if fld := v.Type().Field(i); fld.IsExported() {
			fmt.Fprintf(&b, " %s=%v", fld.Name, v.Field(i))
		}
	}
	return b.String()
}
