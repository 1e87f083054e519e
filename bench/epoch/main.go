// Command epoch measures one training epoch of fastgo on the pets sample
// with everything included — decoding, Resize on the CPU workers, the
// augmentation graph, the ResNet's forward and backward passes and fastai's
// Adam — and prints one JSON line like its PyTorch peer (torch_epoch.py):
//
//	{"arch":"resnet18","size":128,"images":576,"seconds":98.1,"img_per_s":5.9,...,"simd":"AVX-512"}
//
// The first batch compiles the training graph; "compile_s" says how long
// the untimed warm-up batch took. bench/epoch/run.sh runs both.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/fastbook"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/learner/persist"
	"github.com/fastgo-ml/fastgo/fastgo/vision/cnn"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
	"github.com/fastgo-ml/fastgo/internal/simdlevel"
)

func main() {
	images := flag.String("images", "../shared/data/oxford-iiit-pet-sample/images", "folder of pet images")
	archName := flag.String("arch", "resnet18", "resnet18, resnet34 or resnet50")
	size := flag.Int("size", 128, "final image size")
	presize := flag.Int("presize", 192, "Resize item transform")
	flag.Parse()
	if err := run(fastgo.Path(*images), *archName, *size, *presize); err != nil {
		fmt.Fprintln(os.Stderr, "bench/epoch:", err)
		os.Exit(1)
	}
}

func run(images fastgo.Path, archName string, size, presize int) error {
	arch, err := models.ArchByName(archName)
	if err != nil {
		return err
	}
	pets, err := fastbook.PetsDataBlock(presize, size)
	if err != nil {
		return err
	}
	dls, err := pets.DataLoaders(images)
	if err != nil {
		return err
	}
	learn, err := cnn.Learner(dls, arch, cnn.Pretrained(false), persist.Off())
	if err != nil {
		return err
	}
	learn.Quiet = true
	data := learn.Data
	// Warm-up: one batch compiles the training graph (not timed).
	first, err := firstBatch(data.Train)
	if err != nil {
		return err
	}
	learn.Data.Train, learn.Data.Valid = learner.SliceSource{first}, learner.SliceSource{}
	start := time.Now()
	if err := learn.Fit(1, 1e-3); err != nil {
		return err
	}
	compile := time.Since(start).Seconds()
	learn.Data = data
	learn.Data.Valid = learner.SliceSource{} // training only, as the peer
	start = time.Now()
	if err := learn.Fit(1, 1e-3); err != nil {
		return err
	}
	elapsed := time.Since(start).Seconds()
	n := data.Train.Len() * dls.Train.BatchSize
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"arch": arch.Name, "size": size, "images": n, "seconds": elapsed,
		"img_per_s": float64(n) / elapsed, "compile_s": compile,
		"peak_rss_mib": float64(ru.Maxrss) / 1024,
		"simd":         simdlevel.Level(),
	})
}

func firstBatch(src learner.BatchSource) (learner.Batch, error) {
	for b, err := range src.Epoch(0) {
		return b, err
	}
	return learner.Batch{}, fmt.Errorf("the training loader yields no batch")
}
