// Command aug draws the presizing comparison figure and times the device
// augmentation on the pure-Go backend.
//
// It loads one image, presizes it with Resize(460), makes a batch of
// copies and augments it three ways with the same random draws: fastgo's
// single sampling, fastai's two samplings (affine at 460, then the crop)
// and the traditional one sampling per step. The PNG has one row per way.
//
//	GOEXPERIMENT=simd go run ./bench/aug -image ../shared/data/oxford-iiit-pet-sample/images/Abyssinian_1.jpg -out /tmp/aug.png
package main

import (
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"log"
	"os"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
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
	v, err := vision.Resize(460).Apply(img, fastgo.ItemContext{Split: fastgo.Valid})
	if err != nil {
		return err
	}
	pre := v.(vision.Image)
	batch := fastgo.ByteTensor{Shape: []int{n, pre.H, pre.W, 3}}
	for range n {
		batch.Data = append(batch.Data, pre.Pix...)
	}
	backend, err := compute.NewWithConfig("go:parallelism=-1")
	if err != nil {
		return err
	}
	aug, err := vision.AugTransforms(224, vision.MinScale(0.75), vision.PAffine(1))
	if err != nil {
		return err
	}
	var rows [][]vision.Image
	for _, t := range []struct {
		name string
		tfm  learner.DeviceTransform
	}{{"single", aug}, {"two-pass", aug.TwoPass()}, {"sequential", aug.Sequential()}} {
		tfms := []learner.DeviceTransform{t.tfm}
		if _, err := vision.ApplyBatchTransforms(backend, tfms, batch, fastgo.Train, seed); err != nil { // compile
			return err
		}
		start := time.Now()
		res, err := vision.ApplyBatchTransforms(backend, tfms, batch, fastgo.Train, seed)
		if err != nil {
			return err
		}
		fmt.Printf("%-10s %d images in %v\n", t.name, n, time.Since(start).Round(time.Millisecond))
		imgs, err := vision.DecodeBatch(res, nil)
		if err != nil {
			return err
		}
		rows = append(rows, imgs)
	}
	return writeGrid(out, rows)
}

// writeGrid writes the rows of equally sized images as one PNG.
func writeGrid(path string, rows [][]vision.Image) error {
	w, h := rows[0][0].W, rows[0][0].H
	grid := image.NewRGBA(image.Rect(0, 0, len(rows[0])*(w+4), len(rows)*(h+4)))
	for r, row := range rows {
		for c, m := range row {
			at := image.Pt(c*(w+4), r*(h+4))
			draw.Draw(grid, image.Rectangle{Min: at, Max: at.Add(image.Pt(w, h))}, m.ToStd(), image.Point{}, draw.Src)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, grid); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
