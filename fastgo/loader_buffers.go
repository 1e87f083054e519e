package fastgo

import "sync"

// Batch memory reuse: a loader's batches are all the same size but the
// last, and a training loop is done with a batch's images once they are on
// the device. Batch.Release gives the memory back, and the next batch is
// collated into it instead of into fresh memory (40.6 MB per batch at the
// chapter's 460 px, batch 64: fresh pages cost a page fault every 4 KiB).

// CollaterInto is an [InputBlock] that can stack a batch into memory it is
// given: the loader's reused batch buffers. vision.ImageBlock is one.
type CollaterInto interface {
	// CollateInto is Collate writing into dst[:n] when cap(dst) holds the
	// batch's n bytes, into new memory otherwise.
	CollateInto(values []Value, dst []byte) (ByteTensor, error)
}

// maxFreeBuffers bounds the memory a loader keeps for reuse: the batches in
// flight (the loader's prefetch, the learner's, the one in the step) come
// back, more would only hold memory.
const maxFreeBuffers = 6

// batchBuffers is a loader's free list of batch memory.
type batchBuffers struct {
	mu   sync.Mutex
	free [][]byte
}

// get returns a buffer of at least n bytes, or nil when none is free (or
// p is nil).
func (p *batchBuffers) get(n int) []byte {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, b := range p.free {
		if cap(b) >= n {
			p.free = append(p.free[:i], p.free[i+1:]...)
			return b
		}
	}
	return nil
}

// put keeps b for a later batch (dropped when enough are kept, or p is
// nil).
func (p *batchBuffers) put(b []byte) {
	if p == nil || cap(b) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) < maxFreeBuffers {
		p.free = append(p.free, b[:0])
	}
}

// Release gives the memory of b.X back to the loader that made b, for a
// later batch: call it once b.X is no longer read (the learner does, once
// the images are on the device). b.X must not be used afterwards; a batch
// not made by a loader, or released twice by mistake, is harmless only in
// the first case — release each batch at most once.
func (b Batch) Release() {
	if b.buffers != nil {
		b.buffers.put(b.X.Data)
	}
}

// collateValues collates into a reused buffer when the input block can.
func (dl *DataLoader) collateValues(values []Value) (ByteTensor, error) {
	into, ok := dl.Dataset.x.(CollaterInto)
	if !ok {
		return dl.Dataset.x.Collate(values)
	}
	var size int64
	for _, v := range values {
		size += valueBytes(v)
	}
	buf := dl.buffers.get(int(size))
	x, err := into.CollateInto(values, buf)
	if buf != nil && (err != nil || len(x.Data) == 0 || &x.Data[:1][0] != &buf[:1][0]) {
		dl.buffers.put(buf) // not used: keep it for the next batch
	}
	return x, err
}

// valueBytes is the size of v's uint8 tensor, in bytes.
func valueBytes(v Value) int64 {
	n := int64(1)
	for _, d := range v.TensorShape() {
		n *= int64(d)
	}
	return n
}
