// Package vision is fastgo's image side: decoding, the Resize item
// transform, the ImageBlock of a DataBlock, batch augmentation and
// normalisation on the device, and the ResNet learners of fastbook's "pet
// breeds" chapter.
//
// # Item pipeline (CPU)
//
// [LoadImage] and [Decode] recognise JPEG, PNG, GIF, WebP, BMP and TIFF by
// content, never by file name (the pets dataset has GIFs named .jpg), and
// return an RGB [Image]: 8-bit, HWC, as Pillow's convert("RGB") would —
// grayscale is copied to three channels, alpha is dropped (not composited),
// CMYK and YCbCr JPEGs are converted. A broken file gives a *[DecodeError]
// that names it and says what is wrong; decoders never panic.
//
// JPEGs are decoded by the standard library's image/jpeg, in pure Go. Built
// with cgo and -tags libjpeg (Debian: libjpeg62-turbo-dev), they are
// decoded by libjpeg-turbo instead, the library Pillow uses: pixels are then
// exactly fastai's, and decoding, the data pipeline's largest cost, is about
// 4× faster.
//
// [Resize] is fastai's Resize(460): Crop (random square on train, centred
// on valid), Pad (Reflection, Zeros or Border) or Squish, resampled with
// Pillow's antialiased BILINEAR filter. [ImageBlock] creates images and
// collates them into uint8 [B,H,W,3] batches for the device.
//
//	pets := fastgo.DataBlock{
//		Blocks:   fastgo.Blocks{X: vision.ImageBlock(), Y: fastgo.CategoryBlock()},
//		GetItems: fastgo.GetImageFiles,
//		GetY:     fastgo.UsingName(fastgo.RegexLabeller(`(.+)_\d+.jpg$`)),
//		ItemTfms: []fastgo.ItemTransform{vision.Resize(460)},
//	}
//
// or, one image at a time:
//
//	img := vision.MustLoadImage("images/great_pyrenees_158.jpg")
//	out, err := vision.Resize(460).Apply(img, fastgo.ItemContext{Split: fastgo.Valid})
//
// # Augmentation on the device
//
// [AugTransforms] is fastai's aug_transforms(size, min_scale): flip,
// rotation, zoom, perspective warp, a random square crop to size and
// logit-space lighting, each drawn per image from a seed on the CPU and
// applied to the whole batch in one GoMLX graph that samples every image
// once (see [Augment] and [CompareAugmentations]). [Normalize] with
// [ImagenetStats] follows. Both run inside the learner's training graph;
// [device.ApplyBatchTransforms] runs them alone, as [ShowBatch] does.
//
// # Models and learners
//
// [models.ResNet18], [models.ResNet34] and [models.ResNet50] are torchvision's architectures,
// with variables named after torchvision's state-dict keys so that
// [models.LoadPretrained] imports its ImageNet weights (.pth files, cached in
// [models.ModelsDir]). [CNNLearner] is fastai's cnn_learner: the body cut before
// pooling, fastai's [models.Head], three parameter groups, frozen body and ImageNet
// normalisation when pretrained.
//
//	learn := vision.MustCNNLearner(dls, models.ResNet34, vision.Metrics(learner.ErrorRate))
//	learner.Must(learn.FineTune(2))
//
// # Errors
//
// Functions that read user files return errors naming the file; Must…
// helpers (MustLoadImage) panic with the same message, for notebook cells.
package vision
