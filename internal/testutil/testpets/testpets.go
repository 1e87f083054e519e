// Package testpets builds DataLoaders over the bundled pet images for
// the tests of packages above the data core (testutil cannot import it:
// display's tests use testutil).
package testpets

import (
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/internal/testutil"
)

// PetLoaders are the bundled pet images (testdata/images) labelled by the
// breed in their file name, Abyssinian_1.jpg alone in the validation set
// (8 training images), created by x (vision.ImageBlock()) with the given
// transforms, in batches of 4 unless opts say otherwise.
func PetLoaders(t testing.TB, x fastgo.InputBlock, itemTfms []fastgo.ItemTransform, batchTfms []fastgo.BatchTransform, opts ...fastgo.LoaderOption) *fastgo.DataLoaders {
	t.Helper()
	pets := fastgo.DataBlock{
		Blocks:    fastgo.Blocks{X: x, Y: fastgo.CategoryBlock()},
		GetItems:  fastgo.GetImageFiles,
		Splitter:  fastgo.FuncSplitter(func(p fastgo.Path) bool { return p.Name() == "Abyssinian_1.jpg" }),
		GetY:      fastgo.UsingName(fastgo.RegexLabeller(`^(.+?)_\d+\.jpg$`)),
		ItemTfms:  itemTfms,
		BatchTfms: batchTfms,
	}
	dls, err := pets.DataLoaders(fastgo.Path(testutil.Testdata("images")), append([]fastgo.LoaderOption{fastgo.WithBatchSize(4)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return dls
}
