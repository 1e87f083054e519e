// Package fastai reads models trained with fastai (Python) so that fastgo
// can serve or fine-tune them without Python: learn.export() files
// ([ReadExport]) and learn.save() files ([ReadWeights]).
//
// Files are parsed as data (internal/torchfile), never executed: a pickle
// that names os.system is just a name. What a file holds is turned into a
// plain description — the vocab, the validation set's item and batch
// transforms, the model recognised from its state dict's keys and shapes
// as the network fastgo builds for it (a [models.Arch] body and a
// [models.HeadSpec] head, checked against models' layout), and its
// weights keyed as learn.model.state_dict() — and
// anything fastgo cannot reproduce exactly is refused with an
// *[UnsupportedError] naming the class or key, never silently run as a
// different model.
//
// # What is read
//
// An export is torch.save(learner, pickle_protocol=2) of a
// fastai.learner.Learner whose dls were replaced by dls.new_empty(): the
// model nn.Sequential(body, head), the DataLoaders with their pipelines but
// no items, the loss, the callbacks. Supported (fastai 2.x, read from
// fastai's source: learner.py, vision/learner.py, layers.py, data/core.py,
// data/transforms.py, vision/augment.py):
//
//   - model: torchvision ResNet18/34/50 bodies (BasicBlock, Bottleneck;
//     create_body's cut -2) with create_head's defaults —
//     AdaptiveConcatPool2d, Flatten, BatchNorm1d, Dropout, Linear, ReLU,
//     BatchNorm1d, Dropout, Linear (any hidden width);
//   - inputs: ImageBlock (PILImage.create); targets: CategoryBlock
//     (Categorize, its CategoryMap is the vocab);
//   - item transforms: Resize (square, crop/pad/squish, any pad mode,
//     BILINEAR), ToTensor;
//   - batch transforms: IntToFloatTensor(div=255), aug_transforms' (Flip,
//     Rotate, Zoom, Warp merged; Brightness, Contrast merged;
//     RandomResizedCropGPU with ratio (1, 1)), Normalize (per channel);
//   - losses with a softmax activation: CrossEntropyLossFlat,
//     LabelSmoothingCrossEntropyFlat, FocalLossFlat;
//   - callbacks from fastai's own modules (they do not change predictions).
//
// learn.save files hold the model's state dict, alone or with the
// optimizer's state (fastai 2: {'model', 'opt'}; fastai 1: the same with
// torch.optim's state dict, numpy scalars included): the model is
// recognised from the keys and shapes alone (fastai 1's head has biases in
// its Linear layers), the optimizer state is skipped.
//
// Files in every torch.save layout are read: zip with the "archive/" folder
// (torch ≥ 2), zip with a folder named as the file was (torch 1.6–1.13),
// and the legacy non-zip format (torch < 1.6). Tensors saved on a GPU
// ("cuda:0") and in float16 are read too.
//
// cnn.LoadFastai and cnn.LoadFastaiWeights turn these descriptions into a
// predictor or a learner's weights.
//
// The test files are written by scripts/fastai_files.py, which stands in
// for fastai's classes (scripts/fastai_stubs.py) to write the same object
// graph with Debian's torch: testdata/fastai holds the small ones.
package fastai
