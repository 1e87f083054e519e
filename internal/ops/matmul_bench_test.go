package ops

import (
	"math/rand/v2"
	"testing"

	"github.com/fastgo-ml/fastgo/internal/testutil"

	"github.com/gomlx/gomlx/core/graph"
)

// BenchmarkMatMulShapes measures the pure-Go backend's matrix product on the
// shapes of a ResNet18 layer1 convolution at 64 px, batch 16, in each layout
// its forward and gradient products could use (N: output positions, K:
// kernel taps × input channels, M: output channels).
func BenchmarkMatMulShapes(b *testing.B) {
	const n, k, m = 4096, 576, 64
	for _, c := range []struct {
		name           string
		lhs, rhs       []int
		lContr, rContr int
		flops          float64
		transposeLHS   bool // transpose lhs explicitly first (as linearVJP's dW does)
	}{
		{"fwd_NK.MK", []int{n, k}, []int{m, k}, 1, 1, 2 * n * k * m, false},
		{"fwd_NK.KM", []int{n, k}, []int{k, m}, 1, 0, 2 * n * k * m, false},
		{"dW_MN.NK", []int{m, n}, []int{n, k}, 1, 0, 2 * n * k * m, false},
		{"dW_T(NM).NK", []int{n, m}, []int{n, k}, 1, 0, 2 * n * k * m, true},
		{"dW_NM.NK_contract0", []int{n, m}, []int{n, k}, 0, 0, 2 * n * k * m, false},
		{"dWt_KN.NM", []int{k, n}, []int{n, m}, 1, 0, 2 * n * k * m, false},
		{"dX_NM.MK", []int{n, m}, []int{m, k}, 1, 0, 2 * n * k * m, false},
		{"dX_NM.KM", []int{n, m}, []int{k, m}, 1, 1, 2 * n * k * m, false},
		{"dXpart_NM.MC", []int{n, m}, []int{m, 64}, 1, 0, 2 * n * 64 * m, false},
		{"dXpart_NM.CM", []int{n, m}, []int{64, m}, 1, 1, 2 * n * 64 * m, false},
		// Channel-major activations ([C, B·H·W]).
		{"cm_fwd_MK.KN", []int{m, k}, []int{k, n}, 1, 0, 2 * n * k * m, false},
		{"cm_dW_MN.KN", []int{m, n}, []int{k, n}, 1, 1, 2 * n * k * m, false},
		{"cm_dX_KM.MN", []int{k, m}, []int{m, n}, 1, 0, 2 * n * k * m, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			x, y := testutil.RandNormal(rng, c.lhs...), testutil.RandNormal(rng, c.rhs...)
			exec := graph.MustNewExec(testBackend(), func(x, y *graph.Node) *graph.Node {
				if c.transposeLHS {
					x = graph.Transpose(x, 0, 1)
				}
				return graph.DotGeneral(x, []int{c.lContr}, nil, y, []int{c.rContr}, nil)
			})
			exec.MustCall(x, y)
			b.ResetTimer()
			cpu0 := cpuSeconds()
			for range b.N {
				exec.MustCall(x, y)
			}
			b.ReportMetric(c.flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			b.ReportMetric(c.flops*float64(b.N)/(cpuSeconds()-cpu0)/1e9, "GFLOP/cpu-s")
		})
	}
}
