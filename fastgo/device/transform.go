package device

import (
	"math/rand/v2"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Transform is a batch transform that runs on the device, inside the
// compiled graph: the learner's training graph, or ApplyBatchTransforms'.
//
// The learner feeds each batch as uint8 [B,H,W,3], converts it to float32 in
// [0,1] (fastai's IntToFloatTensor), then applies the DataLoaders' device
// transforms in order. Randomness is drawn on the CPU by Params (seeded, so
// a seed gives the same batch on every backend) and enters the graph as an
// ordinary input.
type Transform interface {
	fastgo.BatchTransform
	// Params draws this batch's random parameters (nil when the transform
	// has none for this split) from rng alone. It may be called from
	// several goroutines at once — the learner draws ahead of the step on
	// its prefetch goroutine (learner.Pipelining) — and more than once for
	// a batch, so it must not keep state between calls.
	Params(batchSize int, split fastgo.Split, rng *rand.Rand) *tensors.Tensor
	// Apply transforms x (float32 [B,H,W,C]); params is the graph node fed
	// from Params (nil when Params returned nil).
	Apply(x, params *graph.Node, split fastgo.Split) *graph.Node
}
