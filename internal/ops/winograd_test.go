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
			got := graph.MustExecOnce(testBackend(), conv3x3Winograd, x, w)
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
					f = conv3x3Winograd
				}
				exec := graph.MustNewExec(testBackend(), f)
				benchCPU(b, func() { exec.MustCall(x, w) })
			})
		}
	}
}
