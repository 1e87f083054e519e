package models

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/internal/ops"
	"github.com/fastgo-ml/fastgo/internal/testutil"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// foldedStore runs derive on src's variables (creating and initialising
// those that do not exist) and returns a new store holding its results
// under their paths, as a learner keeps its inference weights.
func foldedStore(t *testing.T, src *model.Store, derive func(scope *model.Scope, g *graph.Graph, into map[string]*graph.Node)) *model.Store {
	t.Helper()
	var names []string
	e, err := model.NewExec(modelTestBackend(), src, func(scope *model.Scope, g *graph.Graph) []*graph.Node {
		src.SetTraining(g, true) // variables as parameters
		into := map[string]*graph.Node{}
		derive(scope, g, into)
		for name := range into {
			names = append(names, name)
		}
		slices.Sort(names)
		outs := make([]*graph.Node, len(names))
		for i, name := range names {
			outs[i] = into[name]
		}
		return outs
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Call()
	if err != nil {
		t.Fatal(err)
	}
	folded := model.NewStore()
	for i, name := range names {
		if _, err := folded.CreateVariable(name, out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return folded
}

// randomizeBatchNorms gives every batch norm of store random weights,
// biases and running statistics (a fresh model's are 1, 0, 0, 1, which
// would leave folding nothing to do), and every bias a random value.
func randomizeBatchNorms(t *testing.T, store *model.Store, rng *rand.Rand) {
	t.Helper()
	for v := range store.IterVariables() {
		p := v.Path()
		isBN := false
		for _, suffix := range []string{ops.BNWeight, ops.BNBias, ops.BNRunningMean, ops.BNRunningVar} {
			isBN = isBN || strings.HasSuffix(p, "/"+suffix)
		}
		if !isBN || v.Shape().Rank() != 1 {
			continue
		}
		vals := make([]float32, v.Shape().Size())
		for i := range vals {
			if strings.HasSuffix(p, ops.BNRunningVar) {
				vals[i] = float32(0.1 + rng.Float64())
			} else {
				vals[i] = float32(0.3 * rng.NormFloat64())
			}
			if strings.HasSuffix(p, "/"+ops.BNWeight) {
				vals[i] += 1
			}
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, len(vals))); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFoldedNetworkMatchesEvaluation: a body and head with their batch
// norms folded (FoldBatchNorms, BodyFolded, BuildFolded) compute the
// logits of Body and Build in evaluation mode, up to float32 rounding, for
// BasicBlocks and Bottlenecks, heads with and without biases, im2col and
// Winograd convolution shapes.
func TestFoldedNetworkMatchesEvaluation(t *testing.T) {
	const classes = 5
	for _, c := range []struct {
		arch Arch
		head HeadSpec
	}{{ResNet18.Scaled(4), DefaultHead}, {ResNet50.Scaled(2), HeadSpec{Hidden: 24, Bias: true}}} {
		t.Run(c.arch.Name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 9))
			x := testutil.RandNormal(rng, 2, 64, 64, 3)
			store := model.NewStore()
			evaluate := func() []float32 {
				return tensors.MustCopyFlatData[float32](model.MustCallOnce(modelTestBackend(), store, func(scope *model.Scope, x *graph.Node) *graph.Node {
					return c.head.Build(scope.In(HeadScope), c.arch.Body(scope.In(BodyScope), x, false), classes, false)
				}, x))
			}
			evaluate() // creates the variables
			randomizeBatchNorms(t, store, rng)
			want := evaluate()

			folded := foldedStore(t, store, func(scope *model.Scope, g *graph.Graph, into map[string]*graph.Node) {
				c.arch.FoldBatchNorms(scope.In(BodyScope), g, into)
				c.head.FoldBatchNorms(scope.In(HeadScope), g, c.arch.NumFeatures(), classes, into)
			})
			for v := range folded.IterVariables() {
				if strings.Contains(v.Path(), "bn") || strings.Contains(v.Path(), "downsample/1") {
					t.Errorf("the folded weights hold %s: batch norms should be folded away", v.Path())
				}
			}
			got := tensors.MustCopyFlatData[float32](model.MustCallOnce(modelTestBackend(), folded, func(scope *model.Scope, x *graph.Node) *graph.Node {
				return c.head.BuildFolded(scope.In(HeadScope), c.arch.BodyFolded(scope.In(BodyScope), x), classes)
			}, x))
			ref := make([]float64, len(want))
			for i, v := range want {
				ref[i] = float64(v)
			}
			// float32 rounding over ~20 layers: ~1e-6; a wrongly folded
			// layer moves the logits by far more.
			if e := testutil.RelErr(got, ref); e > 1e-5 {
				t.Errorf("folded logits %.3g from the evaluation graph's, want ≤ 1e-5", e)
			}
		})
	}
}

// TestFoldBatchNormsInitialisesAsBody: deriving the folded weights of a
// fresh model creates its variables with the values building the network
// would have given them (same names, shapes, initialisers and order), so
// that a learner's first graph — training or inference — does not change
// its starting weights.
func TestFoldBatchNormsInitialisesAsBody(t *testing.T) {
	arch, head := ResNet18.Scaled(2), HeadSpec{Hidden: 8, Bias: true}
	fresh := func() *model.Store {
		s := model.NewStore()
		s.SetParam("/"+model.ParamInitialSeed, int64(42))
		return s
	}
	built := fresh()
	model.MustCallOnce(modelTestBackend(), built, func(scope *model.Scope, x *graph.Node) *graph.Node {
		return head.Build(scope.In(HeadScope), arch.Body(scope.In(BodyScope), x, false), 3, false)
	}, tensors.FromShape(shapesOf(2, 32, 32, 3)))
	derived := fresh()
	foldedStore(t, derived, func(scope *model.Scope, g *graph.Graph, into map[string]*graph.Node) {
		arch.FoldBatchNorms(scope.In(BodyScope), g, into)
		head.FoldBatchNorms(scope.In(HeadScope), g, arch.NumFeatures(), 3, into)
	})
	n := 0
	for v := range built.IterVariables() {
		if !strings.HasPrefix(v.Path(), "/"+BodyScope+"/") && !strings.HasPrefix(v.Path(), "/"+HeadScope+"/") {
			continue
		}
		n++
		d := derived.GetVariable(v.Path())
		if d == nil {
			t.Errorf("deriving the folded weights did not create %s", v.Path())
			continue
		}
		if !slices.Equal(tensors.MustCopyFlatData[float32](v.MustValue()), tensors.MustCopyFlatData[float32](d.MustValue())) {
			t.Errorf("%s initialised differently when created by FoldBatchNorms", v.Path())
		}
	}
	if n == 0 {
		t.Fatal("the network has no variables")
	}
}
