package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/internal/testutil"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// randomBatchNorm sets the batch norm in scope (c channels) to random
// weights, biases and running statistics, far from their initial values.
func randomBatchNorm(t *testing.T, store *model.Store, scope *model.Scope, c int, rng *rand.Rand) (vals [4][]float32) {
	t.Helper()
	vars := BatchNormVariables(scope, shapesOf(c).DType, c, TorchBatchNorm)
	for i, v := range vars {
		vals[i] = make([]float32, c)
		for j := range vals[i] {
			switch i {
			case 3: // running_var > 0
				vals[i][j] = float32(0.05 + 2*rng.Float64())
			default:
				vals[i][j] = float32(rng.NormFloat64())
			}
		}
		if err := v.SetValue(tensorOf(vals[i], c)); err != nil {
			t.Fatal(err)
		}
	}
	return vals
}

// assertNear checks that got is within a few float32 roundings of want,
// normwise (‖got − want‖ ≤ 1e-6·‖want‖): a folded layer rounds
// differently from the unfolded one, element by element, but no more.
func assertNear(t *testing.T, what string, got, want []float32) {
	t.Helper()
	ref := make([]float64, len(want))
	for i, v := range want {
		ref[i] = float64(v)
	}
	if e := testutil.RelErr(got, ref); e > 1e-6 {
		t.Errorf("%s: relative distance %.3g from the unfolded layers, want ≤ 1e-6", what, e)
	}
}

func bnNodes(scope *model.Scope, g *graph.Graph, c int) [4]*graph.Node {
	var n [4]*graph.Node
	for i, v := range BatchNormVariables(scope, shapesOf(c).DType, c, TorchBatchNorm) {
		n[i] = v.NodeValue(g)
	}
	return n
}

// TestFoldBatchNormAfterConv: a convolution with its batch norm folded in
// gives the convolution followed by the batch norm in evaluation mode (for
// im2col and Winograd shapes), and its weights are w·s in HWIO, each
// product rounded once.
func TestFoldBatchNormAfterConv(t *testing.T) {
	for _, c := range []struct{ h, cin, cout, k, stride, pad int }{
		{9, 3, 5, 3, 2, 1}, // im2col
		{8, 4, 6, 3, 1, 1}, // Winograd
		{7, 4, 6, 1, 1, 0},
	} {
		rng := rand.New(rand.NewPCG(uint64(c.h), uint64(c.k)))
		store := model.NewStore()
		bnScope := store.RootScope().In("bn")
		bn := randomBatchNorm(t, store, bnScope, c.cout, rng)
		x := testutil.RandNormal(rng, 2, c.h, c.h, c.cin)
		w := testutil.RandNormal(rng, c.cout, c.k, c.k, c.cin)
		outs := model.MustCallOnceN(testBackend(), store, func(s *model.Scope, x, w *graph.Node) []*graph.Node {
			want := BatchNorm(bnScope, Conv2D(x, w, c.stride, c.pad), false)
			kernel, bias := FoldBatchNormAfter(w, nil, bnNodes(bnScope, x.Graph(), c.cout), TorchBatchNorm.Eps)
			return []*graph.Node{want, Conv2DFolded(x, kernel, bias, c.stride, c.pad), kernel, bias}
		}, x, w)
		assertNear(t, "folded convolution", flat(outs[1]), flat(outs[0]))

		// The folded weights: w·s with s rounded once to float32 and the
		// product once (HWIO), and −mean·s + bias rounded once.
		ws := flat(w)
		per := len(ws) / c.cout // kh·kw·Cin
		kernel, bias := flat(outs[2]), flat(outs[3])
		for o := range c.cout {
			s := float64(bn[0][o]) / math.Sqrt(float64(bn[3][o])+TorchBatchNorm.Eps)
			if want := float32(float64(bn[1][o]) - float64(bn[2][o])*s); bias[o] != want {
				t.Fatalf("bias[%d] = %g, want %g", o, bias[o], want)
			}
			for i := range per {
				if want, got := ws[o*per+i]*float32(s), kernel[i*c.cout+o]; got != want {
					t.Fatalf("kernel[%d, %d] = %g, want %g (w·s rounded once)", i, o, got, want)
				}
			}
		}
	}
}

// TestFoldBatchNormLinear: Linear + bias + batch norm, and batch norm +
// Linear + bias, folded, give the unfolded layers' outputs.
func TestFoldBatchNormLinear(t *testing.T) {
	const n, in, out = 5, 12, 7
	rng := rand.New(rand.NewPCG(7, 7))
	store := model.NewStore()
	after, before := store.RootScope().In("after"), store.RootScope().In("before")
	randomBatchNorm(t, store, after, out, rng)
	randomBatchNorm(t, store, before, in, rng)
	x := testutil.RandNormal(rng, n, in)
	w := testutil.RandNormal(rng, out, in)
	b := testutil.RandNormal(rng, out)
	outs := model.MustCallOnceN(testBackend(), store, func(s *model.Scope, x, w, b *graph.Node) []*graph.Node {
		g := x.Graph()
		dense := func(x, w, b *graph.Node) *graph.Node { return AddChannelBias(Linear(x, w), b) }
		folded := func(x, w, b *graph.Node) *graph.Node { return LinearFolded(x, w, b) }
		wa, ba := FoldBatchNormAfter(w, b, bnNodes(after, g, out), TorchBatchNorm.Eps)
		wb, bb := FoldBatchNormBefore(bnNodes(before, g, in), TorchBatchNorm.Eps, w, b)
		wb0, bb0 := FoldBatchNormBefore(bnNodes(before, g, in), TorchBatchNorm.Eps, w, nil)
		return []*graph.Node{
			BatchNorm(after, dense(x, w, b), false), folded(x, wa, ba),
			dense(BatchNorm(before, x, false), w, b), folded(x, wb, bb),
			Linear(BatchNorm(before, x, false), w), folded(x, wb0, bb0),
		}
	}, x, w, b)
	assertNear(t, "Linear, batch norm folded after", flat(outs[1]), flat(outs[0]))
	assertNear(t, "Linear, batch norm folded before", flat(outs[3]), flat(outs[2]))
	assertNear(t, "Linear without bias, batch norm folded before", flat(outs[5]), flat(outs[4]))
}

// TestFoldBatchNormRefusesMismatchedShapes: a batch norm over other
// channels than the layer's panics, naming the shapes.
func TestFoldBatchNormRefusesMismatchedShapes(t *testing.T) {
	g := graph.NewGraph(testBackend(), "fold")
	w := graph.Parameter(g, "w", shapesOf(3, 5))
	var bn [4]*graph.Node
	for i := range bn {
		bn[i] = graph.Parameter(g, fmt.Sprintf("bn%d", i), shapesOf(4))
	}
	for name, f := range map[string]func(){
		"after":  func() { FoldBatchNormAfter(w, nil, bn, 1e-5) },
		"before": func() { FoldBatchNormBefore(bn, 1e-5, w, nil) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "[3, 5]") {
					t.Errorf("%s: a [3, 5] weight with a 4-channel batch norm: panic %v, want one naming the weight's shape", name, r)
				}
			}()
			f()
		}()
	}
}

// TestConvHWIOMatchesOHWI: every lowering computes the same convolution
// from an HWIO kernel as from the OHWI one it was transposed from.
func TestConvHWIOMatchesOHWI(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	x := testutil.RandNormal(rng, 2, 8, 8, 3)
	w := testutil.RandNormal(rng, 4, 3, 3, 3)
	for _, l := range []Lowering{Native, Slices, Winograd} {
		for _, stride := range []int{1, 2} {
			outs := graph.MustExecOnceN(testBackend(), func(x, w *graph.Node) []*graph.Node {
				return []*graph.Node{conv2D(l, ohwi, x, w, stride, 1), conv2D(l, hwio, x, outputChannelsLast(w), stride, 1)}
			}, x, w)
			assertNear(t, fmt.Sprintf("lowering %d, stride %d", l, stride), flat(outs[1]), flat(outs[0]))
		}
	}
}
