package prefetch

import (
	"fmt"
	"iter"
	"sync"
)

// Ahead yields produce(v), in order, for every v of src, preparing up to
// depth of them ahead of the consumer on one goroutine of its own (src is
// iterated there too). depth ≤ 0 prepares each when the consumer asks for
// it, on the consumer's goroutine.
//
// An error from src or from produce is yielded in its place, with Out's
// zero value, and ends the sequence. A panic in produce becomes such an
// error, naming the value it panicked with. release, when not nil, gets
// every output that was prepared but never yielded (the consumer stopped
// early, or an error came first): the place to free device memory.
//
// The sequence returns only once the producer has stopped, so no
// goroutine outlives it. It is single-use per call of the returned
// function, like any iter.Seq2.
func Ahead[In, Out any](src iter.Seq2[In, error], depth int, produce func(In) (Out, error), release func(Out)) iter.Seq2[Out, error] {
	if depth <= 0 {
		return func(yield func(Out, error) bool) {
			for v, err := range src {
				var out Out
				if err == nil {
					out, err = safely(produce, v)
				}
				if !yield(out, err) || err != nil {
					return
				}
			}
		}
	}
	return func(yield func(Out, error) bool) {
		type item struct {
			out Out
			err error
		}
		// The producer holds one item while it waits to send: depth-1 in
		// the channel makes depth prepared ahead.
		ready := make(chan item, depth-1)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			defer close(ready)
			for v, err := range src {
				select {
				case <-stop: // do not prepare what nobody will take
					return
				default:
				}
				it := item{err: err}
				if err == nil {
					it.out, it.err = safely(produce, v)
				}
				select {
				case ready <- it:
				case <-stop:
					drop(it.out, it.err, release)
					return
				}
				if it.err != nil {
					return
				}
			}
		})
		defer func() {
			close(stop)
			for it := range ready { // until the producer has closed it
				drop(it.out, it.err, release)
			}
			wg.Wait()
		}()
		for it := range ready {
			if !yield(it.out, it.err) || it.err != nil {
				return
			}
		}
	}
}

// drop releases an output that will not be yielded.
func drop[Out any](out Out, err error, release func(Out)) {
	if err == nil && release != nil {
		release(out)
	}
}

// safely calls produce, turning a panic into an error: on the producer's
// goroutine a panic would end the program (and a notebook's kernel).
func safely[In, Out any](produce func(In) (Out, error), v In) (out Out, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero Out
			out, err = zero, fmt.Errorf("prefetch: panic while preparing an item: %v", r)
		}
	}()
	return produce(v)
}
