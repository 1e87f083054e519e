package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
)

// recorder is a fake model: each prediction's Index is its image's width,
// and it records the batch sizes it ran.
type recorder struct {
	mu    sync.Mutex
	sizes []int
	delay time.Duration
	fail  func(n int) error // nil: never
	panic bool
}

func (r *recorder) predict(images []vision.Image) ([]learner.Prediction, error) {
	r.mu.Lock()
	r.sizes = append(r.sizes, len(images))
	r.mu.Unlock()
	time.Sleep(r.delay)
	if r.panic {
		panic("boom")
	}
	if r.fail != nil {
		if err := r.fail(len(images)); err != nil {
			return nil, err
		}
	}
	out := make([]learner.Prediction, len(images))
	for i, m := range images {
		out[i] = learner.Prediction{Index: m.W, Probs: []float32{1}}
	}
	return out, nil
}

func (r *recorder) batches() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.sizes...)
}

// classifyAll sends n requests at once (image widths 1..n) and returns
// the answers in that order.
func classifyAll(b *batcher, n int) []answer {
	out := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { out[i] = b.classify(context.Background(), vision.Image{W: i + 1}) })
	}
	wg.Wait()
	return out
}

func TestBatcherSharesAForwardPass(t *testing.T) {
	r := &recorder{}
	b := newBatcher(r.predict, 8, time.Minute, nil) // only a full batch goes
	defer b.close()
	for i, a := range classifyAll(b, 8) {
		if a.err != nil || a.batch != 8 || a.pred.Index != i+1 {
			t.Errorf("request %d: %+v, want its own prediction from a batch of 8", i+1, a)
		}
	}
	if got := r.batches(); len(got) != 1 || got[0] != 8 {
		t.Errorf("forward passes %v, want one of 8", got)
	}
}

func TestBatcherRespectsMaxBatch(t *testing.T) {
	r := &recorder{delay: 20 * time.Millisecond} // requests pile up meanwhile
	b := newBatcher(r.predict, 4, 50*time.Millisecond, nil)
	defer b.close()
	for i, a := range classifyAll(b, 21) {
		if a.err != nil || a.batch < 1 || a.batch > 4 || a.pred.Index != i+1 {
			t.Errorf("request %d: %+v, want its own prediction from a batch of 1-4", i+1, a)
		}
	}
	total := 0
	for _, n := range r.batches() {
		if n != 1 && n != 2 && n != 4 {
			t.Errorf("a forward pass of %d images, want 1, 2 or 4 (padded, at most -max-batch)", n)
		}
		total += n
	}
	if total < 21 {
		t.Errorf("forward passes %v cover %d images, want ≥ 21", r.batches(), total)
	}
}

// A lone request waits -max-wait for company, then runs alone; three run
// padded to four.
func TestBatcherMaxWaitAndPadding(t *testing.T) {
	r := &recorder{}
	b := newBatcher(r.predict, 16, 30*time.Millisecond, nil)
	defer b.close()
	start := time.Now()
	a := b.classify(context.Background(), vision.Image{W: 7})
	if a.err != nil || a.batch != 1 || a.pred.Index != 7 {
		t.Errorf("lone request: %+v", a)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("answered in %v, before -max-wait", d)
	}
	answers := classifyAll(b, 3)
	for i, a := range answers {
		if a.err != nil || a.pred.Index != i+1 {
			t.Errorf("request %d of 3: %+v", i+1, a)
		}
	}
	if got := r.batches(); got[len(got)-1] != 4 && answers[0].batch == 3 {
		t.Errorf("3 requests ran as a batch of %d, want 4 (padded)", got[len(got)-1])
	}
	if got := batchSizes(16); len(got) != 5 || got[4] != 16 {
		t.Errorf("batchSizes(16) = %v", got)
	}
	if got := batchSizes(12); got[len(got)-1] != 12 || got[len(got)-2] != 8 {
		t.Errorf("batchSizes(12) = %v", got)
	}
}

func TestBatcherFailingBatchAnswersEveryRequest(t *testing.T) {
	for name, r := range map[string]*recorder{
		"error": {fail: func(n int) error { return errors.New("out of memory") }},
		"panic": {panic: true},
	} {
		t.Run(name, func(t *testing.T) {
			var logged strings.Builder
			var mu sync.Mutex
			logf := func(f string, args ...any) { mu.Lock(); logged.WriteString(f); mu.Unlock() }
			b := newBatcher(r.predict, 4, time.Minute, logf)
			defer b.close()
			for i, a := range classifyAll(b, 4) {
				if a.err == nil || a.batch != 4 {
					t.Errorf("request %d: %+v, want an error from the batch of 4", i+1, a)
				}
			}
			if name == "panic" && !strings.Contains(logged.String(), "panicked") {
				t.Errorf("the panic was not logged: %q", logged.String())
			}
			// The dispatcher goes on.
			r.fail, r.panic = nil, false
			if a := classifyAll(b, 4); a[0].err != nil {
				t.Errorf("after the failure: %v", a[0].err)
			}
		})
	}
}

func TestBatcherCloseAndCancel(t *testing.T) {
	r := &recorder{}
	b := newBatcher(r.predict, 4, time.Minute, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if a := b.classify(ctx, vision.Image{W: 1}); !errors.Is(a.err, context.DeadlineExceeded) {
		t.Errorf("a request whose client left: %v, want its context's error", a.err)
	}
	b.close()
	if a := b.classify(context.Background(), vision.Image{W: 1}); !errors.Is(a.err, errStopped) {
		t.Errorf("after close: %v, want errStopped", a.err)
	}
}
