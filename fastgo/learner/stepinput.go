package learner

import (
	"fmt"
	"slices"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// stepInput is one batch made ready for the device: every input of a
// training step or an evaluation as device tensors. The prefetcher
// (pipeline.go) builds it ahead of the step on its own goroutine, from
// nothing but the batch and read-only learner state; the step frees it
// as soon as it has run.
type stepInput struct {
	// x is the images, uint8 [B,H,W,3] (B may exceed n: padded); y the
	// labels, int32 [B].
	x, y *tensors.Tensor
	// n is the batch's own number of items; labels its classes.
	n      int
	labels []int
	// params are the device transforms' random parameters (nil entries
	// for transforms without any), drawn for batch counter counter.
	params  []*tensors.Tensor
	layout  string
	counter uint64
	// lrs, moms and wds are the scheduled hyper-parameters of the batch's
	// training position, as uploaded (lrsT, momsT, wdsT): used when the
	// batch's own values, after the callbacks (a ParamScheduler), are the
	// same.
	lrs, moms, wds    []float32
	lrsT, momsT, wdsT *tensors.Tensor
	// err says why the batch cannot run (labels, shape); it is reported
	// where its step would have run.
	err error
}

// free releases the device memory of every input (x alone is 9.6 MB at
// 224 px and 40.6 MB at the chapter's 460 px, batch 64): right after the
// step rather than whenever Go's GC finalizes the tensors.
func (in *stepInput) free() {
	if in == nil {
		return
	}
	for _, t := range append([]*tensors.Tensor{in.x, in.y, in.lrsT, in.momsT, in.wdsT}, in.params...) {
		if t != nil {
			t.FinalizeAll()
		}
	}
	in.x, in.y, in.lrsT, in.momsT, in.wdsT, in.params = nil, nil, nil, nil, nil, nil
}

// checkBatch validates a batch's shape and labels and returns the labels
// as int32.
func checkBatch(b Batch, nClasses int) ([]int32, error) {
	if len(b.X.Shape) != 4 {
		return nil, fmt.Errorf("batch images have shape %v: want [B,H,W,C] uint8", b.X.Shape)
	}
	n := 1
	for _, d := range b.X.Shape {
		n *= d
	}
	if b.X.Shape[0] == 0 {
		return nil, fmt.Errorf("batch has no images (shape %v): a batch needs at least one", b.X.Shape)
	}
	if n != len(b.X.Data) {
		return nil, fmt.Errorf("batch images have shape %v (%d values) but %d bytes", b.X.Shape, n, len(b.X.Data))
	}
	if len(b.Y) != b.X.Shape[0] {
		return nil, fmt.Errorf("batch has %d images but %d labels", b.X.Shape[0], len(b.Y))
	}
	y := make([]int32, len(b.Y))
	for i, v := range b.Y {
		// The loss's gather would read another row (or nothing) and give a
		// silent wrong number; PyTorch's cross_entropy refuses it too.
		if nClasses > 0 && (v < 0 || v >= nClasses) {
			return nil, fmt.Errorf("label %d at batch position %d is not a class index: the vocabulary has %d classes, [0, %d)", v, i, nClasses, nClasses)
		}
		y[i] = int32(v)
	}
	return y, nil
}

// upload makes a batch's images and labels device tensors, padded with
// zero images of class 0 to padTo items when the batch is shorter (the
// evaluation graph then has one shape; the padded rows are dropped from
// its outputs). The images go straight from the batch's memory to the
// device (one copy: tensors.FromRaw), after which the batch's memory is
// given back to its loader for a later batch. A batch that cannot be used
// gives a stepInput with err set.
func (l *Learner) upload(b Batch, padTo int) *stepInput {
	defer b.release()
	in := &stepInput{n: len(b.Y), labels: b.Y}
	y, err := checkBatch(b, l.NumClasses())
	if err != nil {
		in.err = err
		return in
	}
	data, dims := b.X.Data, slices.Clone(b.X.Shape)
	if padTo > dims[0] {
		data = l.padded(data, padTo*len(data)/dims[0])
		dims[0] = padTo
		y = append(y, make([]int32, padTo-len(y))...)
	}
	if in.x, err = tensors.FromRaw(l.backend, 0, shapes.Make(dtypes.Uint8, dims...), data); err != nil {
		in.err = err
		return in
	}
	if in.y, err = l.onDevice(tensors.FromFlatDataAndDimensions(y, len(y))); err != nil {
		in.free()
		in.err = err
	}
	return in
}

// padded is data followed by zeros up to size bytes, in a buffer the
// learner keeps for the next padded batch (one per validation pass; only
// the validation producer uses it).
func (l *Learner) padded(data []byte, size int) []byte {
	if cap(l.padBuf) < size {
		l.padBuf = make([]byte, size)
	}
	buf := l.padBuf[:size]
	clear(buf[copy(buf, data):])
	return buf
}

// onDevice moves a host tensor to the device now (on the prefetcher's
// goroutine, not in the step), dropping its host copy, as GoMLX's
// dataset.OnDevice does.
func (l *Learner) onDevice(t *tensors.Tensor) (*tensors.Tensor, error) {
	if t == nil {
		return nil, nil
	}
	if err := t.MaterializeOnDevice(l.backend, true, 0); err != nil {
		t.FinalizeAll()
		return nil, err
	}
	t.FinalizeLocal()
	return t, nil
}

// drawOnDevice draws the device transforms' parameters of batch counter
// counter (see batchRand) and moves them to the device.
func (l *Learner) drawOnDevice(in *stepInput, split fastgo.Split, counter uint64) error {
	params, layout := l.drawParams(in.n0(), split, l.batchRand(split, counter))
	in.params, in.layout, in.counter = params, layout, counter
	for i, p := range params {
		var err error
		if params[i], err = l.onDevice(p); err != nil {
			return err
		}
	}
	return nil
}

// n0 is the batch's size as the graph sees it (padded or not).
func (in *stepInput) n0() int { return in.x.Shape().Dimensions[0] }

// hyperOnDevice uploads a batch's scheduled hyper-parameters (learning
// rates, momentums and weight decays, one per group).
func (l *Learner) hyperOnDevice(in *stepInput, lrs, moms, wds []float64) error {
	in.lrs, in.moms, in.wds = float32s(lrs), float32s(moms), float32s(wds)
	var err error
	if in.lrsT, err = l.onDevice(tensors.FromFlatDataAndDimensions(in.lrs, len(in.lrs))); err != nil {
		return err
	}
	if in.momsT, err = l.onDevice(tensors.FromFlatDataAndDimensions(in.moms, len(in.moms))); err != nil {
		return err
	}
	in.wdsT, err = l.onDevice(tensors.FromFlatDataAndDimensions(in.wds, len(in.wds)))
	return err
}

// float32s is v in float32, the graph's dtype for hyper-parameters.
func float32s(v []float64) []float32 {
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return f
}

// sameF32 says whether v, in float32, is want.
func sameF32(v []float64, want []float32) bool {
	if len(v) != len(want) {
		return false
	}
	for i, x := range v {
		if float32(x) != want[i] {
			return false
		}
	}
	return true
}
