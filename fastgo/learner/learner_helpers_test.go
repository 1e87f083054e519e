package learner

import (
	"iter"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/internal/ops"
	"github.com/fastgo-ml/fastgo/internal/testutil"
	"github.com/gomlx/compute/dtypes"
	_ "github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// testBackend is the pure-Go backend the tests share.
var testBackend = testutil.Backend

// synthSource is a seeded synthetic dataset of 8×8 RGB images whose class
// is the quadrant holding a bright square (plus noise).
type synthSource struct {
	n, bs, classes int
	seed           uint64
	shuffle        bool
	items          []Batch // one item per entry (batch of 1), built once
}

func newSynth(n, bs, classes int, seed uint64, shuffle bool) *synthSource {
	s := &synthSource{n: n, bs: bs, classes: classes, seed: seed, shuffle: shuffle}
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := range n {
		c := i % classes
		img := make([]uint8, 8*8*3)
		for p := range img {
			img[p] = uint8(rng.IntN(60))
		}
		oy, ox := (c/2)*4, (c%2)*4
		for y := oy; y < oy+4; y++ {
			for x := ox; x < ox+4; x++ {
				for ch := range 3 {
					img[(y*8+x)*3+ch] = uint8(180 + rng.IntN(60))
				}
			}
		}
		s.items = append(s.items, Batch{X: fastgo.ByteTensor{Shape: []int{1, 8, 8, 3}, Data: img}, Y: []int{c}})
	}
	return s
}

func (s *synthSource) Len() int {
	if s.shuffle {
		return s.n / s.bs // drop_last on train
	}
	return (s.n + s.bs - 1) / s.bs
}

func (s *synthSource) Epoch(epoch int) iter.Seq2[Batch, error] {
	order := make([]int, s.n)
	for i := range order {
		order[i] = i
	}
	if s.shuffle {
		rand.New(rand.NewPCG(s.seed, uint64(epoch))).Shuffle(s.n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	return func(yield func(Batch, error) bool) {
		for b := range s.Len() {
			idx := order[b*s.bs : min((b+1)*s.bs, s.n)]
			batch := Batch{X: fastgo.ByteTensor{Shape: []int{len(idx), 8, 8, 3}}}
			for _, i := range idx {
				batch.X.Data = append(batch.X.Data, s.items[i].X.Data...)
				batch.Y = append(batch.Y, s.items[i].Y...)
			}
			if !yield(batch, nil) {
				return
			}
		}
	}
}

// dense is a linear layer with bias in scope (torch layout).
func dense(scope *model.Scope, x *graph.Node, out int) *graph.Node {
	w, b := denseVariables(scope, x.Shape().Dim(-1), out)
	return denseWith(x, w, b)
}

// denseVariables creates (or returns) a dense layer's weight and bias.
func denseVariables(scope *model.Scope, in, out int) (w, b *model.Variable) {
	w = scope.WithInitializer(ops.KaimingNormal(scope, false)).VariableWithShape("weight", shapes.Make(dtypes.Float32, out, in))
	b = scope.WithInitializer(ops.ConstantInit(0)).VariableWithShape("bias", shapes.Make(dtypes.Float32, out))
	return w, b
}

// denseWith is x·wᵀ + b.
func denseWith(x *graph.Node, w, b *model.Variable) *graph.Node {
	g := x.Graph()
	// CastParam: bfloat16 compute with float32 master weights after ToFP16.
	return graph.Add(ops.Linear(x, CastParam(w, g)), graph.ExpandAxes(CastParam(b, g), 0))
}

// tinyFoldedModel is tinyModel whose evaluation graphs run on inference
// weights (Model.Inference): its batch norm folded into the dense layer
// before it.
func tinyFoldedModel(classes int) Model {
	m := tinyModel(classes)
	m.Inference = &Inference{
		Derive: func(scope *model.Scope, g *graph.Graph) map[string]*graph.Node {
			body := scope.In("body")
			fc := body.In("fc")
			w, b := denseVariables(fc, 8*8*3, 16)
			var bn [4]*graph.Node
			for i, v := range ops.BatchNormVariables(body.In("bn"), dtypes.Float32, 16, ops.TorchBatchNorm) {
				bn[i] = v.NodeValue(g)
			}
			head := scope.In("head")
			hw, hb := denseVariables(head, 16, classes)
			fw, fb := ops.FoldBatchNormAfter(w.NodeValue(g), b.NodeValue(g), bn, ops.TorchBatchNorm.Eps)
			return map[string]*graph.Node{fc.Scope() + "/weight": fw, fc.Scope() + "/bias": fb,
				head.Scope() + "/weight": hw.NodeValue(g), head.Scope() + "/bias": hb.NodeValue(g)}
		},
		Build: func(scope *model.Scope, x *graph.Node) *graph.Node {
			x = graph.Reshape(x, x.Shape().Dimensions[0], -1)
			fc, head := scope.In("body").In("fc"), scope.In("head")
			g := x.Graph()
			// The folded weight is [in, out] (ops.LinearFolded).
			x = ops.ReLU(float32Of(ops.LinearFolded(x, CastParam(fc.GetVariable("weight"), g), CastParam(fc.GetVariable("bias"), g))))
			x = graph.ConvertDType(x, ComputeDType(x.Graph()))
			return denseWith(x, head.GetVariable("weight"), head.GetVariable("bias"))
		},
	}
	return m
}

// tinyModel: body = dense 192→16 + batch norm (group 0), head = dense 16→C
// (group 1).
func tinyModel(classes int) Model {
	return Model{
		Name: "tiny",
		Build: func(scope *model.Scope, x *graph.Node, train bool) *graph.Node {
			x = graph.Reshape(x, x.Shape().Dimensions[0], -1)
			body := scope.In("body")
			x = float32Of(dense(body.In("fc"), x, 16)) // batch norm in float32
			x = ops.ReLU(ops.BatchNorm(body.In("bn"), x, train))
			x = graph.ConvertDType(x, ComputeDType(x.Graph()))
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

func tinyData(classes int) Data {
	vocab := []string{"a", "b", "c", "d"}[:classes]
	return Data{Train: newSynth(256, 16, classes, 1, true), Valid: newSynth(32, 16, classes, 2, false), Vocab: vocab}
}

func newTiny(t testing.TB, opts ...Option) *Learner {
	t.Helper()
	return newTinyOf(t, tinyModel(4), opts...)
}

// newTinyOf is newTiny with another model for four classes.
func newTinyOf(t testing.TB, m Model, opts ...Option) *Learner {
	t.Helper()
	opts = append([]Option{WithBackend(testBackend()), Metrics(ErrorRate)}, opts...)
	l, err := New(tinyData(4), m, opts...)
	if err != nil {
		t.Fatal(err)
	}
	l.Quiet = true
	return l
}

// modelValues copies every model variable's value.
func modelValues(t testing.TB, l *Learner) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for v := range l.store.IterVariables() {
		if !isModelVar(v.Path()) || !v.HasValue() {
			continue
		}
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		out[v.Path()] = copyF32(val)
	}
	return out
}

func copyF32(t *tensors.Tensor) []float32 { return tensors.MustCopyFlatData[float32](t) }

// rawBytes copies a tensor's bytes (any dtype).
func rawBytes(t *tensors.Tensor) string {
	var s string
	if err := t.ConstBytes(func(b []byte) { s = string(b) }); err != nil {
		panic(err)
	}
	return s
}

func shapeF32(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }

// firstOf is the first batch of s's epoch 0.
func firstOf(s BatchSource) Batch {
	for b := range s.Epoch(0) {
		return b
	}
	return Batch{}
}

// samePredictions fails unless learners a and b (named for the message)
// give x the same probabilities, bit for bit.
func samePredictions(t *testing.T, aName string, a *Learner, bName string, b *Learner, x fastgo.ByteTensor) {
	t.Helper()
	got, err := a.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	want, err := b.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if !slices.Equal(got[i].Probs, want[i].Probs) {
			t.Fatalf("item %d: %s predicts %v, %s %v", i, aName, got[i].Probs, bName, want[i].Probs)
		}
	}
}
