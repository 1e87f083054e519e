// Command data measures fastgo's item pipeline on the shared pet sample:
// decode by content, Resize(460) (random crop, antialiased) and collation
// into uint8 [64,460,460,3] batches, with 2 workers, through
// fastgo.DataLoaders. bench/data/run.sh runs it next to torchvision's
// DataLoader doing the same work (bench/data/torch_loader.py).
//
//	go run ./bench/data -images ../shared/data/oxford-iiit-pet-sample/images
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
)

func main() {
	images := flag.String("images", "../shared/data/oxford-iiit-pet-sample/images", "folder of images")
	bs := flag.Int("bs", 64, "batch size")
	workers := flag.Int("workers", 2, "CPU workers")
	size := flag.Int("size", 460, "Resize size")
	epochs := flag.Int("epochs", 2, "epochs; the last one is reported (the first warms the page cache)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/data:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(fastgo.Path(*images), *bs, *workers, *size, *epochs); err != nil {
		fmt.Fprintln(os.Stderr, "bench/data:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(images fastgo.Path, bs, workers, size, epochs int) error {
	db := fastgo.DataBlock{
		Blocks:   fastgo.Blocks{X: vision.ImageBlock(), Y: fastgo.CategoryBlock()},
		GetItems: fastgo.GetImageFiles,
		// Everything in the training set: shuffled, random crops, the
		// last partial batch dropped — what the torchvision side does.
		Splitter: fastgo.RandomSplitter(0, 42),
		GetY:     fastgo.UsingName(fastgo.RegexLabeller(`(.+)_\d+.jpg$`)),
		ItemTfms: []fastgo.ItemTransform{vision.Resize(size)},
	}
	dls, err := db.DataLoaders(images, fastgo.WithBatchSize(bs), fastgo.WithWorkers(workers), fastgo.WithSeed(1))
	if err != nil {
		return err
	}
	for epoch := range epochs {
		n, batches := 0, 0
		start := time.Now()
		for b, err := range dls.Train.Batches(epoch) {
			if err != nil {
				return err
			}
			n += b.X.Shape[0]
			batches++
		}
		secs := time.Since(start).Seconds()
		fmt.Printf("fastgo epoch %d: %d images in %d batches in %.2f s = %.1f images/s\n", epoch, n, batches, secs, float64(n)/secs)
		if epoch == epochs-1 {
			fmt.Printf("RESULT fastgo %.1f\n", float64(n)/secs)
		}
	}
	return nil
}
