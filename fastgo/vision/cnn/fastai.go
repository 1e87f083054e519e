package cnn

import (
	"fmt"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models/fastai"
)

// LoadFastai builds a Predictor from a file written by fastai's
// learn.export() (export.pkl) of a vision learner — cnn_learner or
// vision_learner with a torchvision ResNet18/34/50 and fastai's head —
// read as data by fastai.ReadExport (nothing in the file is run). It
// prepares images as fastai's validation set did: the file's Resize (crop,
// pad or squish, any pad mode), then on the batch IntToFloatTensor,
// aug_transforms' validation resize and Normalize, with the file's vocab
// and weights. opts go to learner.New. [LoadPredictor] calls it for such
// files, so `fastgo predict` and `fastgo serve` take them.
//
// What differs from fastai, by design or not yet done:
//   - JPEG orientation: ignored, as fastai (Pillow's Image.open) ignores
//     it — the predictor's ApplyEXIF is false, whatever
//     vision.ApplyEXIFOrientation says;
//   - JPEG decoding: the standard library's image/jpeg differs from
//     libjpeg (Pillow) by a level or so on some pixels (see vision.Decode;
//     build with -tags libjpeg for Pillow's pixels).
//
// The validation resize is fastai's, area step included: where it shrinks
// more than 2× (the chapter's Resize(460) then aug_transforms(size=224))
// the images are averaged 460 → 448 before the bilinear step to 224, as
// fastai's _grid_sample does (see augment.Augment).
//
// Errors: a file that is not a fastai export says what it is (a learn.save
// file: load it with [LoadFastaiWeights]); anything fastgo cannot
// reproduce is a *fastai.UnsupportedError naming the class or key
// (another architecture, y_range, a custom transform, loss or callback, a
// tabular or text learner).
func LoadFastai(path string, opts ...learner.Option) (*Predictor, error) {
	e, err := fastai.ReadExport(path)
	if err != nil {
		return nil, err
	}
	unsupported := func(where string, t fastai.Transform, why string) error {
		return &fastai.UnsupportedError{File: path, Where: where, Class: t.FastaiName(), Why: why}
	}
	p := &Predictor{Arch: e.Model.Arch, Head: e.Model.Head, Vocab: e.Vocab, ApplyEXIF: false}
	inputSize := 0
	for i, t := range e.ItemTfms {
		r, ok := t.(fastai.Resize)
		if !ok || i > 0 {
			return nil, unsupported(fmt.Sprintf("dls.valid.after_item[%d]", i), t, "fastgo prepares items with one Resize")
		}
		resize := vision.Resize(r.Size, vision.WithMethod(resizeMethods[r.Method]), vision.WithPadMode(padModes[r.PadMode]))
		if err := resize.Check(); err != nil {
			return nil, fmt.Errorf("load %s: dls.valid.after_item[%d]: %w", path, i, err)
		}
		p.ItemTfms = append(p.ItemTfms, resize)
		p.Inputs.ItemTfms = append(p.Inputs.ItemTfms, resize.Spec())
		inputSize = r.Size
	}
	if len(e.BatchTfms) == 0 || e.BatchTfms[0].FastaiName() != (fastai.IntToFloat{}).FastaiName() {
		return nil, &fastai.UnsupportedError{File: path, Where: "dls.valid.after_batch[0]", Class: fmt.Sprint(e.BatchTfms),
			Why: "no IntToFloatTensor first: fastai would give the model bytes; fastgo's predictor gives it [0,1] floats"}
	}
	var batchTfms []fastgo.BatchTransform
	for i, t := range e.BatchTfms {
		var bt interface {
			fastgo.BatchTransform
			fastgo.Specifier
		}
		switch x := t.(type) {
		case fastai.IntToFloat:
			if i > 0 {
				return nil, unsupported(fmt.Sprintf("dls.valid.after_batch[%d]", i), t, "after other batch transforms: fastgo converts bytes to [0,1] floats first")
			}
			continue // the learner's uint8 → float32/255
		case fastai.AugTransforms:
			bt, err = augment.AugTransforms(x.Size, augment.MinScale(x.MinScale), augment.DoFlip(x.DoFlip),
				augment.MaxRotate(x.MaxRotate), augment.MinZoom(x.MinZoom), augment.MaxZoom(x.MaxZoom),
				augment.MaxLighting(x.MaxLighting), augment.MaxWarp(x.MaxWarp), augment.PAffine(x.PAffine), augment.PLighting(x.PLighting))
		case fastai.Normalize:
			bt, err = augment.Normalize(x.Mean[:], x.Std[:])
		default:
			return nil, unsupported(fmt.Sprintf("dls.valid.after_batch[%d]", i), t, "fastgo runs IntToFloatTensor, aug_transforms and Normalize")
		}
		if err != nil {
			return nil, fmt.Errorf("load %s: dls.valid.after_batch[%d] %s: %w", path, i, t.FastaiName(), err)
		}
		batchTfms = append(batchTfms, bt)
		p.Inputs.BatchTfms = append(p.Inputs.BatchTfms, bt.Spec())
	}
	if inputSize == 0 {
		return nil, &fastai.UnsupportedError{File: path, Where: "dls.valid.after_item", Class: "no Resize",
			Why: "the images' size is not fixed: fastgo's predictor resizes every image (item_tfms=Resize(…))"}
	}
	m := e.Model
	data := learner.Data{Vocab: e.Vocab, BatchTfms: batchTfms, ItemTfms: p.ItemTfms}
	p.Learner, err = learner.New(data, ModelWithHead(m.Arch, m.Head, m.Classes), opts...)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if _, err := models.AssignLearnerState(p.Learner.Store(), m.Arch, m.Head, m.Classes, m.Weights, m.Keys); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return p, nil
}

// fastai's ResizeMethod and PadMode names.
var (
	resizeMethods = map[string]vision.ResizeMethod{"crop": vision.Crop, "pad": vision.Pad, "squish": vision.Squish}
	padModes      = map[string]vision.PadMode{"reflection": vision.Reflection, "zeros": vision.Zeros, "border": vision.Border}
)

// LoadFastaiWeights loads the model half of a fastai learn.save() file
// (models/NAME.pth: fastai 2's {'model', 'opt'}, fastai 1's, or a bare
// state dict, read as data by fastai.ReadWeights) into learn, a learner
// made by [Learner] with the same architecture, head layout and number
// of classes — fastai's learn.load. Every tensor's key and shape is
// checked before anything changes. The optimizer half is read and
// skipped, never an error: the report's Note says so. The class order is
// the file's training order, which a state dict does not record: build
// the DataLoaders as fastai's were (same items, same labelling) so that
// dls.vocab matches.
//
// A fastai 1 file's head has biases: make the learner with
// WithHead(models.HeadSpec{Bias: true}); a head with another hidden width
// (lin_ftrs) likewise with its Hidden. Errors name the file and what
// differs (architecture, head layout, class count) and how to make a
// learner that fits; a file fastgo cannot run is a
// *fastai.UnsupportedError.
func LoadFastaiWeights(learn *learner.Learner, path string) (models.LoadReport, error) {
	report := models.LoadReport{File: path}
	arch, head, err := parseModelName(learn.Model.Name)
	if err != nil {
		return report, fmt.Errorf("cnn.LoadFastaiWeights: the learner's model %q is not one cnn.Learner builds: %w", learn.Model.Name, err)
	}
	w, err := fastai.ReadWeights(path)
	if err != nil {
		return report, err
	}
	m := w.Model
	switch {
	case m.Arch.Name != arch.Name:
		return report, fmt.Errorf("cnn.LoadFastaiWeights: %s holds a %s, the learner is a %s: make it with cnn.Learner(dls, models.%s…)", path, m.Arch.Name, arch.Name, archVar(m.Arch))
	case m.Head.HiddenWidth() != head.HiddenWidth() || m.Head.Bias != head.Bias:
		return report, fmt.Errorf("cnn.LoadFastaiWeights: %s has a %s, the learner a %s: make the learner with cnn.WithHead(models.HeadSpec{Hidden: %d, Bias: %v})",
			path, m.Head, head, m.Head.HiddenWidth(), m.Head.Bias)
	case m.Classes != learn.NumClasses():
		return report, fmt.Errorf("cnn.LoadFastaiWeights: %s has %d classes, the learner %d: build the DataLoaders from the data the model was trained on", path, m.Classes, learn.NumClasses())
	}
	report, err = models.AssignLearnerState(learn.Store(), arch, head, m.Classes, m.Weights, m.Keys)
	report.File = path
	if err != nil {
		return report, fmt.Errorf("cnn.LoadFastaiWeights: %s: %w", path, err)
	}
	report.Note = w.Format
	if w.Optimizer != "" {
		report.Note += ", " + w.Optimizer
	}
	return report, nil
}

// archVar names the models variable of an architecture ("ResNet34", or
// "ResNet18.Scaled(2)").
func archVar(a models.Arch) string {
	for _, base := range models.Archs() {
		switch {
		case base.Name == a.Name:
			return "ResNet" + base.Name[len("resnet"):]
		case a.Bottleneck() == base.Bottleneck() && a.Layers() == base.Layers():
			return fmt.Sprintf("ResNet%s.Scaled(%d)", base.Name[len("resnet"):], a.Width())
		}
	}
	return a.Name
}
