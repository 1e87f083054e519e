package fastai

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	tf "github.com/fastgo-ml/fastgo/internal/torchfile"
)

// UnsupportedError says what part of a fastai file fastgo cannot
// reproduce, so that it refuses the file rather than run another model.
type UnsupportedError struct {
	// File is the file read.
	File string
	// Where is the part of the learner, e.g. "model[1][9]",
	// "dls.valid.after_batch[2]", "loss_func".
	Where string
	// Class is the Python class (or state-dict key) found there.
	Class string
	// Why says what it is and what fastgo does instead.
	Why string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s: %s is %s: %s", e.File, e.Where, e.Class, e.Why)
}

// Export is what a fastai learn.export() file of a vision learner holds
// that fastgo needs to run the same model: its classes, how its
// validation set prepared images, and its model.
type Export struct {
	// File is the file read; Layout its torch.save format.
	File   string
	Layout tf.Layout
	// Vocab is the class names in the model's output order
	// (dls.vocab: the Categorize transform's CategoryMap).
	Vocab []string
	// ItemTfms are the validation DataLoader's item transforms
	// (after_item, without ToTensor): a [Resize].
	ItemTfms []Transform
	// BatchTfms are its batch transforms (after_batch): [IntToFloat],
	// [AugTransforms] when the learner had aug_transforms, [Normalize].
	BatchTfms []Transform
	// Loss is the loss function's class; predictions are its activation
	// (softmax) of the model's output.
	Loss string
	// Model is the network and its weights.
	Model Model
	// Device is where the weights were when exported ("cpu", "cuda:0").
	Device string
}

// learnerClass is fastai's Learner; vision_learner and cnn_learner return one.
const learnerClass = "fastai.learner.Learner"

// softmaxLosses are fastai's losses whose activation is a softmax over the
// last axis (fastai's predict applies loss_func.activation).
var softmaxLosses = []string{"fastai.losses.CrossEntropyLossFlat", "fastai.losses.LabelSmoothingCrossEntropyFlat",
	"fastai.losses.FocalLossFlat"}

// ReadExport reads a file written by fastai's learn.export() (fastai ≥ 2,
// any of torch.save's layouts) from a vision learner — cnn_learner or
// vision_learner with a torchvision ResNet18/34/50 and fastai's default
// head — as data, never running anything the file names.
//
// It returns an *[UnsupportedError] naming the class or key of anything
// fastgo cannot reproduce exactly: another architecture or head (y_range,
// bn_final, custom layers), a tabular or text learner, a transform other
// than Resize, IntToFloatTensor, aug_transforms' and Normalize, a loss
// whose activation is not a softmax, a multi-label or regression target.
// Other errors say that the file is not a fastai export (a learn.save file
// is one: read it with [ReadWeights]) or is damaged.
func ReadExport(file string) (*Export, error) {
	f, err := tf.Load(file)
	if err != nil {
		return nil, err
	}
	learn, ok := f.Root.(*tf.Object)
	if !ok {
		return nil, notAnExport(file, f.Root)
	}
	if !learn.Is(learnerClass) {
		return nil, refuseLearner(file, learn)
	}
	e := &Export{File: file, Layout: f.Layout}
	steps := []func(*tf.Object) error{e.readModel, e.readData, e.readLoss, e.readCallbacks}
	for _, step := range steps {
		if err := step(learn); err != nil {
			return nil, err
		}
	}
	if n := e.Model.Classes; n != len(e.Vocab) {
		return nil, &UnsupportedError{File: file, Where: "dls.vocab", Class: fmt.Sprintf("%d classes", len(e.Vocab)),
			Why: fmt.Sprintf("the model has %d outputs", n)}
	}
	return e, nil
}

// notAnExport explains a file whose root is not a Learner.
func notAnExport(file string, root any) error {
	if entries, ok := tf.Entries(root); ok {
		keys := map[string]bool{}
		for _, e := range entries {
			if k, ok := e.Key.(string); ok {
				keys[k] = true
			}
		}
		switch {
		case keys["cls"] && keys["model"] && keys["data"]:
			return fmt.Errorf("%s: a fastai v1 export (learn.export of fastai 1.x); fastgo reads fastai 2's exports, and fastai 1's learn.save files with cnn.LoadFastaiWeights", file)
		case keys["model"] || len(entries) > 0 && strings.Contains(fmt.Sprint(entries[0].Key), "."):
			return fmt.Errorf("%s: a learn.save (or torch.save(state_dict)) file: it holds weights, not the learner's classes and transforms; load it into a cnn.Learner of the same architecture with cnn.LoadFastaiWeights", file)
		}
	}
	return fmt.Errorf("%s: holds a %s, not a fastai Learner: not a file written by learn.export()", file, tf.ClassName(root))
}

// refuseLearner explains a Learner subclass fastgo does not run.
func refuseLearner(file string, o *tf.Object) error {
	class := o.Class.String()
	why := "not fastai's Learner: fastgo runs vision learners (vision_learner, cnn_learner)"
	switch {
	case strings.HasPrefix(class, "fastai.tabular."):
		why = "a tabular learner: fastgo runs vision learners only"
	case strings.HasPrefix(class, "fastai.text."):
		why = "a text learner: fastgo runs vision learners only"
	case strings.HasPrefix(class, "fastai.collab."):
		why = "a collaborative-filtering learner: fastgo runs vision learners only"
	case strings.HasPrefix(class, "fastai.vision.gan."):
		why = "a GAN learner: fastgo runs image classifiers only"
	}
	return &UnsupportedError{File: file, Where: "learner", Class: class, Why: why}
}

// readModel recognises learn.model and reads its weights.
func (e *Export) readModel(learn *tf.Object) error {
	model, ok := attr(learn, "model").(*tf.Object)
	if !ok {
		return &UnsupportedError{File: e.File, Where: "model", Class: tf.ClassName(attr(learn, "model")), Why: "not a PyTorch module"}
	}
	if !model.Is(sequential) {
		return &UnsupportedError{File: e.File, Where: "model", Class: model.Class.String(), Why: moduleHint(model.Class.String())}
	}
	sd, keys, err := moduleStateDict(e.File, model)
	if err != nil {
		return err
	}
	if e.Model, err = buildModel(e.File, sd, keys); err != nil {
		return err
	}
	if err := checkModules(e.File, model, &e.Model); err != nil {
		return err
	}
	if len(keys) > 0 {
		e.Device = sd[keys[0]].Storage.Location
	}
	return nil
}

// readData reads the vocab and the validation pipelines of learn.dls
// (dls.new_empty(): the transforms without the items).
func (e *Export) readData(learn *tf.Object) error {
	dls := attr(learn, "dls")
	loaders, ok := tf.Seq(attr(dls, "loaders"))
	if !ok || len(loaders) == 0 {
		return &UnsupportedError{File: e.File, Where: "dls", Class: tf.ClassName(dls), Why: "no DataLoaders with loaders: not a fastai 2 learner's data"}
	}
	valid := loaders[min(1, len(loaders)-1)]
	var err error
	if e.ItemTfms, err = itemTransforms(e.File, attr(valid, "after_item")); err != nil {
		return err
	}
	if fs, ok := pipeline(attr(valid, "before_batch")); !ok || len(fs) > 0 {
		return &UnsupportedError{File: e.File, Where: "dls.valid.before_batch", Class: classes(fs), Why: "fastgo batches items as they are (no before_batch transforms)"}
	}
	if e.BatchTfms, err = batchTransforms(e.File, attr(valid, "after_batch")); err != nil {
		return err
	}
	tls, ok := items(attr(attr(valid, "dataset"), "tls"))
	if !ok || len(tls) != 2 {
		return &UnsupportedError{File: e.File, Where: "dls.valid.dataset.tls", Class: fmt.Sprintf("%d inputs and targets", len(tls)),
			Why: "fastgo's classifiers have one image input and one category target (DataBlock(blocks=(ImageBlock, CategoryBlock)))"}
	}
	if err := e.readInput(tls[0]); err != nil {
		return err
	}
	return e.readVocab(tls[1])
}

func classes(vs []any) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = tf.ClassName(v)
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// readInput checks the input pipeline: images opened as RGB
// (PILImage.create, ImageBlock's default).
func (e *Export) readInput(tl any) error {
	fs, _ := pipeline(attr(tl, "tfms"))
	for i, t := range fs {
		where := fmt.Sprintf("dls.valid.dataset.tls[0].tfms[%d]", i)
		create := tf.ClassName(attr(t, "init_enc"))
		switch {
		case create == "fastai.vision.core.PILImage.create":
			continue
		case create == "fastai.vision.core.PILImageBW.create":
			return &UnsupportedError{File: e.File, Where: where, Class: create, Why: "grayscale inputs (ImageBlock(cls=PILImageBW)); fastgo's images are RGB"}
		}
		return unsupportedTransform(e.File, where, t, "inputs: images opened with PILImage.create (ImageBlock)")
	}
	if len(fs) == 0 {
		return &UnsupportedError{File: e.File, Where: "dls.valid.dataset.tls[0]", Class: tf.ClassName(tl), Why: "no input transforms: not an ImageBlock"}
	}
	return nil
}

// readVocab finds the Categorize transform of the target pipeline.
func (e *Export) readVocab(tl any) error {
	fs, _ := pipeline(attr(tl, "tfms"))
	for i, t := range fs {
		o, _ := t.(*tf.Object)
		where := fmt.Sprintf("dls.valid.dataset.tls[1].tfms[%d]", i)
		switch {
		case o.Is("fastai.data.transforms.MultiCategorize"):
			return &UnsupportedError{File: e.File, Where: where, Class: o.Class.String(), Why: "a multi-label target (MultiCategoryBlock: sigmoid and threshold); fastgo's classifiers pick one class (softmax)"}
		case o.Is("fastai.data.transforms.RegressionSetup"):
			return &UnsupportedError{File: e.File, Where: where, Class: o.Class.String(), Why: "a regression target (RegressionBlock); fastgo's learners are classifiers"}
		case o.Is("fastai.data.transforms.Categorize"):
			vocab, err := readCategoryMap(attr(o, "vocab"))
			if err != nil {
				return &UnsupportedError{File: e.File, Where: where + ".vocab", Class: tf.ClassName(attr(o, "vocab")), Why: err.Error()}
			}
			e.Vocab = vocab
			return nil
		}
	}
	return &UnsupportedError{File: e.File, Where: "dls.valid.dataset.tls[1]", Class: classes(fs), Why: "no Categorize transform: not a single-label classifier (CategoryBlock)"}
}

// readCategoryMap reads a CategoryMap's items (strings, or numpy scalars
// of a column read with pandas: numbers are written as Python prints them).
func readCategoryMap(v any) ([]string, error) {
	o, ok := v.(*tf.Object)
	if !ok || !o.Is("fastai.data.transforms.CategoryMap") {
		return nil, errors.New("not a CategoryMap")
	}
	vals, ok := items(attr(o, "items"))
	if !ok || len(vals) == 0 {
		return nil, errors.New("an empty vocabulary")
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		if s, ok := tf.NumpyScalar(v); ok {
			v = s
		}
		switch x := v.(type) {
		case string:
			out[i] = x
		case int, bool:
			out[i] = fmt.Sprint(x)
		case float64:
			out[i] = pyFloat(x)
		default:
			return nil, fmt.Errorf("class %d is a %s, not a name", i, tf.ClassName(v))
		}
	}
	if dup := firstDuplicate(out); dup != "" {
		return nil, fmt.Errorf("the class %q appears twice", dup)
	}
	return out, nil
}

// pyFloat writes a float as Python's repr does for the common cases.
func pyFloat(x float64) string {
	s := fmt.Sprint(x)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}

func firstDuplicate(s []string) string {
	sorted := slices.Clone(s)
	slices.Sort(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return sorted[i]
		}
	}
	return ""
}

// readLoss checks that predictions are the softmax of the model's output.
func (e *Export) readLoss(learn *tf.Object) error {
	loss := attr(learn, "loss_func")
	o, ok := loss.(*tf.Object)
	if !ok || !o.Is(softmaxLosses...) {
		why := "fastai's predictions are this loss's activation, which fastgo knows only for " + strings.Join(softmaxLosses, ", ") + " (softmax)"
		if g, ok := loss.(*tf.Global); ok && strings.HasPrefix(g.Module, "torch.nn.functional") {
			why = "a plain PyTorch loss: fastai's predictions are then the raw outputs, not probabilities; fastgo's are softmax probabilities"
		}
		return &UnsupportedError{File: e.File, Where: "loss_func", Class: tf.ClassName(loss), Why: why}
	}
	if axis, ok := tf.Int(attr(o, "axis")); ok && axis != -1 && axis != 1 {
		return &UnsupportedError{File: e.File, Where: "loss_func", Class: o.Class.String(), Why: fmt.Sprintf("axis %d: fastgo's softmax is over the classes", axis)}
	}
	e.Loss = o.Class.String()
	return nil
}

// readCallbacks refuses callbacks whose code fastgo cannot know (defined
// outside fastai): a callback can change what predict returns.
func (e *Export) readCallbacks(learn *tf.Object) error {
	cbs, _ := items(attr(learn, "cbs"))
	for i, cb := range cbs {
		class := tf.ClassName(cb)
		if !strings.HasPrefix(class, "fastai.") {
			return &UnsupportedError{File: e.File, Where: fmt.Sprintf("cbs[%d]", i), Class: class,
				Why: "a callback defined outside fastai, whose code fastgo cannot run or check; remove it before exporting (learn.remove_cb)"}
		}
	}
	return nil
}
