package learner

import (
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// brighten is a device transform that adds a random amount per image on
// the training split only (like fastai's lighting), and counts its draws.
type brighten struct{ draws *atomic.Int64 }

func (brighten) Name() string { return "Brighten" }

func (b brighten) Params(n int, split fastgo.Split, rng *rand.Rand) *tensors.Tensor {
	if split != fastgo.Train {
		return nil
	}
	b.draws.Add(1)
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.Float64() * 0.5)
	}
	return tensors.FromFlatDataAndDimensions(v, n, 1, 1, 1)
}

func (brighten) Apply(x, params *graph.Node, _ fastgo.Split) *graph.Node {
	if params == nil {
		return x
	}
	return graph.Add(x, params)
}

// notOnDevice is a batch transform without the device interface.
type notOnDevice struct{}

func (notOnDevice) Name() string { return "CPUOnly" }

func TestDeviceTransformsRunInTheGraph(t *testing.T) {
	var draws atomic.Int64
	data := tinyData(4)
	data.BatchTfms = []fastgo.BatchTransform{notOnDevice{}, brighten{&draws}}
	l, err := New(data, tinyModel(4), WithBackend(testBackend()), Output(nopWriter{}))
	if err != nil {
		t.Fatal(err)
	}
	l.Quiet = true
	if len(l.tfms) != 1 {
		t.Fatalf("%d device transforms kept, want 1 (CPUOnly skipped)", len(l.tfms))
	}
	plain := newTiny(t)
	// Validation: the transform draws nothing and changes nothing.
	a, err := l.GetPreds(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := plain.GetPreds(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Probs, b.Probs) || draws.Load() != 0 {
		t.Errorf("validation with a train-only transform differs from none (draws %d)", draws.Load())
	}
	// Training: one draw per batch, and a different result from no transform.
	if err := l.Fit(1, 1e-2); err != nil {
		t.Fatal(err)
	}
	if err := plain.Fit(1, 1e-2); err != nil {
		t.Fatal(err)
	}
	if int(draws.Load()) != l.Data.Train.Len() {
		t.Errorf("%d parameter draws for %d batches", draws.Load(), l.Data.Train.Len())
	}
	if l.Recorder.Losses[0] == plain.Recorder.Losses[0] {
		t.Errorf("the transform did not change the training loss")
	}
}

func TestToFP16(t *testing.T) {
	l := newTiny(t)
	l.ToFP16()
	if l.computeDType != dtypes.BFloat16 {
		t.Skipf("backend %s has no bfloat16", l.backend.Name())
	}
	before, err := l.GetPreds(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Fit(2, 1e-2); err != nil {
		t.Fatal(err)
	}
	for v := range l.store.IterVariables() {
		if isModelVar(v.Path()) && v.DType() != dtypes.Float32 && v.DType().IsFloat() {
			t.Errorf("master weight %s is %s, want float32", v.Path(), v.DType())
		}
	}
	if last := l.Recorder.Rows[1].ValidLoss; !(last < meanF32(before.Losses)) {
		t.Errorf("bfloat16 training did not lower the loss: %v → %v", meanF32(before.Losses), last)
	}
}
