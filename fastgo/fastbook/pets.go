package fastbook

import (
	"github.com/fastgo-ml/fastgo/fastgo"

	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
)

// PetsDataBlock is the chapter's (fastbook 05) pets DataBlock: images
// labelled by the breed in their file name (RegexLabeller(`(.+)_\d+.jpg$`)
// on the name), a seeded 80/20 RandomSplitter(0.2, 42), presizing with
// Resize(presize) on the CPU, then AugTransforms(size, MinScale(0.75)) and
// ImageNet Normalize on the device. presize and size are sides in pixels.
// Errors are AugTransforms' (a size it refuses).
func PetsDataBlock(presize, size int) (*fastgo.DataBlock, error) {
	aug, err := augment.AugTransforms(size, augment.MinScale(0.75))
	if err != nil {
		return nil, err
	}
	return &fastgo.DataBlock{
		Blocks:    fastgo.Blocks{X: vision.ImageBlock(), Y: fastgo.CategoryBlock()},
		GetItems:  fastgo.GetImageFiles,
		Splitter:  fastgo.RandomSplitter(0.2, 42),
		GetY:      fastgo.UsingName(fastgo.RegexLabeller(`(.+)_\d+.jpg$`)),
		ItemTfms:  []fastgo.ItemTransform{vision.Resize(presize)},
		BatchTfms: []fastgo.BatchTransform{aug, augment.MustNormalize(augment.ImagenetStats())},
	}, nil
}
