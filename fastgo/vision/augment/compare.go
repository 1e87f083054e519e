package augment

import (
	"fmt"
	"time"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/backend"
	"github.com/fastgo-ml/fastgo/fastgo/device"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/gomlx/compute"
)

// AugmentationVariant is one way of applying an augmentation: its name,
// the images it made and how long the (already compiled) graph took.
type AugmentationVariant struct {
	Name    string
	Images  []vision.Image
	Elapsed time.Duration
}

// CompareAugmentations is the chapter's presizing figure: img is presized
// with Resize(presize) (centre crop), copied n times, and augmented by aug
// three ways with the same draws (random from seed, or aug's given draws)
// — fastgo's single sampling, fastai's two samplings (affine at the
// presize, then the crop) and the traditional one sampling per step (see
// Augment.TwoPass and Augment.Sequential). Errors: aug nil or n < 1; the
// presize or the graph failing on backend.
func CompareAugmentations(backend compute.Backend, img vision.Image, presize int, aug *Augment, n int, seed uint64) ([]AugmentationVariant, error) {
	if n < 1 || n > MaxShowCells || aug == nil {
		return nil, fmt.Errorf("augment.CompareAugmentations: want an augmentation and n from 1 to augment.MaxShowCells (%d) images, got n=%d", MaxShowCells, n)
	}
	return compareVariants(backend, img, presize, n, seed, []namedTransform{
		{"one sampling (fastgo)", aug},
		{"two samplings (fastai)", aug.TwoPass()},
		{"one sampling per step", aug.Sequential()},
	})
}

// CompareInterpolations is the book's figure of presizing: img presized
// with Resize(presize) (centre crop), then augmented once by aug sampled
// a single time (fastgo, as the book's fastai pipeline on the left) and
// once resampled at every step (the traditional approach, on the right),
// with the same draws — give aug the book's with WithDraws:
//
//	aug := augment.MustAugTransforms(224).MustWithDraws(augment.Draws{}.Rotate(30).Zoom(1.2).Warp(-0.2, 0.2))
//
// Random draws come from seed 0. One image per variant. Errors: aug nil;
// the presize or the graph failing on backend.
func CompareInterpolations(backend compute.Backend, img vision.Image, presize int, aug *Augment) ([]AugmentationVariant, error) {
	if aug == nil {
		return nil, fmt.Errorf("augment.CompareInterpolations: the augmentation is nil")
	}
	return compareVariants(backend, img, presize, 1, 0, []namedTransform{
		{"one interpolation (fastgo)", aug},
		{"one interpolation per step", aug.Sequential()},
	})
}

type namedTransform struct {
	name string
	tfm  device.Transform
}

// compareVariants presizes img, copies it n times and runs each variant
// (compiled first, then timed).
func compareVariants(backend compute.Backend, img vision.Image, presize, n int, seed uint64, variants []namedTransform) ([]AugmentationVariant, error) {
	v, err := vision.Resize(presize).Apply(img, fastgo.ItemContext{Split: fastgo.Valid})
	if err != nil {
		return nil, err
	}
	pre := v.(vision.Image)
	batch := fastgo.ByteTensor{Shape: []int{n, pre.H, pre.W, 3}}
	for range n {
		batch.Data = append(batch.Data, pre.Pix...)
	}
	var out []AugmentationVariant
	for _, variant := range variants {
		tfms := []device.Transform{variant.tfm}
		if _, err := device.ApplyBatchTransforms(backend, tfms, batch, fastgo.Train, seed); err != nil { // compiles
			return nil, err
		}
		start := time.Now()
		res, err := device.ApplyBatchTransforms(backend, tfms, batch, fastgo.Train, seed)
		if err != nil {
			return nil, err
		}
		elapsed := time.Since(start)
		imgs, err := DecodeBatch(res, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, AugmentationVariant{Name: variant.name, Images: imgs, Elapsed: elapsed})
	}
	return out, nil
}

// ShowInterpolationComparison shows CompareInterpolations' two images side
// by side, titled (on the process's backend, backend.Default()): the
// book's figure "A comparison of fastai's data augmentation strategy
// (left) and the traditional approach (right)". It returns the PNG's path
// in a terminal, "" in a notebook. Errors: CompareInterpolations', or the
// figure's file cannot be written (display's, naming the folder).
func ShowInterpolationComparison(img vision.Image, presize int, aug *Augment) (string, error) {
	variants, err := CompareInterpolations(backend.Default(), img, presize, aug)
	if err != nil {
		return "", err
	}
	return display.ShowImages(ComparisonCells(variants), len(variants), "interpolation_comparison")
}

// ShowAugmentationComparison shows CompareAugmentations' result as a grid,
// one row per variant (on the process's backend, backend.Default()), and
// returns the PNG's path in a terminal ("" in a notebook). Errors:
// CompareAugmentations', or the figure's file cannot be written.
func ShowAugmentationComparison(img vision.Image, presize int, aug *Augment, n int, seed uint64) (string, error) {
	variants, err := CompareAugmentations(backend.Default(), img, presize, aug, n, seed)
	if err != nil {
		return "", err
	}
	return display.ShowImages(ComparisonCells(variants), n, "augmentation_comparison")
}

// ComparisonCells lays the variants out for display.ShowImages or
// display.RenderGrid: one row per variant, titled by its first image.
func ComparisonCells(variants []AugmentationVariant) []display.TitledImage {
	var cells []display.TitledImage
	for _, v := range variants {
		for i, m := range v.Images {
			title := ""
			if i == 0 {
				title = v.Name
			}
			cells = append(cells, display.TitledImage{Image: m.ToStd(), Title: title})
		}
	}
	return cells
}
