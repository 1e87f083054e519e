package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
)

// TestChannelSumAccuracy: the per-channel sum of a ResNet activation at
// 224 px (batch 16: N = 16·112·112 rows) of positive values (post-ReLU
// inputs have a mean well above their spread), against the exact sum. Added
// one after another in float32 the error grows with N: the plain
// matrix-vector product was 72 float32 steps off (ε = 2⁻²³, 8.6e-6
// relative); summed in two levels of about √N it is 2.4 ε. Limit: 8 ε.
func TestChannelSumAccuracy(t *testing.T) {
	for _, n := range []int{16 * 112 * 112, 64 * 16 * 16, 37, 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			const c = 3
			rng := rand.New(rand.NewPCG(3, uint64(n)))
			data := make([]float32, n*c)
			exact := make([]float64, c)
			for i := range data {
				data[i] = float32(1 + 0.1*rng.NormFloat64())
				exact[i%c] += float64(data[i])
			}
			got := flat(graph.MustExecOnce(testBackend(), func(x *graph.Node) *graph.Node { return channelSum(Slices, x) }, tensorOf(data, n, c)))
			worst := 0.0
			for j := range c {
				worst = math.Max(worst, math.Abs(float64(got[j])-exact[j])/exact[j])
			}
			const eps = 1.0 / (1 << 23)
			t.Logf("N=%d: largest relative error %.3g (%.1f ε)", n, worst, worst/eps)
			if worst > 8*eps {
				t.Errorf("N=%d: relative error %.3g, more than 8 ε (%.3g)", n, worst, 8*eps)
			}
		})
	}
}
