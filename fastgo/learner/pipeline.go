package learner

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
)

// Pipelining says how the training loop keeps an accelerator busy: what
// it prepares ahead of the step and how often it waits for the device.
// None of it changes a result: losses, metrics and weights are the same
// bit for bit whatever the settings (only when the training stops on a
// callback's word can SyncEvery let a few more steps run, see below).
type Pipelining struct {
	// Prefetch is how many batches are made device tensors ahead of the
	// step — images and labels uploaded, the device transforms' random
	// parameters drawn, the scheduled learning rates and momentums
	// uploaded — on a goroutine of their own, while the current step runs
	// (GoMLX's dataset.NewOnDevice pattern). 0 prepares each batch when
	// its step comes.
	Prefetch int
	// SyncEvery is how many training steps run between two reads of their
	// losses from the device: the loop then does not wait for every step
	// to end before it starts the next. The loss of every batch is still
	// recorded and shown, in order: the AfterBatch events of the steps
	// between two reads run together at the read — at the latest every
	// SyncEvery steps and at the end of each training and validation pass
	// — with the [FitState] each batch had. Only when every callback of
	// the fit that has a BeforeBatch or AfterBatch method is [LagTolerant]
	// (the loop's own ones, [TerminateOnNaNCallback] and
	// [ReduceLROnPlateau] are); otherwise the losses are read every step.
	// A NaN loss is then named (batch and epoch) within SyncEvery steps,
	// and TerminateOnNaNCallback stops the fit up to SyncEvery−1 steps
	// after the batch it names. 1 reads every step.
	SyncEvery int
	// PadValid pads the last, shorter validation batch to the batch size
	// with blank images (their rows are dropped from the outputs, so the
	// loss and metrics are those of the real items): the evaluation graph
	// is compiled for one batch shape rather than two.
	PadValid bool
}

// DefaultPipelining is what a learner on backend b uses unless
// [WithPipelining] says otherwise. On an accelerator: two batches ahead,
// losses read every 8 steps, the validation set padded (compiling a
// second ResNet evaluation graph costs seconds on a GPU). On a backend
// whose buffers are the host's memory (the pure-Go backend, XLA on the
// CPU; compute.Backend.HasSharedBuffers) there is no transfer to hide and
// execution is synchronous: nothing ahead, a read every step, no padding
// (a padded row costs as much compute as a real one there).
func DefaultPipelining(b compute.Backend) Pipelining {
	if b == nil || b.HasSharedBuffers() {
		return Pipelining{Prefetch: 0, SyncEvery: 1}
	}
	return Pipelining{Prefetch: 2, SyncEvery: 8, PadValid: true}
}

// WithPipelining sets the learner's [Pipelining] (default
// [DefaultPipelining] of its backend). It refuses a negative Prefetch or
// a SyncEvery below 1.
func WithPipelining(p Pipelining) Option {
	return OptionFunc(func(l *Learner) error {
		if p.Prefetch < 0 {
			return fmt.Errorf("learner.WithPipelining: Prefetch %d: give 0 (none) or more batches", p.Prefetch)
		}
		if p.SyncEvery < 1 {
			return fmt.Errorf("learner.WithPipelining: SyncEvery %d: give 1 (read every step's loss) or more", p.SyncEvery)
		}
		l.pipe = &p
		return nil
	})
}

// Pipelining is the learner's pipelining (see [WithPipelining]).
func (l *Learner) Pipelining() Pipelining {
	if l.pipe == nil {
		return DefaultPipelining(l.backend)
	}
	return *l.pipe
}

// LagTolerant is a callback whose AfterBatch may run late (see
// Pipelining.SyncEvery): up to SyncEvery batches after its batch, after
// the BeforeBatch and the step of the batches that follow, with the
// [FitState] of its own batch (Epoch, Batch, Iter, LRs, Moms, Loss,
// SmoothLoss). Its BeforeBatch, if any, must not read the loss, which may
// be some batches old then. A fit whose every callback with a
// BeforeBatch or AfterBatch method is LagTolerant reads its losses every
// SyncEvery steps; any other makes it read them at every step.
type LagTolerant interface{ ToleratesLag() }

// lagAllowed says whether the fit's callbacks let batch events lag.
func lagAllowed(cbs []Callback) bool {
	for _, cb := range cbs {
		if !beforeBatch.has(cb) && !afterBatch.has(cb) {
			continue
		}
		if _, ok := cb.(LagTolerant); !ok {
			return false
		}
	}
	return true
}

// batchRecord is one batch whose AfterBatch waits for its outputs to be
// read from the device.
type batchRecord struct {
	// The FitState of the batch at its AfterBatch.
	epoch, batch, iter int
	training, stepped  bool
	lrs, moms          []float64
	// Training: the loss (scalar float32); validation: the activations
	// [B,C] and per-item losses [B] of the first n rows, and the labels.
	outs   []*tensors.Tensor
	n      int
	labels []int
}

func (r *batchRecord) free() {
	for _, t := range r.outs {
		if t != nil {
			t.FinalizeAll()
		}
	}
	r.outs = nil
}

// batchEvents holds the batches of one pass whose AfterBatch has not run
// yet, and runs them when their outputs are read: every `every` batches,
// or when the pass ends.
type batchEvents struct {
	cbs   []Callback
	f     *FitState
	every int
	queue []*batchRecord
	// read turns a validation batch's outputs into its part of the
	// pass's sums (nil in training).
	read func(r *batchRecord) error
}

// add queues a finished batch; when the queue is full, the outputs are
// read and the AfterBatch events run.
func (q *batchEvents) add(r *batchRecord) error {
	q.queue = append(q.queue, r)
	if len(q.queue) < q.every {
		return nil
	}
	return q.flush()
}

// flush reads the queued batches' outputs, in order, and runs their
// AfterBatch with the FitState each had; the state of the batch in
// progress is put back after. An error from a callback ends the round
// (the batches after it get no event, as in a loop that stopped there)
// and is returned.
func (q *batchEvents) flush() error {
	if len(q.queue) == 0 {
		return nil
	}
	f := q.f
	saved := *f
	defer q.drop()
	for _, r := range q.queue {
		f.Epoch, f.Batch, f.Iter, f.Training, f.stepped = r.epoch, r.batch, r.iter, r.training, r.stepped
		f.LRs, f.Moms = r.lrs, r.moms
		if r.training && r.stepped {
			f.Loss = float64(tensors.ToScalar[float32](r.outs[0]))
		}
		if !r.training && q.read != nil && r.outs != nil {
			if err := q.read(r); err != nil {
				return err
			}
		}
		r.free()
		if err := fire(q.cbs, afterBatch, f); err != nil {
			// f stays at this batch: the loop stopped here.
			return err
		}
	}
	f.Epoch, f.Batch, f.Iter, f.Training, f.stepped = saved.Epoch, saved.Batch, saved.Iter, saved.Training, saved.stepped
	f.LRs, f.Moms = saved.LRs, saved.Moms
	return nil
}

// drop frees the queued batches without running their events (a pass
// ending on an error).
func (q *batchEvents) drop() {
	for _, r := range q.queue {
		r.free()
	}
	q.queue = q.queue[:0]
}
