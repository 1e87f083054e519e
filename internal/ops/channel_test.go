package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/fastgo-ml/fastgo/internal/testutil"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// TestChannelOpsMatchNative checks the pure-Go lowering's per-channel sum
// and operations, and their gradients, against ReduceSum and explicit
// broadcasts.
func TestChannelOpsMatchNative(t *testing.T) {
	const n, c = 37, 5
	rng := rand.New(rand.NewPCG(7, 7))
	x, w, r := testutil.RandNormal(rng, n, c), testutil.RandNormal(rng, c), testutil.RandNormal(rng, n, c)
	f := func(l Lowering) func(x, w *graph.Node) *graph.Node {
		return func(x, w *graph.Node) *graph.Node {
			// Both operations, and each one's gradient, on the path to the loss.
			s := graph.Mul(channelSum(l, graph.Square(x)), w)
			y := channelMul(l, channelSub(l, x, s), w)
			return channelAdd(l, y, graph.Mul(s, s))
		}
	}
	wantY, wantDx, wantDw := lossAndGrads(t, f(Native), x, w, r)
	gotY, gotDx, gotDw := lossAndGrads(t, f(Slices), x, w, r)
	assertClose(t, "y", flat(gotY), flat(wantY), 1e-5)
	assertClose(t, "dx", flat(gotDx), flat(wantDx), 1e-5)
	assertClose(t, "dw", flat(gotDw), flat(wantDw), 1e-5)
}

// TestBatchNormLoweringsAgree checks that both lowerings of a training batch
// normalisation give the same output and gradients, on NHWC and [B,C] input.
func TestBatchNormLoweringsAgree(t *testing.T) {
	for _, dims := range [][]int{{4, 3, 5, 6}, {8, 7}} {
		t.Run(fmt.Sprint(dims), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(8, 8))
			x, r := testutil.RandNormal(rng, dims...), testutil.RandNormal(rng, dims...)
			run := func(l Lowering) []float32 {
				store := model.NewStore()
				outs := model.MustCallOnceN(testBackend(), store, func(s *model.Scope, x, r *graph.Node) []*graph.Node {
					bn := s.In("bn")
					y := batchNorm(l, bn, graph.AddScalar(x, 2), true, FastaiBatchNorm)
					vars := BatchNormVariables(bn, x.DType(), dims[len(dims)-1], FastaiBatchNorm)
					loss := graph.ReduceAllSum(graph.Mul(y, r))
					grads := graph.Gradient(loss, x, vars[0].NodeValue(x.Graph()), vars[1].NodeValue(x.Graph()))
					return []*graph.Node{graph.Concatenate([]*graph.Node{graph.Reshape(y, -1), graph.Reshape(grads[0], -1), grads[1], grads[2]}, 0)}
				}, x, r)
				return flat(outs[0])
			}
			assertClose(t, "y|dx|dweight|dbias", run(Slices), run(Native), 1e-4)
		})
	}
}

// BenchmarkChannelOps compares the per-channel sum and multiply of a
// ResNet18 layer1 activation at 64 px, batch 16 ([4096, 64]), in both
// lowerings on the pure-Go backend: one-level ReduceSum and explicit
// broadcast (native) against channel.go's two-level sum and [1,C] operand.
func BenchmarkChannelOps(b *testing.B) {
	const n, c = 4096, 64
	rng := rand.New(rand.NewPCG(1, 1))
	x, v := testutil.RandNormal(rng, n, c), testutil.RandNormal(rng, c)
	for _, l := range []Lowering{Native, Slices} {
		name := map[Lowering]string{Native: "native", Slices: "channelgo"}[l]
		b.Run("sum_"+name, func(b *testing.B) {
			exec := graph.MustNewExec(testBackend(), func(x *graph.Node) *graph.Node { return channelSum(l, x) })
			benchCPU(b, func() { exec.MustCall(x) })
		})
		b.Run("scale_"+name, func(b *testing.B) {
			exec := graph.MustNewExec(testBackend(), func(x, v *graph.Node) *graph.Node {
				return channelMul(l, x, v)
			})
			benchCPU(b, func() { exec.MustCall(x, v) })
		})
	}
}
