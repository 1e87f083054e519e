// Package tinylearn makes learners that train in milliseconds, for the
// tests of the packages that attach to the training loop from outside
// (learner/persist, learner/memory). The loop's own tests have theirs.
package tinylearn

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/internal/ops"
	"github.com/fastgo-ml/fastgo/internal/testutil"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Vocab is the classes of Data.
var Vocab = []string{"dark", "light"}

// Data is 16 training batches and 2 validation batches of 16 random 8×8
// RGB images, labelled by whether their mean is above the middle grey.
func Data() learner.Data {
	return learner.Data{Train: batches(16, 1), Valid: batches(2, 2), Vocab: Vocab}
}

func batches(n int, seed uint64) learner.SliceSource {
	rng := rand.New(rand.NewPCG(seed, 0))
	out := make(learner.SliceSource, n)
	for i := range out {
		b := learner.Batch{X: fastgo.ByteTensor{Shape: []int{16, 8, 8, 3}, Data: make([]uint8, 16*8*8*3)}, Y: make([]int, 16)}
		for j := range b.Y {
			img := b.X.Data[j*192 : (j+1)*192]
			sum := 0
			for p := range img {
				img[p] = uint8(rng.IntN(256))
				sum += int(img[p])
			}
			if sum > 192*128 {
				b.Y[j] = 1
			}
		}
		out[i] = b
	}
	return out
}

// Model is two linear layers: "body" (parameter group 0) and "head"
// (group 1), so that freezing means something.
func Model() learner.Model {
	return learner.Model{
		Name: "tiny",
		Build: func(scope *model.Scope, x *graph.Node, train bool) *graph.Node {
			x = graph.Reshape(x, x.Shape().Dimensions[0], -1)
			x = ops.ReLU(linear(scope.In("body"), x, 8))
			return linear(scope.In("head"), x, len(Vocab))
		},
		NumGroups: 2,
		Group: func(path string) int {
			if strings.HasPrefix(path, "/body/") {
				return 0
			}
			return 1
		},
	}
}

func linear(scope *model.Scope, x *graph.Node, out int) *graph.Node {
	w := scope.WithInitializer(ops.KaimingNormal(scope, false)).VariableWithShape("weight", shapes.Make(dtypes.Float32, out, x.Shape().Dim(-1)))
	return ops.Linear(x, w.NodeValue(x.Graph()))
}

// New is a quiet learner on Data and Model, on the tests' pure-Go backend,
// with opts.
func New(t testing.TB, opts ...learner.Option) *learner.Learner {
	t.Helper()
	l, err := learner.New(Data(), Model(), append([]learner.Option{learner.WithBackend(testutil.Backend())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	l.Quiet = true
	return l
}

// Weights copies the values of the model's variables (not the
// optimizer's state), by path.
func Weights(t testing.TB, l *learner.Learner) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for v := range l.Store().IterVariables() {
		if !strings.HasPrefix(v.Path(), "/body/") && !strings.HasPrefix(v.Path(), "/head/") || !v.HasValue() {
			continue
		}
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		out[v.Path()] = tensors.MustCopyFlatData[float32](val)
	}
	return out
}
