package fastgo

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Blocks are a DataBlock's types: fastai's blocks=(ImageBlock, CategoryBlock).
type Blocks struct {
	// X creates each sample's input from its item, e.g. vision.ImageBlock().
	X InputBlock
	// Y turns labels into class indices; nil means CategoryBlock().
	Y *Categorize
}

// DataBlock describes how to get from a source folder to DataLoaders
// (fastai's DataBlock). It is a plain struct: building one does nothing;
// Datasets, DataLoaders and Summary read it.
//
//	pets := fastgo.DataBlock{
//		Blocks:    fastgo.Blocks{X: vision.ImageBlock(), Y: fastgo.CategoryBlock()},
//		GetItems:  fastgo.GetImageFiles,
//		Splitter:  fastgo.RandomSplitter(0.2, 42),
//		GetY:      fastgo.UsingName(fastgo.RegexLabeller(`(.+)_\d+.jpg$`)),
//		ItemTfms:  []fastgo.ItemTransform{vision.Resize(460)},
//		BatchTfms: []fastgo.BatchTransform{augment.MustAugTransforms(224, augment.MinScale(0.75))},
//	}
type DataBlock struct {
	Blocks Blocks
	// GetItems lists the items of a source, e.g. GetImageFiles.
	GetItems func(source Path) (L[Path], error)
	// Splitter divides the items; nil means RandomSplitter(0.2, 0).
	Splitter Splitter
	// GetY labels an item, e.g. UsingName(RegexLabeller(`(.+)_\d+.jpg$`)).
	GetY Labeller
	// ItemTfms run on each sample's input on the CPU, in this order (fastai
	// sorts them by their order attribute; fastgo keeps yours).
	ItemTfms []ItemTransform
	// BatchTfms are carried to DataLoaders.BatchTfms for the learner, which
	// runs them on the device.
	BatchTfms []BatchTransform
}

// Datasets are the items of a source, split and labelled (fastai's
// Datasets). Nothing is decoded until an item is asked for.
type Datasets struct {
	// Source is where the items were collected.
	Source Path
	// Items is every item GetItems returned, in its order.
	Items L[Path]
	// Train and Valid are the two subsets.
	Train, Valid *Dataset
	// Vocab is the class names, from the training labels.
	Vocab *Vocab
}

// Dataset is one subset of a Datasets: its items, their labels and the
// block that loads their inputs.
type Dataset struct {
	// Split says which subset this is.
	Split Split
	// Items is this subset's items, in the splitter's order.
	Items L[Path]
	// Labels is each item's label and Y its class index in the vocab.
	Labels []string
	Y      []int

	x InputBlock
}

// Len is the number of items.
func (d *Dataset) Len() int { return len(d.Items) }

// Get loads item i: its input value (undecoded until now) and class index.
// Errors: i out of range; the input block's Create (for images: a file
// that is missing or does not decode, naming it).
func (d *Dataset) Get(i int) (Value, int, error) {
	if i < 0 || i >= len(d.Items) {
		return nil, 0, fmt.Errorf("%s dataset: index %d out of range [0,%d)", d.Split, i, len(d.Items))
	}
	v, err := d.x.Create(d.Items[i])
	if err != nil {
		return nil, 0, err
	}
	return v, d.Y[i], nil
}

// Datasets collects, splits and labels the items of source. It decodes
// nothing; errors (no items, a label the regex cannot find, a validation
// label unseen in training) name the item and say what to do.
func (db *DataBlock) Datasets(source Path) (*Datasets, error) {
	return db.datasets(source, io.Discard)
}

// datasets is Datasets with fastai's verbose trace written to w.
func (db *DataBlock) datasets(source Path, w io.Writer) (*Datasets, error) {
	if db.Blocks.X == nil {
		return nil, errors.New("DataBlock.Blocks.X is nil: set the input block, e.g. vision.ImageBlock()")
	}
	if db.GetItems == nil {
		return nil, errors.New("DataBlock.GetItems is nil: set how to list the items, e.g. fastgo.GetImageFiles")
	}
	if db.GetY == nil {
		return nil, errors.New("DataBlock.GetY is nil: set how to label an item, e.g. fastgo.UsingName(fastgo.RegexLabeller(`(.+)_\\d+.jpg$`))")
	}
	if err := db.checkTransforms(); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "Collecting items from %s\n", string(source))
	items, err := db.GetItems(source)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "Found %d items\n", len(items))
	if len(items) == 0 {
		return nil, fmt.Errorf("no items found in %s: check the folder and GetItems (GetImageFiles keeps only image files)", source)
	}
	splitter := db.Splitter
	if splitter == nil {
		splitter = RandomSplitter(0.2, 0)
	}
	trainIdx, validIdx, err := splitter(items)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "2 datasets of sizes %d,%d\n", len(trainIdx), len(validIdx))
	if len(trainIdx) == 0 {
		return nil, fmt.Errorf("the training set is empty: the splitter put all %d items in the validation set (RandomSplitter(1.0) does); a model needs training items: keep a share for validation only, e.g. RandomSplitter(0.2, 42)", len(items))
	}
	fmt.Fprintf(w, "Setting up Pipeline: %s\n", db.Blocks.X.Name())
	fmt.Fprintf(w, "Setting up Pipeline: %s -> %s\n", funcName(db.GetY), db.categorize().Name())

	ds := &Datasets{Source: source, Items: items}
	ds.Train, err = db.newDataset(Train, items.Select(trainIdx))
	if err != nil {
		return nil, err
	}
	ds.Valid, err = db.newDataset(Valid, items.Select(validIdx))
	if err != nil {
		return nil, err
	}
	if ds.Vocab, err = db.categorize().Setup(ds.Train.Labels); err != nil {
		return nil, err
	}
	for _, d := range []*Dataset{ds.Train, ds.Valid} {
		for i, label := range d.Labels {
			if d.Y[i], err = ds.Vocab.Index(label); err != nil {
				return nil, fmt.Errorf("%w (item %s, %s set): make sure every class has training items, list the classes in the CategoryBlock's Vocab, or set its AddNA to map unknown labels to the '#na#' class", err, d.Items[i], d.Split)
			}
		}
	}
	return ds, nil
}

func (db *DataBlock) categorize() *Categorize {
	if db.Blocks.Y == nil {
		return CategoryBlock()
	}
	return db.Blocks.Y
}

// newDataset labels items (cheap: no decoding); class indices are filled in
// once the vocab is known.
func (db *DataBlock) newDataset(split Split, items L[Path]) (*Dataset, error) {
	d := &Dataset{Split: split, Items: items, Labels: make([]string, len(items)), Y: make([]int, len(items)), x: db.Blocks.X}
	for i, it := range items {
		label, err := db.GetY(it)
		var perr *PatternError
		if errors.As(err, &perr) {
			return nil, err // the pattern's error, whichever item met it first
		}
		if err != nil {
			// The labeller may see only the file name: name the whole item,
			// and say how to fix it after the labeller's own message.
			return nil, fmt.Errorf("%w\nitem %s, %s set: the labeller cannot label it; fix the pattern (or GetY) so that it matches every item, or filter the items (GetItems) so that files like this one are left out",
				err, string(it), split)
		}
		d.Labels[i] = label
	}
	return d, nil
}

// applyItemTfms runs the item transforms on v in order, calling trace (when
// not nil) after each one; errors name the transform and the item.
func applyItemTfms(v Value, tfms []ItemTransform, ctx ItemContext, item Path, trace func(name string, v Value)) (Value, error) {
	for _, t := range tfms {
		var err error
		if v, err = applyItemTfm(t, v, ctx); err != nil {
			return nil, fmt.Errorf("item transform %s on %s: %w", t.Name(), item, err)
		}
		if trace != nil {
			trace(t.Name(), v)
		}
	}
	return v, nil
}

// Checker is implemented by transforms whose settings can be wrong (a
// Resize of size 0): DataBlock.DataLoaders, Datasets and Summary call Check
// before any item is listed or loaded, so that the error names the
// setting instead of surfacing, later, as a failure on some image.
type Checker interface {
	Check() error
}

// checkTransforms runs Check on every item and batch transform that has one.
func (db *DataBlock) checkTransforms() error {
	for i, t := range db.ItemTfms {
		if c, ok := t.(Checker); ok {
			if err := c.Check(); err != nil {
				return fmt.Errorf("DataBlock.ItemTfms[%d]: %w", i, err)
			}
		}
	}
	for i, t := range db.BatchTfms {
		if c, ok := t.(Checker); ok {
			if err := c.Check(); err != nil {
				return fmt.Errorf("DataBlock.BatchTfms[%d]: %w", i, err)
			}
		}
	}
	return nil
}

// setupBatchTfms calls SetupBatch on the batch transforms that have it,
// in order (fastai's after_batch Pipeline.setup).
func setupBatchTfms(dls *DataLoaders) error {
	for i, t := range dls.BatchTfms {
		if s, ok := t.(BatchSetupper); ok {
			if err := s.SetupBatch(dls, dls.BatchTfms[:i]); err != nil {
				return fmt.Errorf("DataBlock.BatchTfms[%d] (%s): %w", i, t.Name(), err)
			}
		}
	}
	return nil
}

// applyItemTfm runs one item transform; a panic inside it becomes the
// error (see recoverPanic).
func applyItemTfm(t ItemTransform, v Value, ctx ItemContext) (out Value, err error) {
	defer recoverPanic(&err)
	return t.Apply(v, ctx)
}

// TensorTyper is optionally implemented by a Value to name its tensor type
// in Summary ("TensorImage of size 3x460x460"); values that do not are shown
// as TensorImage, fastgo's only input kind today.
type TensorTyper interface {
	TensorType() string
}

// tensorRepr is fastai's short repr of a tensor: "TensorImage of size 3x414x500".
func tensorRepr(v Value, batch int) string {
	name := "TensorImage"
	if t, ok := v.(TensorTyper); ok {
		name = t.TensorType()
	}
	shape := v.TensorShape()
	if batch > 0 {
		shape = append([]int{batch}, shape...)
	}
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	return name + " of size " + strings.Join(dims, "x")
}
