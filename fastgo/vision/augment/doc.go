// Package augment is fastai's fastai.vision.augment: batch augmentation
// and normalisation on the device, and seeing what they do.
//
// [AugTransforms] is fastai's aug_transforms(size, min_scale): flip,
// rotation, zoom, perspective warp, a random square crop to size and
// logit-space lighting, each drawn per image from a seed on the CPU and
// applied to the whole batch in one GoMLX graph that samples every image
// once (see [Augment]) through fastai's _grid_sample, which area-averages
// first where the output is under half the input (validation's 460 → 224
// goes through 448). [ValidPreShrink] and [AreaWindows] give that step's
// sizes and windows to other graphs (the ONNX export). [Normalize] with [ImagenetStats] follows (fastai's
// Normalize.from_stats), or [NormalizeFromBatch], which measures one
// training batch when the DataLoaders are made (fastai's Normalize()).
// Both are device.Transform values: the learner runs them inside its
// training graph, device.ApplyBatchTransforms alone.
//
// Given draws: fastai's draw arguments (Rotate(draw=30, p=1.), …) are
// [Draws], and [Augment.WithDraws] applies them instead of random values,
// per image or for the whole batch — the book's presizing figure, and
// fastai's output reproduced pixel for pixel (make parity checks it
// against PyTorch).
//
//	aug := augment.MustAugTransforms(224).MustWithDraws(augment.Draws{}.Rotate(30).Zoom(1.2).Warp(-0.2, 0.2))
//
//	BatchTfms: []fastgo.BatchTransform{augment.MustAugTransforms(224, augment.MinScale(0.75))},
//
// Seeing them: [ShowBatch] is fastai's dls.show_batch — the first batch
// after the device transforms, decoded back to images ([DecodeBatch]) and
// titled with its labels; [ShowInterpolationComparison] is the chapter's
// figure (one interpolation beside one per step, with the same draws) and
// [ShowAugmentationComparison] adds fastai's two samplings, drawn by the
// same sampler the training graph uses.
//
//	augment.MustShowBatch(dls, augment.Grid(2, 4), augment.Unique())
//
// [BatchTransformFromSpec] rebuilds the transforms an exported model
// recorded.
//
// Invariants: only uint8 bytes cross from the CPU; every random draw comes
// from the seed given to Params, so a seed gives the same batch on every
// backend; validation batches are never augmented (the centre square,
// resized).
//
// Errors: constructors refuse settings fastai would reject and say which;
// Must… helpers panic with the same message, for notebook cells.
package augment
