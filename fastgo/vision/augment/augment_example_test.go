package augment_test

import (
	"fmt"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/backend"
	"github.com/fastgo-ml/fastgo/fastgo/device"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
)

// The chapter's batch transforms, as fastai's Pipeline prints them.
func ExampleAugTransforms() {
	aug, err := augment.AugTransforms(224, augment.MinScale(0.75))
	if err != nil {
		panic(err)
	}
	fmt.Println(aug.Name())
	// Output:
	// Flip -- {'size': None, 'mode': 'bilinear', 'pad_mode': 'reflection', 'mode_mask': 'nearest', 'align_corners': True, 'p': 0.5}
	//  -> RandomResizedCropGPU -- {'size': (224, 224), 'min_scale': 0.75, 'ratio': (1, 1), 'mode': 'bilinear', 'valid_scale': 1.0, 'max_scale': 1.0, 'mode_mask': 'nearest', 'p': 1.0}
	//  -> Brightness -- {'max_lighting': 0.2, 'p': 1.0, 'draw': None, 'batch': False}
}

// Validation batches are the centre square resized to the output size: a
// 2×4 image gives its middle 2×2 pixels.
func ExampleAugTransforms_valid() {
	b := backend.Default() // fastgo's choice of GoMLX backend: pure Go on a CPU
	batch := fastgo.ByteTensor{Shape: []int{1, 2, 4, 3}, Data: make([]uint8, 24)}
	for i := range batch.Data {
		batch.Data[i] = uint8(10 * (i / 3)) // pixel k is grey 10k
	}
	tfms := []device.Transform{augment.MustAugTransforms(2, augment.MinScale(0.75))}
	out, err := device.ApplyBatchTransforms(b, tfms, batch, fastgo.Valid, 42)
	if err != nil {
		panic(err)
	}
	imgs, err := augment.DecodeBatch(out, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(imgs[0].W, imgs[0].H, imgs[0].Pix)
	// Output:
	// 2 2 [10 10 10 20 20 20 50 50 50 60 60 60]
}

// Given draws reproduce fastai's transforms exactly (make parity compares
// them with fastai's formulas in PyTorch). On a 3×3 image whose pixel k
// is grey 10k: fastai's Rotate(draw=90, p=1.) reads output (x, y) from
// source (y, −x) in normalised coordinates — the top row goes to the right
// — and Flip(p=1.) mirrors left to right; one Draws per image.
func ExampleAugment_WithDraws() {
	b := backend.Default() // fastgo's choice of GoMLX backend: pure Go on a CPU
	batch := fastgo.ByteTensor{Shape: []int{2, 3, 3, 3}, Data: make([]uint8, 54)}
	for i := range batch.Data {
		batch.Data[i] = uint8(10 * (i % 27 / 3))
	}
	still := augment.MustAugTransforms(0, augment.DoFlip(false), augment.MaxRotate(0), augment.MaxZoom(1), augment.MaxWarp(0), augment.MaxLighting(0))
	aug, err := still.WithDraws(augment.Draws{}.Rotate(90), augment.Draws{}.Flip())
	if err != nil {
		panic(err)
	}
	out, err := device.ApplyBatchTransforms(b, []device.Transform{aug}, batch, fastgo.Train, 0)
	if err != nil {
		panic(err)
	}
	imgs, err := augment.DecodeBatch(out, nil)
	if err != nil {
		panic(err)
	}
	for i, img := range imgs {
		fmt.Println(aug.Draws()[i])
		for y := range 3 {
			fmt.Println(img.Pix[(y*3)*3], img.Pix[(y*3+1)*3], img.Pix[(y*3+2)*3])
		}
	}
	// Output:
	// Rotate(draw=90)
	// 60 30 0
	// 70 40 10
	// 80 50 20
	// Flip(draw=1)
	// 20 10 0
	// 50 40 30
	// 80 70 60
}

// Draws print as fastai's transforms with their draw= arguments; a value
// out of range is refused by Err.
func ExampleDraws() {
	d := augment.Draws{}.Rotate(30).Zoom(1.2).Warp(-0.2, 0.2)
	fmt.Println(d)
	fmt.Println(augment.Draws{})
	fmt.Println(augment.Draws{}.Brightness(1.5).Err())
	// Output:
	// Rotate(draw=30) Zoom(draw=1.2, draw_x=0.5, draw_y=0.5) Warp(draw_x=-0.2, draw_y=0.2)
	// no change
	// augment.Draws.Brightness(1.5): give a value in (0, 1); 0.5 leaves the image as it is
}

// Normalize with ImageNet's statistics, as cnn.Learner adds for a
// pretrained model (fastai's Normalize.from_stats(*imagenet_stats)).
func ExampleNormalize() {
	norm, err := augment.Normalize(augment.ImagenetStats())
	if err != nil {
		panic(err)
	}
	fmt.Println(norm.Name())
	// Output:
	// Normalize -- {'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225], 'axes': (0, 2, 3)}
}
