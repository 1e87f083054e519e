//go:build unix

package cnn

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
)

// BenchmarkPredict: Predict's latency on the inference graph (batch norm
// folded into the convolutions, learner.Model.Inference) against the
// evaluation graph of Build (the same model without Inference), on the
// same weights, one call of each in turn so that a slow spell of a shared
// machine hits both. Reports per call: wall and CPU milliseconds of each
// and the ratios folded/unfolded.
//
//	go test -run '^$' -bench BenchmarkPredict -benchtime 20x ./fastgo/vision/cnn
func BenchmarkPredict(b *testing.B) {
	for _, c := range []struct {
		arch         models.Arch
		size, images int
	}{
		{models.ResNet18, 128, 1}, {models.ResNet18, 224, 1}, {models.ResNet18, 224, 8}, {models.ResNet34, 224, 1},
	} {
		b.Run(fmt.Sprintf("%s@%d/bs%d", c.arch.Name, c.size, c.images), func(b *testing.B) {
			vocab := make([]string, 37)
			for i := range vocab {
				vocab[i] = fmt.Sprintf("class%d", i)
			}
			folded := benchLearner(b, Model(c.arch, len(vocab)), vocab)
			m := Model(c.arch, len(vocab))
			m.Inference = nil
			plain := benchLearner(b, m, vocab)
			rng := rand.New(rand.NewPCG(1, 2))
			x := fastgo.ByteTensor{Shape: []int{c.images, c.size, c.size, 3}, Data: make([]uint8, c.images*c.size*c.size*3)}
			for i := range x.Data {
				x.Data[i] = uint8(rng.IntN(256))
			}
			if _, err := plain.Predict(x); err != nil { // creates the weights
				b.Fatal(err)
			}
			path := filepath.Join(b.TempDir(), "weights.learner")
			if err := plain.Save(path); err != nil {
				b.Fatal(err)
			}
			if err := folded.Load(path); err != nil {
				b.Fatal(err)
			}
			var wall, cpu [2]time.Duration
			for i := range b.N + 1 {
				for j, l := range []*learner.Learner{folded, plain} {
					w0, c0 := time.Now(), cpuTime()
					if _, err := l.Predict(x); err != nil {
						b.Fatal(err)
					}
					if i > 0 { // the first calls compile
						wall[j] += time.Since(w0)
						cpu[j] += cpuTime() - c0
					}
				}
			}
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(b.N) }
			b.ReportMetric(ms(wall[0]), "folded-ms")
			b.ReportMetric(ms(wall[1]), "unfolded-ms")
			b.ReportMetric(ms(cpu[0]), "folded-cpu-ms")
			b.ReportMetric(ms(cpu[1]), "unfolded-cpu-ms")
			b.ReportMetric(float64(wall[0])/float64(wall[1]), "wall-ratio")
			b.ReportMetric(float64(cpu[0])/float64(cpu[1]), "cpu-ratio")
		})
	}
}

func benchLearner(b *testing.B, m learner.Model, vocab []string) *learner.Learner {
	l, err := learner.New(learner.Data{Vocab: vocab}, m, quietBackend()...)
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
