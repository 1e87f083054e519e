// Package prefetch runs the preparation of the next items of a sequence
// on a goroutine of its own while the consumer works on the current one:
// the training loop's overlap of "turn batch N+1 into device tensors" with
// "run step N" (GoMLX's ml/dataset NewOnDevice does the same for its
// train.Dataset).
//
//	for in, err := range prefetch.Ahead(batches, 2, upload, release) {
//		...
//	}
//
// The items come out in the order of the source, whatever the depth; with
// depth 0 nothing runs on another goroutine. A consumer that stops early
// (break, return, panic) stops the producer, gets every prepared but
// unconsumed item released, and leaves no goroutine behind.
package prefetch
