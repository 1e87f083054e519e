package learner_test

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// quadrants is a synthetic dataset: n 8×8 RGB images (uint8, [B,8,8,3])
// in batches of bs, dark and noisy, with a bright 4×4 square in one
// quadrant; the quadrant is the class (0 top-left … 3 bottom-right). A
// share noise of the labels is wrong (0: none), for a model to overfit.
func quadrants(n, bs int, seed uint64, noise float64) learner.SliceSource {
	rng := rand.New(rand.NewPCG(seed, 7))
	var batches learner.SliceSource
	for start := 0; start+bs <= n; start += bs {
		b := learner.Batch{X: fastgo.ByteTensor{Shape: []int{bs, 8, 8, 3}, Data: make([]uint8, bs*8*8*3)}, Y: make([]int, bs)}
		for i := range bs {
			class := (start + i) % 4
			img := b.X.Data[i*192 : (i+1)*192]
			for p := range img {
				img[p] = uint8(rng.IntN(60))
			}
			oy, ox := (class/2)*4, (class%2)*4
			for y := oy; y < oy+4; y++ {
				for x := ox; x < ox+4; x++ {
					for c := range 3 {
						img[(y*8+x)*3+c] = uint8(180 + rng.IntN(60))
					}
				}
			}
			if rng.Float64() < noise {
				class = (class + 1 + rng.IntN(3)) % 4
			}
			b.Y[i] = class
		}
		batches = append(batches, b)
	}
	return batches
}

// twoGroups is a model of your own for the learner: a function of GoMLX
// graph ops from the images (float32 [B,H,W,3] in [0,1], after the device
// transforms) to logits [B, classes], with its variables in two parameter
// groups — the body (group 0) and the head (group 1) — so that freezing
// and discriminative rates mean something.
func twoGroups(classes int) learner.Model {
	return learner.Model{
		Name: "two-groups",
		Build: func(scope *model.Scope, x *graph.Node, train bool) *graph.Node {
			x = graph.Reshape(x, x.Shape().Dimensions[0], -1)
			x = dense(scope.In("body"), x, 16)
			x = graph.Max(x, graph.ZerosLike(x)) // ReLU
			return dense(scope.In("head"), x, classes)
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

// dense is a linear layer, x [B,in] · weights [in,out] + biases [out],
// whose variables GoMLX initialises (He for the weights, zeros for the
// biases) from the learner's seed.
func dense(scope *model.Scope, x *graph.Node, out int) *graph.Node {
	g := x.Graph()
	w := scope.VariableWithShape("weights", shapes.Make(dtypes.Float32, x.Shape().Dim(-1), out)).NodeValue(g)
	b := scope.VariableWithShape("biases", shapes.Make(dtypes.Float32, out)).NodeValue(g)
	return graph.Add(graph.MatMul(x, w), graph.ExpandAxes(b, 0))
}

// Fine-tuning a model of your own on data of your own: learner.New takes
// the batches (any BatchSource; fastgo's DataLoaders through
// learner.FromDataLoaders) and the model; FineTune trains one epoch with
// the body frozen, then two with everything.
func Example() {
	valid := quadrants(32, 16, 2, 0)
	data := learner.Data{
		Train: quadrants(256, 16, 1, 0),
		Valid: valid,
		Vocab: []string{"top-left", "top-right", "bottom-left", "bottom-right"},
	}
	learn, err := learner.New(data, twoGroups(4), learner.Metrics(learner.ErrorRate))
	if err != nil {
		fmt.Println(err)
		return
	}
	learn.Quiet = true // no progress bars or table in this example's output
	if err := learn.FineTune(2, learner.BaseLR(0.1)); err != nil {
		fmt.Println(err)
		return
	}
	for _, row := range learn.Recorder.Rows { // the unfrozen stage's epochs
		fmt.Printf("epoch %d: valid loss below 0.3: %v, error rate %.2f\n", row.Epoch, row.ValidLoss < 0.3, row.Metrics[0])
	}
	preds, err := learn.Predict(valid[0].X) // uint8 images [16,8,8,3]
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(preds[0].Class, preds[1].Class, preds[2].Class)
	// Output:
	// epoch 0: valid loss below 0.3: true, error rate 0.00
	// epoch 1: valid loss below 0.3: true, error rate 0.00
	// top-left top-right bottom-left
}
