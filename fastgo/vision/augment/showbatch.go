package augment

import (
	"fmt"
	"slices"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/backend"
	"github.com/fastgo-ml/fastgo/fastgo/device"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
)

// MaxShowCells is the most images one ShowBatch grid holds (a 16×16
// grid): they are transformed on the device as one batch, so a grid sized
// by a typo, say Grid(1000, 1000) with Unique, would take the memory of a
// million images instead of failing.
const MaxShowCells = 256

// ShowOption changes what ShowBatch shows.
type ShowOption func(*showConfig)

type showConfig struct {
	split        fastgo.Split
	nrows, ncols int
	unique       bool
	seed         uint64
	name         string
}

// Valid shows the validation loader (no augmentation) instead of the
// training one.
func Valid() ShowOption { return func(c *showConfig) { c.split = fastgo.Valid } }

// Grid sets the number of rows and columns (fastai's nrows, ncols; default
// 3×3, as dls.show_batch); at most MaxShowCells images in all.
func Grid(nrows, ncols int) ShowOption {
	return func(c *showConfig) { c.nrows, c.ncols = nrows, ncols }
}

// Unique shows one image augmented differently in every cell (fastai's
// show_batch(unique=True)), to see what the augmentation does.
func Unique() ShowOption { return func(c *showConfig) { c.unique = true } }

// ShowName names the figure (in a terminal, the PNG file's name without
// extension; default show_batch_train, show_batch_valid or
// show_batch_train_unique).
func ShowName(name string) ShowOption { return func(c *showConfig) { c.name = name } }

// ShowSeed sets the seed of the device transforms' random draws (default 0).
func ShowSeed(seed uint64) ShowOption { return func(c *showConfig) { c.seed = seed } }

// ShowBatch is fastai's dls.show_batch: the first batch of the training
// loader (or validation, with Valid()) after the device transforms
// (augmentation, crop to the final size), decoded back to 8-bit images —
// un-normalised when a Normalize transform is present — and titled with
// their labels. In a notebook the grid is shown inline; in a terminal it is
// written as a PNG file whose path is printed and returned.
//
// A training set smaller than one batch (drop_last leaves no batch) still
// shows the images it has, as one partial batch; fastai raises "This
// DataLoader does not contain any batches" there. Training on such a set
// still fails, with a message saying to lower the batch size.
//
// Errors: DataLoaders without a loader; a grid of no cell; a batch that
// fails to load (naming the file); the device transforms failing; the
// figure's file cannot be written (display's, naming the folder).
func ShowBatch(dls *fastgo.DataLoaders, opts ...ShowOption) (string, error) {
	cfg := showConfig{nrows: 3, ncols: 3}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.name == "" { // one file per kind of figure, in a terminal
		cfg.name = "show_batch_" + cfg.split.String()
		if cfg.unique {
			cfg.name += "_unique"
		}
	}
	if dls == nil || dls.Train == nil || dls.Valid == nil {
		return "", fmt.Errorf("augment.ShowBatch: DataLoaders are empty: build them with DataBlock.DataLoaders")
	}
	if cfg.nrows < 1 || cfg.ncols < 1 {
		return "", fmt.Errorf("augment.ShowBatch: grid %d×%d shows nothing: give at least 1 row and 1 column", cfg.nrows, cfg.ncols)
	}
	if cfg.nrows > MaxShowCells/cfg.ncols {
		return "", fmt.Errorf("augment.ShowBatch: grid %d×%d is over augment.MaxShowCells (%d images): the images go through the device transforms as one batch; show fewer, e.g. Grid(3, 3)", cfg.nrows, cfg.ncols, MaxShowCells)
	}
	n := cfg.nrows * cfg.ncols
	images, labels, err := showBatchImages(dls, cfg, n)
	if err != nil {
		return "", err
	}
	cells := make([]display.TitledImage, len(images))
	for i, img := range images {
		cells[i] = display.TitledImage{Image: img.ToStd(), Title: labels[i]}
	}
	return display.ShowImages(cells, cfg.ncols, cfg.name)
}

// MustShowBatch is ShowBatch for notebook cells: it panics on error.
func MustShowBatch(dls *fastgo.DataLoaders, opts ...ShowOption) {
	if _, err := ShowBatch(dls, opts...); err != nil {
		panic(err)
	}
}

// showBatchImages runs the first n samples of the chosen loader through the
// device transforms and returns them decoded, with their labels.
func showBatchImages(dls *fastgo.DataLoaders, cfg showConfig, n int) ([]vision.Image, []string, error) {
	dl := dls.Train
	if cfg.split == fastgo.Valid {
		dl = dls.Valid
	}
	batch, err := firstBatch(dl, n, cfg.unique)
	if err != nil {
		return nil, nil, err
	}
	tfms, norm := deviceTransforms(dls.BatchTfms)
	out, err := device.ApplyBatchTransforms(backend.Default(), tfms, batch.X, cfg.split, cfg.seed)
	if err != nil {
		return nil, nil, fmt.Errorf("augment.ShowBatch: %w", err)
	}
	images, err := DecodeBatch(out, norm)
	if err != nil {
		return nil, nil, fmt.Errorf("augment.ShowBatch: %w", err)
	}
	labels := make([]string, len(batch.Y))
	for i, y := range batch.Y {
		labels[i] = dls.Vocab.At(y)
	}
	return images, labels, nil
}

// firstBatch collects the first n samples of dl's first epoch (more than
// one batch when n is larger than the batch size); with unique, the first
// sample is repeated n times so that each copy gets its own augmentation.
func firstBatch(dl *fastgo.DataLoader, n int, unique bool) (fastgo.Batch, error) {
	if dl.DropLast && dl.Len() == 0 && dl.Dataset.Len() > 0 {
		// Fewer items than a batch: show them rather than nothing.
		partial := *dl
		partial.DropLast = false
		dl = &partial
	}
	var out fastgo.Batch
	for b, err := range dl.Batches(0) {
		if err != nil {
			return out, fmt.Errorf("augment.ShowBatch: %w", err)
		}
		if out.X.Shape == nil {
			out.X.Shape = slices.Clone(b.X.Shape)
			out.X.Shape[0] = 0
		}
		per := len(b.X.Data) / b.X.Shape[0]
		take := min(n-out.X.Shape[0], b.X.Shape[0])
		if unique {
			take = 1
		}
		out.X.Data = append(out.X.Data, b.X.Data[:take*per]...)
		out.Y = append(out.Y, b.Y[:take]...)
		out.X.Shape[0] += take
		if unique || out.X.Shape[0] == n {
			break
		}
	}
	if out.X.Shape == nil {
		return out, fmt.Errorf("augment.ShowBatch: the loader yields no batch (%d items, batch size %d): use a smaller batch size or more data", dl.Dataset.Len(), dl.BatchSize)
	}
	if unique {
		per := len(out.X.Data)
		for range n - 1 {
			out.X.Data = append(out.X.Data, out.X.Data[:per]...)
			out.Y = append(out.Y, out.Y[0])
		}
		out.X.Shape[0] = n
	}
	return out, nil
}

// deviceTransforms keeps the batch transforms that run on the device and
// returns the last normalisation among them, which decoding inverts.
func deviceTransforms(tfms []fastgo.BatchTransform) ([]device.Transform, *Normalization) {
	var out []device.Transform
	var norm *Normalization
	for _, t := range tfms {
		if dt, ok := t.(device.Transform); ok {
			out = append(out, dt)
		}
		if nt, ok := t.(*Normalization); ok {
			norm = nt
		}
	}
	return out, norm
}
