package main

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
)

// predictFunc classifies one batch of prepared images, one prediction per
// image in order ((*cnn.Predictor).Predict).
type predictFunc func([]vision.Image) ([]learner.Prediction, error)

// batcher is the single dispatcher between concurrent requests and the
// model: it gathers prepared images until maxBatch are waiting or maxWait
// has passed since the first one, runs one forward pass and answers each
// request. The model runs on one goroutine only.
type batcher struct {
	predict  predictFunc
	logf     func(format string, args ...any) // where panics are logged, with their stack
	maxBatch int
	maxWait  time.Duration
	// sizes are the batch sizes the model runs: a batch is padded up to the
	// next one, so that only len(sizes) graphs are ever compiled.
	sizes []int

	jobs chan job
	stop chan struct{}
	done chan struct{}
}

// job is one request waiting for its prediction.
type job struct {
	img   vision.Image
	reply chan<- answer // buffered: the dispatcher never blocks on it
}

// answer is what a request gets back.
type answer struct {
	pred  learner.Prediction
	batch int // how many requests shared the forward pass
	err   error
}

// newBatcher starts the dispatcher goroutine; stop it with close. logf
// (nil: nowhere) gets the stack of a panic in predict.
func newBatcher(predict predictFunc, maxBatch int, maxWait time.Duration, logf func(string, ...any)) *batcher {
	maxBatch = max(maxBatch, 1)
	if logf == nil {
		logf = func(string, ...any) {}
	}
	b := &batcher{
		predict:  predict,
		logf:     logf,
		maxBatch: maxBatch,
		maxWait:  max(maxWait, 0),
		sizes:    batchSizes(maxBatch),
		jobs:     make(chan job),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go b.run()
	return b
}

// batchSizes is 1, 2, 4, … below max, then max.
func batchSizes(max int) []int {
	var s []int
	for n := 1; n < max; n *= 2 {
		s = append(s, n)
	}
	return append(s, max)
}

// padded is the batch size n images run at.
func (b *batcher) padded(n int) int {
	for _, s := range b.sizes {
		if s >= n {
			return s
		}
	}
	return n
}

// classify queues img and waits for its prediction, or for ctx to end.
func (b *batcher) classify(ctx context.Context, img vision.Image) answer {
	reply := make(chan answer, 1)
	select {
	case b.jobs <- job{img, reply}:
	case <-ctx.Done():
		return answer{err: ctx.Err()}
	case <-b.stop:
		return answer{err: errStopped}
	}
	select {
	case a := <-reply:
		return a
	case <-ctx.Done():
		return answer{err: ctx.Err()}
	}
}

var errStopped = errors.New("the server is stopping")

// warm runs one batch of each padded size, so that every graph is compiled
// before the first request. img is any prepared image of the model's size.
func (b *batcher) warm(img vision.Image) error {
	for _, n := range b.sizes {
		batch := make([]vision.Image, n)
		for i := range batch {
			batch[i] = img
		}
		if _, err := b.safePredict(batch); err != nil {
			return fmt.Errorf("warm-up batch of %d: %w", n, err)
		}
	}
	return nil
}

// close stops the dispatcher after the batch it is running; requests
// still queued get errStopped. Call it after the HTTP server has finished
// its requests.
func (b *batcher) close() {
	close(b.stop)
	<-b.done
}

func (b *batcher) run() {
	defer close(b.done)
	batch := make([]job, 0, b.maxBatch)
	for {
		select {
		case j := <-b.jobs:
			batch = append(batch[:0], j)
		case <-b.stop:
			return
		}
		b.gather(&batch)
		b.answer(batch)
	}
}

// gather adds jobs to batch until it is full or maxWait has passed.
func (b *batcher) gather(batch *[]job) {
	if len(*batch) >= b.maxBatch {
		return
	}
	timer := time.NewTimer(b.maxWait)
	defer timer.Stop()
	for len(*batch) < b.maxBatch {
		select {
		case j := <-b.jobs:
			*batch = append(*batch, j)
		case <-timer.C:
			return
		case <-b.stop:
			return
		}
	}
}

// answer runs one forward pass for batch and replies to every job.
func (b *batcher) answer(batch []job) {
	n := len(batch)
	images := make([]vision.Image, b.padded(n))
	for i := range images {
		images[i] = batch[min(i, n-1)].img // padding repeats the last image
	}
	preds, err := b.safePredict(images)
	if err == nil && len(preds) < n {
		err = fmt.Errorf("the model gave %d predictions for %d images", len(preds), n)
	}
	for i, j := range batch {
		a := answer{batch: n, err: err}
		if err == nil {
			a.pred = preds[i]
		}
		j.reply <- a
	}
}

// safePredict is predict with a panic turned into an error, so that a
// failing batch fails only its own requests.
func (b *batcher) safePredict(images []vision.Image) (preds []learner.Prediction, err error) {
	defer func() {
		if r := recover(); r != nil {
			b.logf("fastgo: the model panicked on a batch of %d: %v\n%s", len(images), r, debug.Stack())
			err = fmt.Errorf("the model failed on this batch (panic: %v)", r)
		}
	}()
	return b.predict(images)
}
