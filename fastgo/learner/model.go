package learner

import (
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Model describes the network a Learner trains: how to build it in a graph
// and how its variables split into parameter groups (fastai's splitter).
// cnn.Learner fills it for ResNets; any func over GoMLX layers works.
type Model struct {
	// Name is shown in messages and stored in checkpoints.
	Name string
	// Build returns the logits [B, C] for the float32 images x [B,H,W,3]
	// (after the device transforms). train is true in the training graph
	// (dropout on, batch-norm statistics updated). Variable paths are
	// relative to scope (the store's root).
	Build func(scope *model.Scope, x *graph.Node, train bool) *graph.Node
	// NumGroups is the number of parameter groups (1 when 0).
	NumGroups int
	// Group maps a variable path (e.g. "/layer1/0/conv1/weights") to its
	// group in [0, NumGroups). nil puts everything in the last group.
	Group func(path string) int
	// NoWeightDecay reports the variables that get no weight decay (fastai's
	// wd_bn_bias=False: batch-norm parameters and biases). nil means
	// variables of rank ≤ 1, which are exactly those in a ResNet.
	NoWeightDecay func(path string, shape shapes.Shape) bool
	// ForceTrain reports the variables that stay trainable when their group
	// is frozen (fastai's train_bn: batch-norm parameters). nil means paths
	// with a "batch_normalization" or "bn" element (GoMLX's and
	// torchvision's batch-norm scopes).
	ForceTrain func(path string) bool
	// Inference, when set, builds the evaluation graphs (validation,
	// GetPreds, Predict) from weights derived once from the variables —
	// batch norm folded into convolutions — instead of Build with
	// train=false. nil: Build.
	Inference *Inference
}

func (m *Model) numGroups() int {
	if m.NumGroups < 1 {
		return 1
	}
	return m.NumGroups
}

func (m *Model) group(path string) int {
	n := m.numGroups()
	if m.Group == nil {
		return n - 1
	}
	return min(max(m.Group(path), 0), n-1)
}

func (m *Model) noWD(path string, shape shapes.Shape) bool {
	if m.NoWeightDecay != nil {
		return m.NoWeightDecay(path, shape)
	}
	return shape.Rank() <= 1
}

func (m *Model) forceTrain(path string) bool {
	if m.ForceTrain != nil {
		return m.ForceTrain(path)
	}
	return IsBatchNormPath(path)
}

// IsBatchNormPath reports whether a variable path has an element named
// "batch_normalization" (GoMLX's batch-norm scope) or starting with "bn"
// (torchvision's bn1, bn2…). Models with other names set Model.ForceTrain.
func IsBatchNormPath(path string) bool {
	for _, part := range strings.Split(path, "/") {
		if part == "batch_normalization" || strings.HasPrefix(part, "bn") {
			return true
		}
	}
	return false
}

// Loss is a loss function in the graph: fastai's loss_func with its
// activation (used by GetPreds).
type Loss struct {
	// Name is shown in messages.
	Name string
	// PerItem returns one loss per item [B] for logits [B, C] (float32)
	// and labels [B] (int32). Training minimises its mean.
	PerItem func(logits, labels *graph.Node) *graph.Node
	// Activation turns logits into predictions (softmax for
	// classification).
	Activation func(logits *graph.Node) *graph.Node
}

// CrossEntropyLossFlat is fastai's CrossEntropyLossFlat, the default loss
// for single-label classification: mean over items of −log softmax(logits)[label];
// activation softmax over the last axis.
func CrossEntropyLossFlat() Loss {
	return Loss{
		Name: "CrossEntropyLossFlat",
		PerItem: func(logits, labels *graph.Node) *graph.Node {
			logp := graph.LogSoftmax(logits, -1)
			oneHot := graph.OneHot(labels, logits.Shape().Dimensions[logits.Rank()-1], logp.DType())
			return graph.Neg(graph.ReduceSum(graph.Mul(oneHot, logp), -1))
		},
		Activation: func(logits *graph.Node) *graph.Node {
			return graph.Softmax(logits, -1)
		},
	}
}

// float32Of returns x as float32 (a no-op when it already is).
func float32Of(x *graph.Node) *graph.Node {
	if x.DType() == dtypes.Float32 {
		return x
	}
	return graph.ConvertDType(x, dtypes.Float32)
}
