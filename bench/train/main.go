// Command train measures fastgo's training step — forward, backward and
// fastai's Adam update, through learner.Fit — for one ResNet configuration,
// and prints one JSON line like the PyTorch peer (torch_step.py):
//
//	{"arch":"resnet18","size":64,"img_per_s":12.3,"peak_rss_mib":810.5,"step_s":1.3,"simd":"AVX-512"}
//
// "simd" is the vector instruction set the backend's kernels use in this
// process (internal/simdlevel); "step_cpu_s" the CPU time of a step (both
// cores), steadier than its wall time on a shared machine.
//
// bench/train/run.sh runs it beside PyTorch for every configuration.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision/cnn"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
	"github.com/fastgo-ml/fastgo/internal/simdlevel"
)

func main() {
	archName := flag.String("arch", "resnet18", "resnet18, resnet34 or resnet50")
	size := flag.Int("size", 64, "image side in pixels")
	bs := flag.Int("bs", 16, "batch size")
	steps := flag.Int("steps", 5, "timed training steps (after one untimed step that compiles)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the timed steps to this file")
	prefetch := flag.Int("prefetch", -1, "batches prepared ahead of the step (learner.Pipelining.Prefetch; -1: the backend's default)")
	flag.Parse()
	if *prefetch >= 0 {
		p := learner.DefaultPipelining(nil)
		p.Prefetch = *prefetch
		opts = append(opts, learner.WithPipelining(p))
	}
	if err := run(*archName, *size, *bs, *steps, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "bench/train:", err)
		os.Exit(1)
	}
}

// opts are the learner options the flags ask for.
var opts []learner.Option

// randomBatches makes n batches of random uint8 images with random labels.
func randomBatches(n, bs, size, classes int) learner.SliceSource {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make(learner.SliceSource, n)
	for i := range out {
		x := make([]uint8, bs*size*size*3)
		for j := range x {
			x[j] = uint8(rng.IntN(256))
		}
		y := make([]int, bs)
		for j := range y {
			y[j] = rng.IntN(classes)
		}
		out[i] = learner.Batch{X: fastgo.ByteTensor{Shape: []int{bs, size, size, 3}, Data: x}, Y: y}
	}
	return out
}

// run measures the steps; profileTo, unless "", receives their CPU profile.
func run(archName string, size, bs, steps int, profileTo string) error {
	arch, err := models.ArchByName(archName)
	if err != nil {
		return err
	}
	const classes = 37
	vocab := make([]string, classes)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("class%02d", i)
	}
	data := learner.Data{Train: randomBatches(steps, bs, size, classes), Valid: learner.SliceSource{}, Vocab: vocab}
	learn, err := learner.New(data, cnn.Model(arch, classes), opts...)
	if err != nil {
		return err
	}
	learn.Quiet = true
	// One step compiles the training graph; it is not timed.
	warm := data
	warm.Train = data.Train.(learner.SliceSource)[:1]
	learn.Data = warm
	if err := learn.Fit(1, 1e-3); err != nil {
		return err
	}
	learn.Data = data
	if profileTo != "" {
		f, err := os.Create(profileTo)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	cpu0 := cpuSeconds()
	start := time.Now()
	if err := learn.Fit(1, 1e-3); err != nil {
		return err
	}
	elapsed := time.Since(start).Seconds()
	cpu := cpuSeconds() - cpu0
	pprof.StopCPUProfile()
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"arch": arch.Name, "size": size,
		"img_per_s":    float64(steps*bs) / elapsed,
		"step_s":       elapsed / float64(steps),
		"step_cpu_s":   cpu / float64(steps),
		"peak_rss_mib": float64(ru.Maxrss) / 1024,
		"simd":         simdlevel.Level(),
	})
}

// cpuSeconds is the user and system CPU time of this process so far: on a
// shared machine the CPU time of a step varies less than its wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
