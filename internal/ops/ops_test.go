package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/fastgo-ml/fastgo/internal/testutil"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

var testBackend = sync.OnceValue(func() compute.Backend {
	// parallelism=-1 avoids the pure-Go backend's scheduling deadlock on 2 cores.
	b, err := compute.NewWithConfig("go:parallelism=-1")
	if err != nil {
		panic(err)
	}
	return b
})

func flat(t *tensors.Tensor) []float32 { return tensors.MustCopyFlatData[float32](t) }

func assertClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s[%d] = %g, want %g (|diff| %g > tol %g)", what, i, got[i], want[i], d, tol)
		}
	}
}

// lossAndGrads returns y = f(x, w), and the gradients of sum(y·r) wrt x and w.
func lossAndGrads(t *testing.T, f func(x, w *graph.Node) *graph.Node, x, w, r *tensors.Tensor) (y, dx, dw *tensors.Tensor) {
	t.Helper()
	outs, err := graph.CallOnceN(testBackend(), func(x, w, r *graph.Node) []*graph.Node {
		y := f(x, w)
		loss := graph.ReduceAllSum(graph.Mul(y, r))
		grads := graph.Gradient(loss, x, w)
		return []*graph.Node{y, grads[0], grads[1]}
	}, x, w, r)
	if err != nil {
		t.Fatal(err)
	}
	return outs[0], outs[1], outs[2]
}

func TestConv2DIm2ColMatchesNative(t *testing.T) {
	cases := []struct{ b, h, w, cin, cout, k, stride, pad int }{
		{2, 7, 7, 3, 4, 3, 1, 1},
		{2, 8, 8, 3, 5, 3, 2, 1},
		{1, 9, 10, 2, 3, 7, 2, 3},
		{2, 6, 6, 4, 3, 1, 1, 0},
		{2, 7, 7, 4, 6, 1, 2, 0},
		{1, 5, 5, 2, 2, 3, 1, 0},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%dx%d_s%d_p%d", c.k, c.k, c.stride, c.pad), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(c.k*100+c.stride*10+c.pad)))
			x := testutil.RandNormal(rng, c.b, c.h, c.w, c.cin)
			w := testutil.RandNormal(rng, c.cout, c.k, c.k, c.cin)
			ho, wo := (c.h+2*c.pad-c.k)/c.stride+1, (c.w+2*c.pad-c.k)/c.stride+1
			r := testutil.RandNormal(rng, c.b, ho, wo, c.cout)
			conv := func(l Lowering) func(x, w *graph.Node) *graph.Node {
				return func(x, w *graph.Node) *graph.Node { return Conv2DWith(l, x, w, c.stride, c.pad) }
			}
			y1, dx1, dw1 := lossAndGrads(t, conv(Slices), x, w, r)
			y2, dx2, dw2 := lossAndGrads(t, conv(Native), x, w, r)
			if !y1.Shape().Equal(y2.Shape()) {
				t.Fatalf("im2col shape %s, native %s", y1.Shape(), y2.Shape())
			}
			assertClose(t, "y", flat(y1), flat(y2), 1e-4)
			assertClose(t, "dx", flat(dx1), flat(dx2), 1e-4)
			assertClose(t, "dw", flat(dw1), flat(dw2), 1e-4)
		})
	}
}

func TestConv2DAutoUsesIm2ColOnGo(t *testing.T) {
	g := graph.NewGraph(testBackend(), "auto")
	x := graph.Parameter(g, "x", tensors.FromShape(shapesOf(1, 4, 4, 2)).Shape())
	if Auto.resolve(x) != Slices {
		t.Fatalf("Auto on backend %q resolved to %v, want Slices", g.Backend(), Auto.resolve(x))
	}
}

func TestMaxPool2DSlicesMatchesNative(t *testing.T) {
	for _, c := range []struct{ h, k, stride, pad int }{{8, 3, 2, 1}, {7, 3, 2, 1}, {6, 2, 2, 0}, {5, 3, 1, 1}} {
		t.Run(fmt.Sprintf("h%d_k%d_s%d_p%d", c.h, c.k, c.stride, c.pad), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(2, uint64(c.h)))
			x := testutil.RandNormal(rng, 2, c.h, c.h, 3)
			ho := (c.h+2*c.pad-c.k)/c.stride + 1
			r := testutil.RandNormal(rng, 2, ho, ho, 3)
			pool := func(l Lowering) func(x, _ *graph.Node) *graph.Node {
				return func(x, _ *graph.Node) *graph.Node { return MaxPool2DWith(l, x, c.k, c.stride, c.pad) }
			}
			dummy := tensors.FromValue([]float32{0})
			y1, dx1, _ := lossAndGrads(t, pool(Slices), x, dummy, r)
			y2, dx2, _ := lossAndGrads(t, pool(Native), x, dummy, r)
			assertClose(t, "y", flat(y1), flat(y2), 0)
			assertClose(t, "dx", flat(dx1), flat(dx2), 1e-6) // overlapping windows sum in another order
		})
	}
}

func TestLinearGradientsMatchDefault(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	x, w, r := testutil.RandNormal(rng, 5, 7), testutil.RandNormal(rng, 4, 7), testutil.RandNormal(rng, 5, 4)
	y1, dx1, dw1 := lossAndGrads(t, Linear, x, w, r)
	y2, dx2, dw2 := lossAndGrads(t, func(x, w *graph.Node) *graph.Node {
		return graph.DotGeneral(x, []int{1}, nil, w, []int{1}, nil) // default gradient
	}, x, w, r)
	assertClose(t, "y", flat(y1), flat(y2), 1e-5)
	assertClose(t, "dx", flat(dx1), flat(dx2), 1e-5)
	assertClose(t, "dw", flat(dw1), flat(dw2), 1e-5)
}

func TestGlobalPools(t *testing.T) {
	x := tensors.FromFlatDataAndDimensions([]float32{1, -1, 5, 2, 3, 0, -2, 4}, 1, 2, 2, 2)
	outs := graph.MustExecOnceN(testBackend(), func(x *graph.Node) []*graph.Node {
		return []*graph.Node{AdaptiveMaxPool1x1(x), AdaptiveAvgPool1x1(x)}
	}, x)
	assertClose(t, "max", flat(outs[0]), []float32{5, 4}, 0)
	assertClose(t, "avg", flat(outs[1]), []float32{7.0 / 4, 5.0 / 4}, 1e-6)
}

func TestReLUGradient(t *testing.T) {
	x := tensorOf([]float32{-2, -0.5, 0, 0.25, 3, -1}, 2, 3)
	r := tensorOf([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	dummy := tensorOf([]float32{0}, 1)
	y, dx, _ := lossAndGrads(t, func(x, _ *graph.Node) *graph.Node { return ReLU(x) }, x, dummy, r)
	assertClose(t, "y", flat(y), []float32{0, 0, 0, 0.25, 3, 0}, 0)
	assertClose(t, "dx", flat(dx), []float32{0, 0, 0, 4, 5, 0}, 0)
}

// TestConvBackwardDoesNotReadPatches: the weight gradient of a stride-1
// im2col convolution crops the windows again (im2colWeightGrad), so the
// patch matrix — k² times the input — is read by the forward product only
// and can be freed before the backward pass; a stride-2 one keeps its
// patches (two readers).
func TestConvBackwardDoesNotReadPatches(t *testing.T) {
	if keepPatches {
		t.Skip("FASTGO_CONV_KEEP_PATCHES=1 keeps the patches")
	}
	for _, c := range []struct {
		stride, readers int
	}{{1, 1}, {2, 2}} {
		g := graph.NewGraph(testBackend(), "conv")
		x := graph.Parameter(g, "x", shapesOf(2, 8, 8, 4))
		w := graph.Parameter(g, "w", shapesOf(5, 3, 3, 4))
		y := Conv2DWith(Slices, x, w, c.stride, 1)
		graph.Gradient(graph.ReduceAllSum(graph.Mul(y, y)), x, w)
		var patches *graph.Node
		for _, n := range g.Nodes() {
			if marked(n, im2colAliasPrefix) {
				patches = n
			}
		}
		if patches == nil {
			t.Fatal("no im2col patch matrix in the graph")
		}
		readers := 0
		for _, n := range g.Nodes() {
			for _, in := range n.Inputs() {
				if in == patches {
					readers++
				}
			}
		}
		if readers != c.readers {
			t.Errorf("stride %d: the patch matrix has %d readers, want %d", c.stride, readers, c.readers)
		}
	}
}
