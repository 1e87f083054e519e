package learner

import (
	"iter"

	"github.com/fastgo-ml/fastgo/fastgo"
)

// Batch is one batch as the learner consumes it: uint8 images NHWC
// [B,H,W,3] on the CPU and one class index per image.
type Batch struct {
	X fastgo.ByteTensor
	Y []int

	// done gives X's memory back to the loader that made it, for a later
	// batch (nil: the memory is not the learner's to give).
	done func()
}

// release calls done, once the batch's images are on the device.
func (b Batch) release() {
	if b.done != nil {
		b.done()
	}
}

// BatchSource is a data loader as the learner sees it (fastgo's
// DataLoader satisfies it through [FromDataLoaders]; tests use synthetic
// ones).
type BatchSource interface {
	// Len is the number of batches one epoch yields.
	Len() int
	// Epoch iterates over the batches of the given epoch (0-based); a
	// shuffled source derives its order from its seed and the epoch. The
	// learner may iterate it on a goroutine of its own (Pipelining.Prefetch),
	// one iteration at a time.
	Epoch(epoch int) iter.Seq2[Batch, error]
}

// Data is what a Learner trains on: fastai's DataLoaders.
type Data struct {
	Train, Valid BatchSource
	// Vocab names the classes; len(Vocab) is the number of model outputs.
	Vocab []string
	// BatchTfms run inside the graph, in order, after the uint8→float32/255
	// conversion; those that are not a [device.Transform] are skipped with
	// a warning at construction.
	BatchTfms []fastgo.BatchTransform
	// ItemTfms are the CPU transforms each item went through before
	// collation (the validation loader's, e.g. vision.Resize(460)). The
	// learner does not run them; Export records them so that a program
	// serving the model prepares images the same way.
	ItemTfms []fastgo.ItemTransform
}

// SliceSource is a BatchSource over fixed batches (the same every epoch),
// e.g. fastai's dl=[(x,y)] for GetPreds.
type SliceSource []Batch

// Len implements BatchSource.
func (s SliceSource) Len() int { return len(s) }

// Epoch implements BatchSource.
func (s SliceSource) Epoch(int) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		for _, b := range s {
			if !yield(b, nil) {
				return
			}
		}
	}
}

// FromDataLoaders adapts fastgo's DataLoaders (fastai's dls) for a Learner.
func FromDataLoaders(dls *fastgo.DataLoaders) Data {
	d := Data{BatchTfms: dls.BatchTfms}
	if dls.Train != nil {
		d.Train = loaderSource{dls.Train}
	}
	if dls.Valid != nil {
		d.Valid = loaderSource{dls.Valid}
		d.ItemTfms = dls.Valid.ItemTfms
	}
	if dls.Vocab != nil {
		d.Vocab = []string(dls.Vocab.Items())
	}
	return d
}

// loaderSource is a fastgo.DataLoader as a BatchSource.
type loaderSource struct{ dl *fastgo.DataLoader }

func (s loaderSource) Len() int { return s.dl.Len() }

func (s loaderSource) Epoch(epoch int) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		for b, err := range s.dl.Batches(epoch) {
			if !yield(Batch{X: b.X, Y: []int(b.Y), done: b.Release}, err) {
				return
			}
		}
	}
}
