package augment

import (
	"math/rand/v2"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/device"
	"github.com/fastgo-ml/fastgo/internal/testutil"
)

// BenchmarkAug measures the chapter's batch pipeline (aug_transforms with
// MinScale 0.75 to 224, then Normalize) on a batch of 64 presized 460×460
// images, uint8 in, float out, on the pure-Go backend. Compilation is
// excluded. Run: go test -bench BenchmarkAug -benchtime 3x ./fastgo/vision
func BenchmarkAug(b *testing.B) {
	for _, tc := range []struct {
		name  string
		split fastgo.Split
	}{{"train", fastgo.Train}, {"valid", fastgo.Valid}} {
		b.Run(tc.name, func(b *testing.B) {
			const bs, n = 64, 460
			rng := rand.New(rand.NewPCG(1, 2))
			batch := fastgo.ByteTensor{Shape: []int{bs, n, n, 3}, Data: make([]uint8, bs*n*n*3)}
			for i := range batch.Data {
				batch.Data[i] = uint8(rng.IntN(256))
			}
			tfms := []device.Transform{MustAugTransforms(224, MinScale(0.75)), MustNormalize(ImagenetStats())}
			be := augBackendT(b)
			if _, err := device.ApplyBatchTransforms(be, tfms, batch, tc.split, 0); err != nil { // compile
				b.Fatal(err)
			}
			cpu0 := testutil.CPUSeconds()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out, err := device.ApplyBatchTransforms(be, tfms, batch, tc.split, uint64(i))
				if err != nil {
					b.Fatal(err)
				}
				_ = out.FinalizeAll()
			}
			b.ReportMetric(float64(bs*b.N)/b.Elapsed().Seconds(), "images/s")
			// The CPU is shared: images per CPU-second of this process is
			// the load-independent figure.
			b.ReportMetric(float64(bs*b.N)/(testutil.CPUSeconds()-cpu0), "images/cpu-s")
		})
	}
}
