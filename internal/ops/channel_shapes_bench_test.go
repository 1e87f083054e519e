package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/fastgo-ml/fastgo/internal/testutil"
	"github.com/gomlx/gomlx/core/graph"
)

// BenchmarkChannelSumShapes measures the per-channel sum at the sizes of
// ResNet activations (batch 16 at 64 and 224 px): the backend's ReduceSum
// in one level and channelSum's two levels; and a per-channel multiply in
// both lowerings.
func BenchmarkChannelSumShapes(b *testing.B) {
	for _, s := range []struct{ n, c int }{{4096, 64}, {16 * 56 * 56, 64}, {16 * 112 * 112, 64}, {16 * 7 * 7, 512}} {
		rng := rand.New(rand.NewPCG(1, 1))
		x := testutil.RandNormal(rng, s.n, s.c)
		v := testutil.RandNormal(rng, s.c)
		variants := map[string]func(x *graph.Node) *graph.Node{
			"onelevel": func(x *graph.Node) *graph.Node { return graph.ReduceSum(x, 0) },
			"twolevel": func(x *graph.Node) *graph.Node { return channelSum(Slices, x) },
		}
		for _, name := range []string{"onelevel", "twolevel"} {
			f := variants[name]
			b.Run(fmt.Sprintf("sum_%s_%dx%d", name, s.n, s.c), func(b *testing.B) {
				exec := graph.MustNewExec(testBackend(), f)
				benchCPU(b, func() { exec.MustCall(x) })
			})
		}
		for _, l := range []Lowering{Native, Slices} {
			b.Run(fmt.Sprintf("scale_%v_%dx%d", l, s.n, s.c), func(b *testing.B) {
				exec := graph.MustNewExec(testBackend(), func(x, v *graph.Node) *graph.Node {
					return channelMul(l, x, v)
				})
				benchCPU(b, func() { exec.MustCall(x, v) })
			})
		}
	}
}
