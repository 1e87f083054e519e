package fastgo

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fastgo-ml/fastgo/display"
)

// summaryBatchSize is fastai's summary(bs=4).
const summaryBatchSize = 4

// Summary is fastai's DataBlock.summary: it steps through building one
// sample and one batch of 4 from source, printing each step to stdout. When
// the samples cannot be collated (images of different sizes and no Resize),
// it prints fastai's diagnosis with the shapes and returns the
// *CollateError.
func (db *DataBlock) Summary(source Path, opts ...LoaderOption) error {
	return db.SummaryTo(display.NotebookStdout(), source, opts...)
}

// SummaryTo is Summary writing to w. Errors: DataLoaders' (no items, a
// label that cannot be made…), an item that fails to load, and the
// *CollateError of samples that cannot be batched together, after the
// text that diagnoses it.
//
// The text follows fastai's, with these differences: the items are
// collected once (fastai repeats "Collecting items from ..." when it builds
// the loaders); GetY is shown by its Go function name ("UsingName" where
// fastai shows "partial"); ToTensor is the point where a value is shown by
// its tensor shape (fastgo collates values directly); and the batch
// transforms are listed but not applied, since they run on the device
// inside the learner's graph.
func (db *DataBlock) SummaryTo(w io.Writer, source Path, opts ...LoaderOption) error {
	fmt.Fprintln(w, "Setting-up type transforms pipelines")
	ds, err := db.datasets(source, w)
	if err != nil {
		return err
	}
	dls, err := db.loaders(ds, append([]LoaderOption{WithBatchSize(summaryBatchSize)}, opts...)...)
	if err != nil {
		return err
	}
	train := dls.Train
	if train.Dataset.Len() == 0 {
		return errors.New("the training set is empty: check the splitter")
	}

	fmt.Fprintln(w, "\nBuilding one sample")
	item := train.Dataset.Items[0]
	traceStart(w, db.Blocks.X.Name(), string(item))
	x0, y0, err := train.Dataset.Get(0)
	if err != nil {
		fmt.Fprintf(w, "    applying %s failed.\n", db.Blocks.X.Name())
		return err
	}
	traceStep(w, db.Blocks.X.Name(), x0.Describe())
	cat := db.categorize()
	traceStart(w, funcName(db.GetY)+" -> "+cat.Name(), string(item))
	traceStep(w, funcName(db.GetY), train.Dataset.Labels[0])
	traceStep(w, cat.Name(), categoryRepr(y0))
	fmt.Fprintf(w, "\nFinal sample: %s\n\n\n", pair(x0.Describe(), categoryRepr(y0)))

	itemNames := make([]string, 0, len(db.ItemTfms)+1)
	for _, t := range db.ItemTfms {
		itemNames = append(itemNames, t.Name())
	}
	itemNames = append(itemNames, "ToTensor")
	batchNames := []string{"IntToFloatTensor -- {'div': 255.0, 'div_mask': 1}"}
	for _, t := range db.BatchTfms {
		batchNames = append(batchNames, t.Name())
	}
	fmt.Fprintf(w, "Setting up after_item: Pipeline: %s\n", strings.Join(itemNames, " -> "))
	fmt.Fprintln(w, "Setting up before_batch: Pipeline: ")
	fmt.Fprintf(w, "Setting up after_batch: Pipeline: %s\n", strings.Join(batchNames, " -> "))

	bs := min(train.BatchSize, train.Dataset.Len())
	fmt.Fprintln(w, "\nBuilding one batch")
	fmt.Fprintln(w, "Applying item_tfms to the first sample:")
	traceStart(w, strings.Join(itemNames, " -> "), pair(x0.Describe(), categoryRepr(y0)))
	label := categoryRepr(y0)
	first, err := applyItemTfms(x0, db.ItemTfms, train.ItemContext(0, 0), item, func(name string, v Value) {
		traceStep(w, name, pair(v.Describe(), label))
	})
	if err != nil {
		return err
	}
	traceStep(w, "ToTensor", pair(tensorRepr(first, 0), label))
	values, ys := []Value{first}, TensorCategory{y0}
	fmt.Fprintf(w, "\nAdding the next %d samples\n", bs-1)
	for i := 1; i < bs; i++ {
		v, y, err := train.Item(0, i)
		if err != nil {
			return err
		}
		values, ys = append(values, v), append(ys, y)
	}
	fmt.Fprintln(w, "\nNo before_batch transform to apply")

	fmt.Fprintln(w, "\nCollating items in a batch")
	if _, err := db.Blocks.X.Collate(values); err != nil {
		fmt.Fprintln(w, "Error! It's not possible to collate your items in a batch")
		var ce *CollateError
		if !errors.As(err, &ce) {
			fmt.Fprintln(w, "Make sure all parts of your samples are tensors of the same size")
			return err
		}
		fmt.Fprintln(w, "Could not collate the 0-th members of your tuples because got the following shapes")
		fmt.Fprintln(w, ce.TorchShapes())
		fmt.Fprintln(w, "The images do not all have the same size: add an item transform that resizes them,")
		fmt.Fprintln(w, "e.g. ItemTfms: []fastgo.ItemTransform{vision.Resize(460)}, so they can be stacked in a batch.")
		return err
	}

	fmt.Fprintln(w, "\nApplying batch_tfms to the batch built")
	traceStart(w, strings.Join(batchNames, " -> "), pair(tensorRepr(first, bs), ys.String()))
	fmt.Fprintln(w, "    (the learner applies these on the device, inside its graph; they are not run here)")
	return nil
}

// traceStart and traceStep print fastai's _apply_pipeline lines.
func traceStart(w io.Writer, pipeline, from string) {
	fmt.Fprintf(w, "  Pipeline: %s\n    starting from\n      %s\n", pipeline, from)
}

func traceStep(w io.Writer, name, gives string) {
	fmt.Fprintf(w, "    applying %s gives\n      %s\n", name, gives)
}

// pair is a Python 2-tuple's repr of two short reprs.
func pair(a, b string) string { return "(" + a + ", " + b + ")" }
