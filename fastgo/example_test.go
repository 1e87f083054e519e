package fastgo_test

import (
	"fmt"
	"strings"

	"github.com/fastgo-ml/fastgo/fastgo"
)

func ExampleL() {
	fastgo.SetBasePath("/data/oxford-iiit-pet")
	defer fastgo.SetBasePath("")
	files, _ := petNames(7394)("/data/oxford-iiit-pet/images")
	fmt.Println(files)
	fmt.Println(fastgo.L[fastgo.Path]{"/data/oxford-iiit-pet/annotations", "/data/oxford-iiit-pet/images"})
	fmt.Println(fastgo.L[string]{"cat", "it's"}, fastgo.L[int]{1, 2, 3}.Len())
	// Output:
	// (#7394) [Path('images/Abyssinian_1.jpg'),Path('images/Bengal_1.jpg'),Path('images/Birman_1.jpg'),Path('images/Bombay_1.jpg'),Path('images/British_Shorthair_1.jpg'),Path('images/Egyptian_Mau_1.jpg'),Path('images/Maine_Coon_1.jpg'),Path('images/Persian_1.jpg'),Path('images/Ragdoll_1.jpg'),Path('images/Russian_Blue_1.jpg')...]
	// (#2) [Path('annotations'),Path('images')]
	// (#2) ['cat',"it's"] 3
}

func ExampleRegexLabeller() {
	label := fastgo.UsingName(fastgo.RegexLabeller(`(.+)_\d+.jpg$`))
	fmt.Println(label("/data/oxford-iiit-pet/images/great_pyrenees_173.jpg"))
	// Without UsingName the pattern searches the whole path.
	fmt.Println(fastgo.RegexLabeller(`/([^/]+)_\d+.jpg$`)("images/wheaten_terrier_46.jpg"))
	fmt.Println(label("images/great_pyrenees_173.png"))
	// Output:
	// great_pyrenees <nil>
	// wheaten_terrier <nil>
	//  Failed to find "(.+)_\d+.jpg$" in "great_pyrenees_173.png"
}

func ExampleRandomSplitter() {
	items, _ := petNames(7390)("images")
	train, valid, _ := fastgo.RandomSplitter(0.2, 42)(items)
	fmt.Println(len(train), len(valid))
	// Output: 5912 1478
}

func ExampleTensorCategory() {
	fmt.Println(fastgo.TensorCategory{13, 5, 2, 8})
	y := make(fastgo.TensorCategory, 40)
	for i := range y {
		y[i] = i * 7 % 37
	}
	fmt.Println(y)
	// Above 1000 items torch shows three from each end.
	long := make(fastgo.TensorCategory, 2000)
	for i := range long {
		long[i] = i
	}
	fmt.Println(long)
	// Output:
	// TensorCategory([13,  5,  2,  8])
	// TensorCategory([ 0,  7, 14, 21, 28, 35,  5, 12, 19, 26, 33,  3, 10, 17, 24, 31,
	//                  1,  8, 15, 22, 29, 36,  6, 13, 20, 27, 34,  4, 11, 18, 25, 32,
	//                  2,  9, 16, 23, 30,  0,  7, 14])
	// TensorCategory([   0,    1,    2,  ..., 1997, 1998, 1999])
}

func ExampleDataBlock_DataLoaders() {
	pets := petsBlock(7390, fakeResize{size: 8})
	dls, err := pets.DataLoaders("images")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(dls.Train.Len(), dls.Valid.Len(), dls.Vocab.Len())
	fmt.Println(dls.Vocab.At(0), dls.Vocab.At(11), dls.Vocab.At(12), dls.Vocab.At(13))
	b, _ := dls.OneBatch()
	fmt.Println(b.X.Shape, len(b.Y))
	// Output:
	// 92 24 37
	// Abyssinian Sphynx american_bulldog american_pit_bull_terrier
	// [64 8 8 3] 64
}

// The chapter's first DataBlock has no Resize: Summary shows why the
// images cannot be put in one batch. (A fake image block stands in for
// vision.ImageBlock, with the sizes of the book's first four images.)
func ExampleDataBlock_Summary() {
	pets1 := petsBlock(7390)
	pets1.Blocks.X = fakeBlock{sizes: map[string][2]int{
		"beagle_44.jpg":             {414, 500},
		"pug_105.jpg":               {375, 500},
		"British_Shorthair_193.jpg": {500, 281},
		"beagle_179.jpg":            {203, 300},
	}}
	var out strings.Builder
	err := pets1.SummaryTo(&out, "/data/oxford-iiit-pet/images")
	// Example output cannot hold fastai's two blank lines after the final
	// sample nor its trailing spaces: tidy folds them.
	fmt.Print(tidy(out.String()))
	fmt.Printf("returned %T\n", err)
	// Output:
	// Setting-up type transforms pipelines
	// Collecting items from /data/oxford-iiit-pet/images
	// Found 7390 items
	// 2 datasets of sizes 5912,1478
	// Setting up Pipeline: PILBase.create
	// Setting up Pipeline: UsingName -> Categorize -- {'vocab': None, 'sort': True, 'add_na': False}
	//
	// Building one sample
	//   Pipeline: PILBase.create
	//     starting from
	//       /data/oxford-iiit-pet/images/beagle_44.jpg
	//     applying PILBase.create gives
	//       PILImage mode=RGB size=500x414
	//   Pipeline: UsingName -> Categorize -- {'vocab': None, 'sort': True, 'add_na': False}
	//     starting from
	//       /data/oxford-iiit-pet/images/beagle_44.jpg
	//     applying UsingName gives
	//       beagle
	//     applying Categorize -- {'vocab': None, 'sort': True, 'add_na': False} gives
	//       TensorCategory(15)
	//
	// Final sample: (PILImage mode=RGB size=500x414, TensorCategory(15))
	//
	//
	// Setting up after_item: Pipeline: ToTensor
	// Setting up before_batch: Pipeline:
	// Setting up after_batch: Pipeline: IntToFloatTensor -- {'div': 255.0, 'div_mask': 1}
	//
	// Building one batch
	// Applying item_tfms to the first sample:
	//   Pipeline: ToTensor
	//     starting from
	//       (PILImage mode=RGB size=500x414, TensorCategory(15))
	//     applying ToTensor gives
	//       (TensorImage of size 3x414x500, TensorCategory(15))
	//
	// Adding the next 3 samples
	//
	// No before_batch transform to apply
	//
	// Collating items in a batch
	// Error! It's not possible to collate your items in a batch
	// Could not collate the 0-th members of your tuples because got the following shapes
	// torch.Size([3, 414, 500]),torch.Size([3, 375, 500]),torch.Size([3, 500, 281]),torch.Size([3, 203, 300])
	// The images do not all have the same size: add an item transform that resizes them,
	// e.g. ItemTfms: []fastgo.ItemTransform{vision.Resize(460)}, so they can be stacked in a batch.
	// returned *fastgo.CollateError
}

// With Resize(460) in the item transforms the batch collates, and Summary
// lists the batch transforms the learner will run on the device.
func ExampleDataBlock_Summary_resized() {
	pets := petsBlock(7390, fakeResize{size: 460})
	pets.BatchTfms = []fastgo.BatchTransform{fakeAug{}}
	var out strings.Builder
	err := pets.SummaryTo(&out, "/data/oxford-iiit-pet/images")
	text := out.String()
	fmt.Println(err)
	fmt.Print(tidy(text[strings.Index(text, "Setting up after_item"):]))
	// Output:
	// <nil>
	// Setting up after_item: Pipeline: Resize -- {'size': (460, 460), 'method': 'crop', 'pad_mode': 'reflection'} -> ToTensor
	// Setting up before_batch: Pipeline:
	// Setting up after_batch: Pipeline: IntToFloatTensor -- {'div': 255.0, 'div_mask': 1} -> Flip -- {'p': 0.5}
	//
	// Building one batch
	// Applying item_tfms to the first sample:
	//   Pipeline: Resize -- {'size': (460, 460), 'method': 'crop', 'pad_mode': 'reflection'} -> ToTensor
	//     starting from
	//       (PILImage mode=RGB size=478x435, TensorCategory(15))
	//     applying Resize -- {'size': (460, 460), 'method': 'crop', 'pad_mode': 'reflection'} gives
	//       (PILImage mode=RGB size=460x460, TensorCategory(15))
	//     applying ToTensor gives
	//       (TensorImage of size 3x460x460, TensorCategory(15))
	//
	// Adding the next 3 samples
	//
	// No before_batch transform to apply
	//
	// Collating items in a batch
	//
	// Applying batch_tfms to the batch built
	//   Pipeline: IntToFloatTensor -- {'div': 255.0, 'div_mask': 1} -> Flip -- {'p': 0.5}
	//     starting from
	//       (TensorImage of size 4x3x460x460, TensorCategory([15, 29,  4, 15]))
	//     (the learner applies these on the device, inside its graph; they are not run here)
}

// tidy trims trailing spaces and folds runs of blank lines into one.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for i, l := range lines {
		l = strings.TrimRight(l, " ")
		if l == "" && i > 0 && out[len(out)-1] == "" {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
