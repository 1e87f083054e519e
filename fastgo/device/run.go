package device

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// ApplyBatchTransforms runs device transforms eagerly on a uint8 batch
// ([B,H,W,C] NHWC, as collated on the CPU) and returns the float32 result:
// the batch is converted to [0,1] (fastai's IntToFloatTensor), then each
// transform's Params (drawn in order from one generator seeded by seed)
// and Apply run in one graph. It is what ShowBatch and tests use; the
// learner runs the same transforms inside its training graph.
//
// Graphs are compiled once per backend, transform chain, split and batch
// shape, and reused.
func ApplyBatchTransforms(backend compute.Backend, tfms []Transform, batch fastgo.ByteTensor, split fastgo.Split, seed uint64) (*tensors.Tensor, error) {
	if backend == nil {
		return nil, fmt.Errorf("device.ApplyBatchTransforms: backend is nil; create one, e.g. compute.NewWithConfig(\"go:parallelism=-1\")")
	}
	if len(batch.Shape) != 4 {
		return nil, fmt.Errorf("device.ApplyBatchTransforms: batch shape %v is not [B,H,W,C]", batch.Shape)
	}
	size := 1
	for _, d := range batch.Shape {
		if d <= 0 {
			return nil, fmt.Errorf("device.ApplyBatchTransforms: batch shape %v has an empty axis", batch.Shape)
		}
		size *= d
	}
	if size != len(batch.Data) {
		return nil, fmt.Errorf("device.ApplyBatchTransforms: batch shape %v needs %d bytes, data has %d", batch.Shape, size, len(batch.Data))
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	args := []any{tensors.FromFlatDataAndDimensions(batch.Data, batch.Shape...)}
	hasParams := make([]bool, len(tfms))
	for i, t := range tfms {
		if t == nil {
			return nil, fmt.Errorf("device.ApplyBatchTransforms: transform %d is nil", i)
		}
		if p := t.Params(batch.Shape[0], split, rng); p != nil {
			args = append(args, p)
			hasParams[i] = true
		}
	}
	exec, err := batchExec(backend, tfms, hasParams, split)
	if err != nil {
		return nil, err
	}
	out, err := exec.Call1(args...)
	if err != nil {
		return nil, fmt.Errorf("device.ApplyBatchTransforms: %w", err)
	}
	return out, nil
}

// execKey identifies one compiled transform chain; graph.Exec itself keeps
// one compiled graph per input shape.
type execKey struct {
	backend compute.Backend
	chain   string
	split   fastgo.Split
}

// maxCachedChains bounds the compiled chains kept alive.
const maxCachedChains = 32

var (
	execMu    sync.Mutex
	execCache = map[execKey]*graph.Exec{}
)

func batchExec(backend compute.Backend, tfms []Transform, hasParams []bool, split fastgo.Split) (*graph.Exec, error) {
	var chain strings.Builder
	for i, t := range tfms {
		fmt.Fprintf(&chain, "%T@%p/%v;", t, t, hasParams[i])
	}
	key := execKey{backend, chain.String(), split}
	execMu.Lock()
	defer execMu.Unlock()
	if e, ok := execCache[key]; ok {
		return e, nil
	}
	if len(execCache) >= maxCachedChains { // a long session creating transforms over and over
		clear(execCache) // not Finalize: a caller may still be running one

	}
	tfms = append([]Transform(nil), tfms...)
	hasParams = append([]bool(nil), hasParams...)
	e, err := graph.NewExec(backend, func(inputs []*graph.Node) *graph.Node {
		x := graph.DivScalar(graph.ConvertDType(inputs[0], dtypes.Float32), 255)
		next := 1
		for i, t := range tfms {
			var p *graph.Node
			if hasParams[i] {
				p = inputs[next]
				next++
			}
			x = t.Apply(x, p, split)
		}
		return x
	})
	if err != nil {
		return nil, fmt.Errorf("device.ApplyBatchTransforms: %w", err)
	}
	execCache[key] = e
	return e, nil
}
