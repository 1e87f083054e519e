// Package fastgo is the data core of fastgo (fastai's image classification
// workflow rebuilt in Go on GoMLX): from a folder of files to DataLoaders of
// uint8 batches, the way fastai's DataBlock does it. It knows no images,
// no device and no network; those are its sub-packages'.
//
// It holds what the first cells of fastbook's "pet breeds" chapter use:
// [L], a collection that displays like fastcore's (`(#7394) [Path('images/x.jpg'),...]`,
// [CollRepr]), [Path] with a display base path, item getters ([GetImageFiles],
// [FileGetter] and [ImageGetter] with get_files' recurse and folders), labellers
// ([RegexLabeller], [UsingName], [ParentLabel]), splitters ([RandomSplitter],
// [GrandparentSplitter], ...), the classes ([CategoryMap], with fastai's
// add_na), the [DataBlock] that turns a source folder into [DataLoaders] of
// uint8 batches, and [DataBlock.Summary].
//
//	path, err := external.UntarData(external.URLs.Pets) // ~/.fastgo/data/oxford-iiit-pet
//	fastgo.SetBasePath(path)
//	pets := fastgo.DataBlock{
//		Blocks:   fastgo.Blocks{X: vision.ImageBlock(), Y: fastgo.CategoryBlock()},
//		GetItems: fastgo.GetImageFiles,
//		Splitter: fastgo.RandomSplitter(0.2, 42),
//		GetY:     fastgo.UsingName(fastgo.RegexLabeller(`(.+)_\d+.jpg$`)),
//		ItemTfms: []fastgo.ItemTransform{vision.Resize(460)},
//	}
//	dls, err := pets.DataLoaders(path.Join("images"))
//	for b, err := range dls.Train.Batches(epoch) { ... } // b.X: uint8 [64,460,460,3]
//
// Around it: fastgo/external downloads the datasets (UntarData, URLs),
// fastgo/vision decodes and resizes images, fastgo/vision/augment
// augments batches on the device, fastgo/learner trains, fastgo/backend
// chooses the device. The [DataBlock] contract ([InputBlock], [ItemTransform],
// [BatchTransform], [BatchSetupper], [TransformSpec]) is how they plug in.
//
// Determinism: file lists are sorted, and every random choice (split,
// shuffle, each item's transforms) comes from a seed, so a seed gives the
// same batches on every machine and for any number of CPU workers. The
// numbers differ from fastai's, which draws from torch.
//
// Errors: functions that can fail on user input return an error that names
// the file or value and says what to do. Must… helpers panic with the same
// message, for notebook cells where a panic is the shortest way to stop.
package fastgo
