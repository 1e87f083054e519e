package fastgo_test

import (
	"fmt"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
)

// The chapter's DataBlock on nine pet photos (../testdata/images): the
// breed from the file name, a seeded 80/20 split, Resize(460) on the CPU
// and AugTransforms(224) on the device. A batch crosses to the device as
// uint8 [B,460,460,3]; nothing is decoded before the first batch.
func ExampleDataBlock_DataLoaders_pets() {
	pets := fastgo.DataBlock{
		Blocks:    fastgo.Blocks{X: vision.ImageBlock(), Y: fastgo.CategoryBlock()},
		GetItems:  fastgo.GetImageFiles,
		Splitter:  fastgo.RandomSplitter(0.2, 42),
		GetY:      fastgo.UsingName(fastgo.RegexLabeller(`(.+)_\d+.jpg$`)),
		ItemTfms:  []fastgo.ItemTransform{vision.Resize(460)},
		BatchTfms: []fastgo.BatchTransform{augment.MustAugTransforms(224, augment.MinScale(0.75))},
	}
	dir := "../testdata/images" // e.g. from a flag
	// A string variable converts to a Path (a literal needs no conversion).
	dls, err := pets.DataLoaders(fastgo.Path(dir), fastgo.WithBatchSize(4))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(dls.Train.Dataset.Len(), "training and", dls.Valid.Dataset.Len(), "validation images,", dls.Vocab.Len(), "breeds")
	b, err := dls.OneBatch()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.X.Shape, len(b.Y))
	// Output:
	// 8 training and 1 validation images, 8 breeds
	// [4 460 460 3] 4
}
