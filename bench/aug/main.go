// Command aug draws the presizing comparison figure and times the device
// augmentation on the pure-Go backend (see augment.CompareAugmentations):
// one image presized with Resize(460), n copies, augmented three ways with
// the same random draws. The PNG has one row per way.
//
//	GOEXPERIMENT=simd go run ./bench/aug -image ../shared/data/oxford-iiit-pet-sample/images/Abyssinian_1.jpg -out /tmp/aug.png
package main

import (
	"flag"
	"fmt"
	"image/png"
	"log"
	"os"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/fastgo/backend"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
)

func main() {
	imagePath := flag.String("image", "", "image file to augment (required)")
	out := flag.String("out", "aug.png", "PNG to write")
	n := flag.Int("n", 4, "images per row")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *imagePath == "" || *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*imagePath, *out, *n, *seed); err != nil {
		log.Fatal(err)
	}
}

func run(imagePath, out string, n int, seed uint64) error {
	img, err := vision.LoadImage(imagePath)
	if err != nil {
		return err
	}
	aug, err := augment.AugTransforms(224, augment.MinScale(0.75), augment.PAffine(1))
	if err != nil {
		return err
	}
	variants, err := augment.CompareAugmentations(backend.Default(), img, 460, aug, n, seed)
	if err != nil {
		return err
	}
	for _, v := range variants {
		fmt.Printf("%-24s %d images in %v\n", v.Name, n, v.Elapsed)
	}
	grid, err := display.RenderGrid(augment.ComparisonCells(variants), n, "")
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := png.Encode(f, grid); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
