// Package vision is fastgo's image type and what the CPU does to images
// before a batch leaves for the device: decoding, EXIF orientation, the
// Resize item transform and the ImageBlock of a DataBlock — what Go's
// image package is to its codecs, the bottom of fastgo's image packages.
// It imports no GoMLX: augmentation on the device is package
// vision/augment, the networks vision/models, the learner and predictor
// vision/cnn.
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
// [VerifyImages] lists the files that do not decode (fastai's
// verify_images); [ItemTransformFromSpec] rebuilds a Resize an exported
// model recorded.
//
// Errors: functions that read user files return errors naming the file;
// Must… helpers (MustLoadImage) panic with the same message, for notebook
// cells.
package vision
