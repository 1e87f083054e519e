package ops

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/fastgo-ml/fastgo/internal/testutil"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// BenchmarkConv2DTrain measures forward+backward of one convolution layer
// of ResNet18 at 64 px, batch 16 (layer1 and layer3 shapes).
func BenchmarkConv2DTrain(b *testing.B) {
	for _, c := range []struct{ hw, cin, cout, k, stride, pad int }{
		{16, 64, 64, 3, 1, 1}, {4, 256, 256, 3, 1, 1}, {8, 128, 256, 3, 2, 1}, {64, 3, 64, 7, 2, 3},
	} {
		for _, l := range []Lowering{Slices} {
			b.Run(fmt.Sprintf("%dpx_%d-%d_k%d_s%d", c.hw, c.cin, c.cout, c.k, c.stride), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 1))
				x := testutil.RandNormal(rng, 16, c.hw, c.hw, c.cin)
				w := testutil.RandNormal(rng, c.cout, c.k, c.k, c.cin)
				exec := graph.MustNewExec(testBackend(), func(x, w *graph.Node) []*graph.Node {
					y := Conv2DWith(l, x, w, c.stride, c.pad)
					loss := graph.ReduceAllSum(graph.Mul(y, y))
					if c.cin == 3 { // the stem: images need no gradient
						return graph.Gradient(loss, w)
					}
					return graph.Gradient(loss, x, w)
				})
				benchCPU(b, func() { exec.MustCall(x, w) })
			})
		}
	}
}

// benchCPU times call (run once first, to compile) and reports its CPU
// time per call as well: the machine is shared, CPU time is the steadier
// measure.
func benchCPU(b *testing.B, call func()) {
	call()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for range b.N {
		call()
	}
	b.ReportMetric(1000*(cpuSeconds()-cpu0)/float64(b.N), "cpu-ms/op")
}

// cpuSeconds is the user+system CPU time of this process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// BenchmarkBatchNormTrain measures forward+backward of a training batch norm
// on a ResNet18 layer1 activation at 64 px, batch 16, and (224px) on the
// stem's output at 224 px, batch 16.
func BenchmarkBatchNormTrain(b *testing.B) {
	for _, c := range []struct {
		name string
		hw   int
	}{{"", 16}, {"224px", 112}} {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			x := testutil.RandNormal(rng, 16, c.hw, c.hw, 64)
			store := model.NewStore()
			exec := model.MustNewExec(testBackend(), store, func(scope *model.Scope, x *graph.Node) []*graph.Node {
				y := BatchNorm(scope.In("bn"), x, true)
				loss := graph.ReduceAllSum(graph.Mul(y, y))
				return graph.Gradient(loss, x)
			})
			benchCPU(b, func() { exec.MustCall(x) })
		})
	}
}
