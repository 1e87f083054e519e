package fastgo

import (
	"context"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultBatchSize is fastai's bs default.
const DefaultBatchSize = 64

// Batch is one collated batch: inputs as uint8 (NHWC [B,H,W,3] for images)
// and class indices.
type Batch struct {
	// X is the samples' inputs stacked by the input block's Collate.
	X ByteTensor
	// Y is the samples' class indices.
	Y TensorCategory
	// Idxs is each sample's index in its Dataset.
	Idxs []int

	// buffers takes X's memory back for a later batch (Release).
	buffers *batchBuffers
}

// DataLoaders are the training and validation loaders of a DataBlock
// (fastai's DataLoaders), plus what the learner needs from the block.
type DataLoaders struct {
	// Train shuffles and drops the last partial batch; Valid does neither.
	Train, Valid *DataLoader
	// Vocab is the class names (fastai's dls.vocab).
	Vocab *Vocab
	// BatchTfms are the DataBlock's batch transforms, for the learner to run
	// on the device.
	BatchTfms []BatchTransform
	// Datasets is what the loaders read.
	Datasets *Datasets
}

// DataLoader makes batches of one Dataset. Train loaders shuffle (a new
// seeded order each epoch) and drop the last partial batch; valid loaders
// keep the dataset order and every item (fastai's defaults).
type DataLoader struct {
	// Dataset is the subset this loader reads.
	Dataset *Dataset
	// BatchSize is the number of samples per batch (64 by default).
	BatchSize int
	// Shuffle visits the items in a new seeded order each epoch.
	Shuffle bool
	// DropLast leaves out the last batch when it would be smaller.
	DropLast bool
	// Seed drives the shuffle and every item's ItemContext.Rand.
	Seed uint64
	// Workers is how many items are prepared at once on the CPU.
	Workers int
	// ItemTfms run on each item after the input block created it.
	ItemTfms []ItemTransform

	// buffers are batch memory given back by Batch.Release, reused by
	// the next batches (loader_buffers.go; nil: none kept). A copy of
	// the loader shares them.
	buffers *batchBuffers
	// decoded keeps items' decoded values across epochs (WithDecodedCache;
	// nil: off).
	decoded *decodedCache
}

// LoaderOption changes a DataLoaders setting.
type LoaderOption func(*loaderConfig)

type loaderConfig struct {
	batchSize, workers int
	seed               uint64
	decodedBytes       int64
}

// WithBatchSize sets the batch size of both loaders (fastai's bs; default 64).
func WithBatchSize(bs int) LoaderOption { return func(c *loaderConfig) { c.batchSize = bs } }

// WithSeed sets the seed of the shuffle and the item transforms' randomness
// (default 0).
func WithSeed(seed uint64) LoaderOption { return func(c *loaderConfig) { c.seed = seed } }

// WithWorkers sets how many CPU workers prepare items (default
// [DefaultWorkers]: the cores this process may use; 0 means one). Batches
// do not depend on it. A negative n is DataLoaders' error.
func WithWorkers(n int) LoaderOption { return func(c *loaderConfig) { c.workers = n } }

// DefaultWorkers is the loaders' default number of workers: the cores
// this process may use (runtime.GOMAXPROCS, which follows the CPU
// affinity and, since Go 1.25, a container's CPU limit) — a GPU machine's
// 16 cores decode 16 images at once.
func DefaultWorkers() int { return runtime.GOMAXPROCS(0) }

// DataLoaders builds the Datasets of source and their loaders (fastai's
// DataBlock.dataloaders): a shuffled training loader that drops its last
// partial batch and a validation loader in dataset order, both of
// WithBatchSize items (64 by default). It is cheap: items are listed and
// labelled, but nothing is decoded until a batch is asked for. source is a
// folder (or what GetItems understands); a string variable converts with
// fastgo.Path(s). Batches are uint8 [B,H,W,3] (NHWC, the item transforms'
// size) with int class indices (see Batch); the batch transforms run later,
// on the device, in the learner's graph.
//
// Errors (nothing is read beyond listing and labelling): a DataBlock field
// left nil (Blocks.X, GetItems, GetY), naming it; no items in source; a
// split that leaves the training set empty; an item the labeller cannot
// label, or a validation label no training item has, naming the item; a
// batch size below 1, a negative WithWorkers or WithDecodedCache; a
// RegexLabeller whose pattern is invalid or has no group (said once,
// naming the pattern); a batch transform that cannot set itself up
// (DataBlock.BatchTfms[i], naming it). Decoding errors come later, from
// the batches. A validation set that is empty, a training set smaller
// than one batch, or one label for every item (a classifier needs at
// least 2 classes) is a warning on Warnings, not an error.
func (db *DataBlock) DataLoaders(source Path, opts ...LoaderOption) (*DataLoaders, error) {
	ds, err := db.Datasets(source)
	if err != nil {
		return nil, err
	}
	return db.loaders(ds, opts...)
}

// MustDataLoaders is DataLoaders for notebook cells: it panics with its error.
func (db *DataBlock) MustDataLoaders(source Path, opts ...LoaderOption) *DataLoaders {
	dls, err := db.DataLoaders(source, opts...)
	if err != nil {
		panic(err)
	}
	return dls
}

func (db *DataBlock) loaders(ds *Datasets, opts ...LoaderOption) (*DataLoaders, error) {
	cfg := loaderConfig{batchSize: DefaultBatchSize, workers: DefaultWorkers()}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.batchSize < 1 {
		return nil, fmt.Errorf("batch size %d: use a positive batch size, e.g. WithBatchSize(64)", cfg.batchSize)
	}
	if cfg.workers < 0 {
		return nil, fmt.Errorf("WithWorkers(%d): give how many CPU workers prepare items, 1 or more (0 means one; the default is the cores this process may use, DefaultWorkers)", cfg.workers)
	}
	cfg.workers = max(cfg.workers, 1)
	if cfg.decodedBytes < 0 {
		return nil, fmt.Errorf("WithDecodedCache(%d): give the most memory to use, in bytes (0: no cache)", cfg.decodedBytes)
	}
	cache := newDecodedCache(cfg.decodedBytes) // one budget for both loaders
	mk := func(d *Dataset, train bool) *DataLoader {
		return &DataLoader{Dataset: d, BatchSize: cfg.batchSize, Shuffle: train, DropLast: train,
			Seed: cfg.seed, Workers: cfg.workers, ItemTfms: db.ItemTfms, decoded: cache, buffers: &batchBuffers{}}
	}
	if ds.Valid.Len() == 0 {
		fmt.Fprintf(Warnings, "fastgo: warning: the validation set of %s is empty (the splitter put all %d items in training): valid_loss and metrics will show None. RandomSplitter(p) keeps int(p·n) items for validation, so none when p·n < 1: use more data or a larger p.\n",
			string(ds.Source), ds.Train.Len())
	}
	// A classifier of one class learns nothing and scores perfectly
	// (error_rate 0, loss 0): fastai trains it silently (trial 2).
	if label, ok := ds.oneLabel(); ok {
		fmt.Fprintf(Warnings, "fastgo: warning: every item has the label %q (all %d of %s): a classifier needs at least 2 classes (with one, it shows error_rate 0 and learns nothing); check GetY (ParentLabel on a flat folder gives every file the folder's name).\n",
			label, ds.Train.Len()+ds.Valid.Len(), string(ds.Source))
	}
	dls := &DataLoaders{Train: mk(ds.Train, true), Valid: mk(ds.Valid, false),
		Vocab: ds.Vocab, BatchTfms: db.BatchTfms, Datasets: ds}
	if n := ds.Train.Len(); dls.Train.Len() == 0 && n > 0 {
		fmt.Fprintf(Warnings, "fastgo: warning: the training set of %s has %d items, fewer than one batch of %d, and the last partial batch is dropped: training would have no batch; use WithBatchSize(%d) or less.\n",
			string(ds.Source), n, cfg.batchSize, n)
	}
	if err := setupBatchTfms(dls); err != nil {
		return nil, err
	}
	return dls, nil
}

// oneLabel returns the label every item has, if they all have one.
func (ds *Datasets) oneLabel() (string, bool) {
	labels := append(slices.Clone(ds.Train.Labels), ds.Valid.Labels...)
	if len(labels) == 0 || slices.ContainsFunc(labels, func(l string) bool { return l != labels[0] }) {
		return "", false
	}
	return labels[0], true
}

// Warnings receives fastgo's warnings about data that will not give the
// results a user expects (e.g. an empty validation set); os.Stderr unless
// replaced.
var Warnings io.Writer = os.Stderr

// OneBatch is fastai's dls.one_batch(): the first training batch of epoch
// 0 — X uint8 [B,H,W,3] (the item transforms' size), Y the class indices.
// Errors: an item that fails to load (decoding, an item transform; naming
// the file), images of different sizes with no Resize (a *CollateError
// with the shapes), or a training set smaller than one batch (with the
// batch size that fits).
func (dls *DataLoaders) OneBatch() (Batch, error) {
	for b, err := range dls.Train.Batches(0) {
		return b, err
	}
	return Batch{}, fmt.Errorf("the training set has %d items, fewer than one batch of %d: lower the batch size with WithBatchSize",
		dls.Train.Dataset.Len(), dls.Train.BatchSize)
}

// Len is the number of batches per epoch.
func (dl *DataLoader) Len() int {
	if dl.BatchSize < 1 {
		return 0
	}
	n := dl.Dataset.Len()
	if dl.DropLast {
		return n / dl.BatchSize
	}
	return (n + dl.BatchSize - 1) / dl.BatchSize
}

// Order is the dataset indices in the order epoch visits them: a seeded
// permutation for a shuffling loader, 0..N-1 otherwise.
func (dl *DataLoader) Order(epoch int) []int {
	n := dl.Dataset.Len()
	if dl.Shuffle {
		return rand.New(rand.NewPCG(dl.Seed, mix(shuffleStream, uint64(epoch)))).Perm(n)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	return order
}

// Streams keep the shuffle and the item randomness apart for one seed.
const (
	shuffleStream = 0x5_4ff1e
	itemStream    = 0x17e45
)

// mix is SplitMix64's finaliser over a and b: distinct inputs give
// unrelated PCG streams.
func mix(a, b uint64) uint64 {
	z := a*0x9e3779b97f4a7c15 ^ b
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// ItemContext is the context item transforms get for item idx in epoch: its
// random numbers depend only on (seed, split, epoch, idx), not on which
// worker runs it or when.
func (dl *DataLoader) ItemContext(epoch, idx int) ItemContext {
	stream := mix(mix(itemStream^uint64(dl.Dataset.Split), uint64(epoch)), uint64(idx))
	return ItemContext{Split: dl.Dataset.Split, Rand: rand.New(rand.NewPCG(dl.Seed, stream))}
}

// Item loads dataset item idx as epoch would: created by the input block,
// then passed through the item transforms (fastai's dl.do_item). Errors,
// naming the item: it cannot be created (decoded) or a transform fails;
// a panic in either is returned as an error.
func (dl *DataLoader) Item(epoch, idx int) (v Value, y int, err error) {
	defer func() { // errors, and panics below, name the item
		if err != nil {
			v, err = nil, wrapItem(err, dl.Dataset.Items[idx])
		}
	}()
	defer recoverPanic(&err)
	v, y, err = dl.decoded.get(dl.Dataset, idx)
	if err != nil {
		return nil, 0, err
	}
	v, err = applyItemTfms(v, dl.ItemTfms, dl.ItemContext(epoch, idx), dl.Dataset.Items[idx], nil)
	return v, y, err
}

// prefetch is how many batches are prepared ahead of the consumer.
const prefetch = 2

// pending is a batch being prepared by the workers.
type pending struct {
	idxs      []int
	values    []Value
	ys        []int
	errs      []error
	remaining atomic.Int64
	done      chan struct{}
	batch     Batch
	err       error
}

// Batches yields the batches of epoch in order. Items are prepared by
// Workers goroutines, a few batches ahead; the batches are the same for any
// number of workers. After an error the sequence stops.
//
//	for b, err := range dls.Train.Batches(epoch) { ... }
func (dl *DataLoader) Batches(epoch int) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		if dl.BatchSize < 1 {
			yield(Batch{}, fmt.Errorf("DataLoader.BatchSize is %d: use a positive batch size", dl.BatchSize))
			return
		}
		order := dl.Order(epoch)
		nb := dl.Len()
		if nb == 0 {
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		type job struct {
			p        *pending
			pos, idx int
		}
		jobs := make(chan job, dl.BatchSize)
		ready := make(chan *pending, prefetch)
		go func() { // feeder: batches in order, each one's items as jobs
			defer close(jobs)
			defer close(ready)
			for bi := range nb {
				idxs := order[bi*dl.BatchSize : min((bi+1)*dl.BatchSize, len(order))]
				p := &pending{idxs: idxs, values: make([]Value, len(idxs)), ys: make([]int, len(idxs)),
					errs: make([]error, len(idxs)), done: make(chan struct{})}
				p.remaining.Store(int64(len(idxs)))
				select {
				case ready <- p:
				case <-ctx.Done():
					return
				}
				for pos, idx := range idxs {
					select {
					case jobs <- job{p, pos, idx}:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
		var wg sync.WaitGroup
		for range max(1, dl.Workers) {
			wg.Go(func() {
				for j := range jobs {
					if ctx.Err() == nil {
						j.p.values[j.pos], j.p.ys[j.pos], j.p.errs[j.pos] = dl.Item(epoch, j.idx)
					}
					if j.p.remaining.Add(-1) == 0 {
						// The last item's worker collates, so collation runs in parallel too.
						if ctx.Err() == nil {
							j.p.batch, j.p.err = dl.collate(j.p)
						}
						close(j.p.done)
					}
				}
			})
		}
		defer wg.Wait()
		defer cancel()
		for p := range ready {
			<-p.done
			if !yield(p.batch, p.err) || p.err != nil {
				return
			}
		}
	}
}

// recoverPanic, deferred, turns a panic of the code it guards into *err,
// naming the function that panicked: a bug in a transform, a block or a
// decoder then reaches the caller as an error (the loader adds the item),
// instead of killing the program — and a notebook's kernel — from a
// worker goroutine.
func recoverPanic(err *error) {
	r := recover()
	if r == nil {
		return
	}
	*err = fmt.Errorf("panic in %s: %v (a bug: please report it with the item named here)", panicSite(), r)
}

// panicSite is the function (and file:line) where the current panic
// started: the first frame below the runtime's panic machinery.
func panicSite() string {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") && f.Function != "" {
			return fmt.Sprintf("%s (%s:%d)", f.Function, filepath.Base(f.File), f.Line)
		}
		if !more {
			return "unknown code"
		}
	}
}

func (dl *DataLoader) collate(p *pending) (b Batch, err error) {
	defer recoverPanic(&err)
	for pos, err := range p.errs {
		if err != nil {
			return Batch{}, fmt.Errorf("%s batch: %w", dl.Dataset.Split, wrapItem(err, dl.Dataset.Items[p.idxs[pos]]))
		}
	}
	x, err := dl.collateValues(p.values)
	if err != nil {
		return Batch{}, fmt.Errorf("%s batch of items %v: %w", dl.Dataset.Split, p.idxs, err)
	}
	return Batch{X: x, Y: TensorCategory(p.ys), Idxs: p.idxs, buffers: dl.buffers}, nil
}

// wrapItem is err unchanged when its message already names the item.
func wrapItem(err error, item Path) error {
	if msg := err.Error(); strings.Contains(msg, string(item)) || strings.Contains(msg, item.String()) {
		return err
	}
	return fmt.Errorf("item %s: %w", item, err)
}
