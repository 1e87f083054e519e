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
// three ways with the same random draws — fastgo's single sampling, fastai's
// two samplings (affine at the presize, then the crop) and the traditional
// one sampling per step (see Augment.TwoPass and Augment.Sequential).
func CompareAugmentations(backend compute.Backend, img vision.Image, presize int, aug *Augment, n int, seed uint64) ([]AugmentationVariant, error) {
	if n < 1 || aug == nil {
		return nil, fmt.Errorf("augment.CompareAugmentations: want an augmentation and n ≥ 1, got n=%d", n)
	}
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
	for _, variant := range []struct {
		name string
		tfm  device.Transform
	}{
		{"one sampling (fastgo)", aug},
		{"two samplings (fastai)", aug.TwoPass()},
		{"one sampling per step", aug.Sequential()},
	} {
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

// ShowAugmentationComparison shows CompareAugmentations' result as a grid,
// one row per variant (on the process's backend, backend.Default()).
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
