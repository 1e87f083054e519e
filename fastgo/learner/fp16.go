package learner

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// graphParamComputeDType is the graph parameter holding the compute dtype.
const graphParamComputeDType = "fastgo_compute_dtype"

func setComputeDType(g *graph.Graph, dtype dtypes.DType) {
	model.SetGraphParam(g, "/"+graphParamComputeDType, dtype)
}

// ComputeDType is the dtype a model should compute in inside a learner's
// graph: float32, or bfloat16 after Learner.ToFP16. Models keep their
// variables (the master weights) in float32 and convert them with
// [CastParam]; the learner converts the input images and the logits.
func ComputeDType(g *graph.Graph) dtypes.DType {
	if v, ok := model.GetGraphParam(g, "/"+graphParamComputeDType); ok {
		if d, ok := v.(dtypes.DType); ok {
			return d
		}
	}
	return dtypes.Float32
}

// CastParam returns a variable's value in the graph's compute dtype; the
// gradient flows back to the float32 master weight.
func CastParam(v *model.Variable, g *graph.Graph) *graph.Node {
	n := v.NodeValue(g)
	if d := ComputeDType(g); n.DType() != d && n.DType().IsFloat() {
		return graph.ConvertDType(n, d)
	}
	return n
}

// ToFP16 switches the learner to mixed precision (fastai's to_fp16):
// activations in bfloat16, master weights, gradients, the optimizer and
// the loss in float32. bfloat16 has float32's exponent range, so no loss
// scaling is needed. It needs a model that follows [ComputeDType] (fastgo's
// ResNets do) and a backend with bfloat16 arithmetic; otherwise it prints
// why and keeps float32. It returns l for chaining.
func (l *Learner) ToFP16() *Learner {
	if !l.backend.Capabilities().DTypes[dtypes.BFloat16] {
		l.Logf("ToFP16: backend %q has no bfloat16 support; training stays in float32", l.backend.Name())
		return l
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.computeDType = dtypes.BFloat16
	return l
}

// ToFP32 switches mixed precision off again.
func (l *Learner) ToFP32() *Learner {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.computeDType = dtypes.Float32
	return l
}
