package cnn

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
)

// Predictor classifies image files or bytes with a model exported by
// learner.Export from a cnn.Learner, or by fastai's learn.export (see
// [LoadFastai]), preparing each image as the learner's validation set was
// (decode, the item transforms, then the batch transforms in validation
// mode): fastai's load_learner + learn.predict. Its methods are safe for
// concurrent use (a server's handlers): images are prepared in parallel,
// the model runs one batch at a time (see learner.Learner).
type Predictor struct {
	// Learner runs the model (GetPreds, Predict, ShowResults…).
	Learner *learner.Learner
	// Arch is the architecture named in the file; Head the head's layout.
	Arch models.Arch
	Head models.HeadSpec
	// Vocab is the class names in output order.
	Vocab []string
	// ItemTfms are the item transforms each image goes through.
	ItemTfms []fastgo.ItemTransform
	// Inputs is the file's description of the transforms.
	Inputs learner.InputSpec
	// ApplyEXIF says whether Prepare turns a JPEG as its EXIF orientation
	// tag says (see vision.DecodeEXIF). LoadPredictor sets it from
	// vision.ApplyEXIFOrientation for fastgo's files, as their training
	// decoded; LoadFastai sets it false, as fastai (Pillow's Image.open)
	// ignores the tag, so that phone photos get fastai's predictions.
	ApplyEXIF bool
}

// LoadPredictor reads a file written by Export from a learner made by
// cnn.Learner (ResNet18/34/50 with fastai's head) and builds the
// transforms it recorded; a fastai learn.export() file (export.pkl,
// recognised by its content, not its name) is read by [LoadFastai]. opts
// go to learner.New (e.g. learner.WithBackend). Errors name the file and
// say what is missing: not a fastgo export, an architecture fastgo does
// not build, or transforms the file does not describe (a learner with
// custom transforms: load it with learner.LoadExported and prepare images
// yourself).
func LoadPredictor(path string, opts ...learner.Option) (*Predictor, error) {
	if learner.IsTorchFile(path) {
		return LoadFastai(path, opts...)
	}
	info, err := learner.ReadExport(path)
	if err != nil {
		return nil, err
	}
	arch, head, err := parseModelName(info.Model)
	if err != nil {
		return nil, fmt.Errorf("load %s: model %q: %w", path, info.Model, err)
	}
	if len(info.Vocab) == 0 {
		return nil, fmt.Errorf("load %s: the file has no class names: export it from a learner trained on DataLoaders", path)
	}
	if info.Inputs == nil {
		return nil, fmt.Errorf("load %s: the file does not say how images were prepared (a transform that cannot describe itself, or an older fastgo): export it again from a cnn.Learner, or use learner.LoadExported", path)
	}
	p := &Predictor{Arch: arch, Head: head, Vocab: info.Vocab, Inputs: *info.Inputs, ApplyEXIF: vision.ApplyEXIFOrientation}
	for _, s := range info.Inputs.ItemTfms {
		t, err := vision.ItemTransformFromSpec(s)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", path, err)
		}
		p.ItemTfms = append(p.ItemTfms, t)
	}
	var batchTfms []fastgo.BatchTransform
	for _, s := range info.Inputs.BatchTfms {
		t, err := augment.BatchTransformFromSpec(s)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", path, err)
		}
		batchTfms = append(batchTfms, t)
	}
	p.Learner, err = learner.LoadExported(path, ModelWithHead(arch, head, len(info.Vocab)), batchTfms, opts...)
	if err != nil {
		return nil, err
	}
	p.Learner.Data.ItemTfms = p.ItemTfms
	return p, nil
}

// Prepare decodes one image (name is used in errors) and applies the item
// transforms, as the validation loader did. Errors are *DecodeError values
// for what is not a decodable image.
func (p *Predictor) Prepare(data []byte, name string) (vision.Image, error) {
	m, err := vision.DecodeEXIF(data, name, p.ApplyEXIF)
	if err != nil {
		return vision.Image{}, err
	}
	var v fastgo.Value = m
	ctx := fastgo.ItemContext{Split: fastgo.Valid}
	for _, t := range p.ItemTfms {
		if v, err = t.Apply(v, ctx); err != nil {
			return vision.Image{}, fmt.Errorf("%s: %s: %w", name, t.Name(), err)
		}
	}
	switch x := v.(type) {
	case vision.Image:
		return x, nil
	case *vision.Image:
		return *x, nil
	}
	return vision.Image{}, fmt.Errorf("%s: the item transforms gave a %T, not an image", name, v)
}

// InputSize is the side, in pixels, of the square images [Predictor.Prepare]
// makes: the size of the file's Resize (the last one, if several); 0 when
// the item transforms hold none.
func (p *Predictor) InputSize() int {
	size := 0
	for _, t := range p.ItemTfms {
		if r, ok := t.(*vision.ResizeTransform); ok {
			size = r.Size
		}
	}
	return size
}

// Predict classifies prepared images — made by [Predictor.Prepare], so
// InputSize()×InputSize() — in one batch. An image of another size (a
// decoded image that skipped Prepare, an empty one) is an error naming it
// and what to do: the model would answer, but not as it was trained (a
// different probability), and every new shape would compile a new graph.
// The batch runs padded to the next power of two (1, 2, 4, …; the padding
// is dropped), so that a server calling Predict with any number of images
// compiles a few graphs, not one per batch size. An image's
// probabilities may differ in the last bits (float32 rounding, about
// 1e-7) with the size of the batch it runs in — alone or with others,
// as a server's batching decides — as in PyTorch: the arithmetic is
// grouped differently, and the ranking of clear answers does not change.
//
// Errors: no images; an image not prepared (named, with what to do); an
// output that is not a finite probability (NaN from corrupted weights)
// is an error, not an answer; the learner's Predict errors.
func (p *Predictor) Predict(images []vision.Image) ([]learner.Prediction, error) {
	if len(images) == 0 {
		return nil, errors.New("cnn.Predictor.Predict: no images: give at least one (made by Prepare)")
	}
	if err := p.checkPrepared(images); err != nil {
		return nil, fmt.Errorf("cnn.Predictor.Predict: %w", err)
	}
	values := make([]fastgo.Value, len(images))
	for i, m := range images {
		values[i] = m
	}
	padded := 1
	for padded < len(images) {
		padded *= 2
	}
	// Collated into memory that holds the padded batch: black images
	// (zero bytes) after the real ones, with no second copy.
	per := images[0].W * images[0].H * 3
	x, err := vision.ImageBlock().(fastgo.CollaterInto).CollateInto(values, make([]byte, 0, padded*per))
	if err != nil {
		return nil, fmt.Errorf("cnn.Predictor.Predict: %w", err)
	}
	x.Data = x.Data[:padded*per]
	x.Shape[0] = padded
	preds, err := p.Learner.Predict(x)
	if err != nil {
		return nil, err
	}
	preds = preds[:len(images)]
	for i, pred := range preds {
		for _, v := range pred.Probs {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("cnn.Predictor.Predict: the model's output for image %d is %v: the weights are broken (a corrupted file, or a fit that diverged): export the learner again (Export refuses a diverged fit's weights: retrain with a lower learning rate)", i, v)
			}
		}
	}
	return preds, nil
}

// checkPrepared reports the first image that Prepare did not make: empty,
// inconsistent, or not InputSize() square (when the size is known; else
// not the size of the first image).
func (p *Predictor) checkPrepared(images []vision.Image) error {
	size := p.InputSize()
	w, h := size, size
	if size == 0 {
		w, h = images[0].W, images[0].H
	}
	const fix = "prepare each image with Predictor.Prepare (it decodes and applies the model's item transforms), or classify files with Predictor.PredictFiles"
	for i, m := range images {
		switch {
		case m.W <= 0 || m.H <= 0:
			return fmt.Errorf("image %d is empty (%d×%d): %s", i, m.W, m.H, fix)
		case len(m.Pix) != m.W*m.H*3:
			return fmt.Errorf("image %d (%d×%d) holds %d bytes, want %d (RGB): %s", i, m.W, m.H, len(m.Pix), m.W*m.H*3, fix)
		case m.W != w || m.H != h:
			if size == 0 {
				return fmt.Errorf("image %d is %d×%d, image 0 is %d×%d: one batch holds images of one size: %s", i, m.W, m.H, w, h, fix)
			}
			return fmt.Errorf("image %d is %d×%d, not the %d×%d this model's images are prepared to: %s", i, m.W, m.H, w, h, fix)
		}
	}
	return nil
}

// PrepareFile reads one image file and prepares it (see
// [Predictor.Prepare]). Errors are *vision.DecodeError values naming the
// file, as vision.LoadImage's: a folder, a symbolic link to nothing, an
// unreadable or undecodable file.
func (p *Predictor) PrepareFile(path string) (vision.Image, error) {
	data, err := vision.ReadImageFile(path)
	if err != nil {
		return vision.Image{}, err
	}
	return p.Prepare(data, path)
}

// PredictFiles reads, prepares and classifies image files in one batch.
// Errors: no paths; PrepareFile's for the first file that fails, then
// Predict's.
func (p *Predictor) PredictFiles(paths ...string) ([]learner.Prediction, error) {
	if len(paths) == 0 {
		return nil, errors.New("cnn.Predictor.PredictFiles: no paths: give at least one image file")
	}
	images := make([]vision.Image, len(paths))
	for i, path := range paths {
		var err error
		if images[i], err = p.PrepareFile(path); err != nil {
			return nil, err
		}
	}
	return p.Predict(images)
}

// ClassProb is one class and its probability.
type ClassProb struct {
	Class string  `json:"class"`
	Prob  float64 `json:"prob"`
}

// TopK is pred's k most probable classes, most probable first (ties in
// vocabulary order), as torch.topk.
func (p *Predictor) TopK(pred learner.Prediction, k int) []ClassProb {
	idx := make([]int, len(pred.Probs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case pred.Probs[a] > pred.Probs[b]:
			return -1
		case pred.Probs[a] < pred.Probs[b]:
			return 1
		}
		return 0
	})
	k = min(max(k, 0), len(idx))
	out := make([]ClassProb, k)
	for i, j := range idx[:k] {
		out[i] = ClassProb{Prob: float64(pred.Probs[j])}
		if j < len(p.Vocab) {
			out[i].Class = p.Vocab[j]
		}
	}
	return out
}
