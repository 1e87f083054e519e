package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/fastgo-ml/fastgo/internal/testutil"
	"github.com/gomlx/gomlx/core/graph"
)

// TestWinogradMatchesIm2Col: F(2×2, 3×3) gives im2col's output, on even
// and odd sizes.
func TestWinogradMatchesIm2Col(t *testing.T) {
	for _, hw := range [][2]int{{6, 8}, {7, 7}, {5, 4}} {
		t.Run(fmt.Sprint(hw), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, uint64(hw[0])))
			x := testutil.RandNormal(rng, 2, hw[0], hw[1], 3)
			w := testutil.RandNormal(rng, 4, 3, 3, 3)
			want := graph.MustExecOnce(testBackend(), func(x, w *graph.Node) *graph.Node { return Conv2DWith(Slices, x, w, 1, 1) }, x, w)
			got := graph.MustExecOnce(testBackend(), winogradOHWI, x, w)
			if !got.Shape().Equal(want.Shape()) {
				t.Fatalf("shape %s, want %s", got.Shape(), want.Shape())
			}
			assertClose(t, "y", flat(got), flat(want), 1e-5)
		})
	}
}

// BenchmarkConvForwardAlgorithms compares the forward pass of ResNet's 3×3
// stride-1 convolutions at 224 px, batch 16, by im2col (Conv2D on the
// pure-Go backend) and by Winograd F(2×2, 3×3).
func BenchmarkConvForwardAlgorithms(b *testing.B) {
	for _, c := range []struct{ hw, ch int }{{56, 64}, {28, 128}, {14, 256}, {7, 512}} {
		rng := rand.New(rand.NewPCG(1, 1))
		x := testutil.RandNormal(rng, 16, c.hw, c.hw, c.ch)
		w := testutil.RandNormal(rng, c.ch, 3, 3, c.ch)
		for _, alg := range []string{"im2col", "winograd"} {
			b.Run(fmt.Sprintf("%s_%dpx_%d", alg, c.hw, c.ch), func(b *testing.B) {
				f := func(x, w *graph.Node) *graph.Node { return Conv2DWith(Slices, x, w, 1, 1) }
				if alg == "winograd" {
					f = winogradOHWI
				}
				exec := graph.MustNewExec(testBackend(), f)
				benchCPU(b, func() { exec.MustCall(x, w) })
			})
		}
	}
}

// TestWinogradGradients: the gradients through F(2×2, 3×3) (this
// package's for crops, pads, the interleaving and the products, GoMLX's
// for the rest) equal im2col's.
func TestWinogradGradients(t *testing.T) {
	for _, hw := range [][2]int{{6, 8}, {4, 4}} {
		t.Run(fmt.Sprint(hw), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(6, uint64(hw[0])))
			x := testutil.RandNormal(rng, 2, hw[0], hw[1], 3)
			w := testutil.RandNormal(rng, 4, 3, 3, 3)
			r := testutil.RandNormal(rng, 2, hw[0], hw[1], 4)
			y1, dx1, dw1 := lossAndGrads(t, winogradOHWI, x, w, r)
			y2, dx2, dw2 := lossAndGrads(t, func(x, w *graph.Node) *graph.Node { return Conv2DWith(Slices, x, w, 1, 1) }, x, w, r)
			assertClose(t, "y", flat(y1), flat(y2), 1e-5)
			assertClose(t, "dx", flat(dx1), flat(dx2), 1e-5)
			assertClose(t, "dw", flat(dw1), flat(dw2), 1e-5)
		})
	}
}

// BenchmarkConvTrainAlgorithms compares forward and backward (gradients of
// x and w) of ResNet's 3×3 stride-1 convolutions, batch 16, at the sizes
// of its stages at 224, 128 and 64 px, by im2col and by Winograd F(2×2, 3×3).
func BenchmarkConvTrainAlgorithms(b *testing.B) {
	for _, c := range []struct{ hw, ch int }{{56, 64}, {28, 128}, {14, 256}, {32, 64}, {16, 128}, {8, 256}, {4, 512}, {2, 512}} {
		rng := rand.New(rand.NewPCG(1, 1))
		x := testutil.RandNormal(rng, 16, c.hw, c.hw, c.ch)
		w := testutil.RandNormal(rng, c.ch, 3, 3, c.ch)
		for _, alg := range []string{"im2col", "winograd"} {
			b.Run(fmt.Sprintf("%dpx_%d_%s", c.hw, c.ch, alg), func(b *testing.B) {
				f := func(x, w *graph.Node) *graph.Node { return Conv2DWith(Slices, x, w, 1, 1) }
				if alg == "winograd" {
					f = winogradOHWI
				}
				exec := graph.MustNewExec(testBackend(), func(x, w *graph.Node) []*graph.Node {
					y := f(x, w)
					return graph.Gradient(graph.ReduceAllSum(graph.Mul(y, y)), x, w)
				})
				benchCPU(b, func() { exec.MustCall(x, w) })
			})
		}
	}
}

// TestWinogradBackwardDoesNotReadV: the weight gradient computes the input
// transform again (winogradWeightGrad), so each of the 16 input matrices
// is read by its forward product only and is freed before the backward
// pass; and the recomputation's hand-over is emptied after the Gradient.
func TestWinogradBackwardDoesNotReadV(t *testing.T) {
	if keepPatches {
		t.Skip("FASTGO_CONV_KEEP_PATCHES=1 keeps the input matrices")
	}
	g := graph.NewGraph(testBackend(), "winograd")
	x := graph.Parameter(g, "x", shapesOf(2, 8, 8, 4))
	w := graph.Parameter(g, "w", shapesOf(5, 3, 3, 4))
	y := conv3x3Winograd(ohwi, x, w)
	graph.Gradient(graph.ReduceAllSum(graph.Mul(y, y)), x, w)
	readers := map[*graph.Node]int{}
	for _, n := range g.Nodes() {
		for _, in := range n.Inputs() {
			if marked(in, winogradVAliasPrefix) {
				readers[in]++
			}
		}
	}
	if len(readers) != 16 {
		t.Fatalf("%d marked input matrices read, want 16", len(readers))
	}
	for n, r := range readers {
		if r != 1 {
			t.Errorf("%s has %d readers, want 1 (the forward product)", n.GetAlias(), r)
		}
	}
	winogradRecomputed.Range(func(k, _ any) bool {
		t.Errorf("hand-over entry left for %v", k)
		return true
	})
}

// winogradOHWI is conv3x3Winograd of an OHWI kernel.
func winogradOHWI(x, w *graph.Node) *graph.Node { return conv3x3Winograd(ohwi, x, w) }
