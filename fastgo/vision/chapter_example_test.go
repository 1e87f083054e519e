package vision_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
)

// The chapter's first cells on the bundled pet images (testdata/images).
func Example_chapterDataCells() {
	path := fastgo.Path("../../testdata")
	fastgo.SetBasePath(path)
	defer fastgo.SetBasePath("")
	fmt.Println(path.Join("images").MustLs())

	fname := path.Join("images", "great_pyrenees_158.jpg")
	label, _ := fastgo.UsingName(fastgo.RegexLabeller(`(.+)_\d+.jpg$`))(fname)
	fmt.Println(label)

	pets := chapterBlock(vision.Resize(460))
	dls := pets.MustDataLoaders(path.Join("images"), fastgo.WithBatchSize(4))
	fmt.Println(dls.Train.Dataset.Len(), dls.Valid.Dataset.Len(), dls.Vocab)
	b, err := dls.OneBatch()
	fmt.Println(b.X.Shape, b.Y, err)
	// Output:
	// (#9) [Path('images/Abyssinian_1.jpg'),Path('images/Abyssinian_34.jpg'),Path('images/Bengal_153.jpg'),Path('images/Persian_258.jpg'),Path('images/Sphynx_247.jpg'),Path('images/american_pit_bull_terrier_156.jpg'),Path('images/chihuahua_122.jpg'),Path('images/great_pyrenees_158.jpg'),Path('images/pug_166.jpg')]
	// great_pyrenees
	// 8 1 (#8) ['Abyssinian','Bengal','Persian','Sphynx','american_pit_bull_terrier','chihuahua','great_pyrenees','pug']
	// [4 460 460 3] TensorCategory([2, 0, 1, 6]) <nil>
}

// chapterBlock is the chapter's DataBlock with the given item transforms.
func chapterBlock(itemTfms ...fastgo.ItemTransform) *fastgo.DataBlock {
	return &fastgo.DataBlock{
		Blocks:   fastgo.Blocks{X: vision.ImageBlock(), Y: fastgo.CategoryBlock()},
		GetItems: fastgo.GetImageFiles,
		Splitter: fastgo.RandomSplitter(0.2, 42),
		GetY:     fastgo.UsingName(fastgo.RegexLabeller(`(.+)_\d+.jpg$`)),
		ItemTfms: itemTfms,
	}
}

// summaryLines prints the lines of a Summary that start with one of the
// prefixes (the whole text is long; these are the chapter's landmarks).
func summaryLines(db *fastgo.DataBlock, prefixes ...string) error {
	var out strings.Builder
	err := db.SummaryTo(&out, "../../testdata/images", fastgo.WithBatchSize(4))
	for _, line := range strings.Split(out.String(), "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(strings.TrimSpace(line), p) {
				fmt.Println(strings.TrimSpace(line))
				break
			}
		}
	}
	return err
}

// Without Resize the bundled images cannot be collated: Summary says why.
func Example_summaryWithoutResize() {
	err := summaryLines(chapterBlock(), "Found", "2 datasets", "Final sample", "Error!", "Could not collate", "torch.Size")
	var ce *fastgo.CollateError
	fmt.Println(errorsAs(err, &ce), len(ce.Shapes))
	// Output:
	// Found 9 items
	// 2 datasets of sizes 8,1
	// Final sample: (PILImage mode=RGB size=500x375, TensorCategory(6))
	// Error! It's not possible to collate your items in a batch
	// Could not collate the 0-th members of your tuples because got the following shapes
	// torch.Size([3, 375, 500]),torch.Size([3, 300, 225]),torch.Size([3, 194, 259]),torch.Size([3, 225, 300])
	// true 4
}

// With Resize(460) every sample is 460×460 and the batch collates.
func Example_summaryWithResize() {
	err := summaryLines(chapterBlock(vision.Resize(460)), "Found", "Final sample", "applying Resize", "Collating", "Error!")
	fmt.Println(err)
	// Output:
	// Found 9 items
	// Final sample: (PILImage mode=RGB size=500x375, TensorCategory(6))
	// applying Resize -- {'size': (460, 460), 'method': 'crop', 'pad_mode': 'reflection', 'resamples': (<Resampling.BILINEAR: 2>, <Resampling.NEAREST: 0>), 'p': 1.0} gives
	// Collating items in a batch
	// <nil>
}

// errorsAs is errors.As, kept short for the examples.
func errorsAs(err error, target **fastgo.CollateError) bool {
	return errors.As(err, target)
}
