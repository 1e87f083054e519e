package fastgo_test

import (
	"bytes"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
)

func collect(t *testing.T, dl *fastgo.DataLoader, epoch int) []fastgo.Batch {
	t.Helper()
	var out []fastgo.Batch
	for b, err := range dl.Batches(epoch) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestBatchCounts(t *testing.T) {
	dls, err := petsBlock(7390, fakeResize{size: 2}).DataLoaders("images")
	if err != nil {
		t.Fatal(err)
	}
	if dls.Train.Len() != 92 || dls.Valid.Len() != 24 {
		t.Fatalf("Len = %d/%d, want 92/24 (5912/64 dropping the last, 1478/64 keeping it)", dls.Train.Len(), dls.Valid.Len())
	}
	train := collect(t, dls.Train, 0)
	valid := collect(t, dls.Valid, 0)
	if len(train) != 92 || len(valid) != 24 {
		t.Fatalf("got %d/%d batches", len(train), len(valid))
	}
	for _, b := range train {
		if len(b.Y) != 64 || b.X.Shape[0] != 64 {
			t.Fatalf("a train batch has %d items", len(b.Y))
		}
	}
	if last := valid[23]; len(last.Y) != 1478-23*64 || len(last.X.Data) != len(last.Y)*2*2*3 {
		t.Errorf("last valid batch has %d labels and %d bytes", len(last.Y), len(last.X.Data))
	}
	// Valid is in dataset order; train sees each item at most once per epoch.
	var validIdx, trainIdx []int
	for _, b := range valid {
		validIdx = append(validIdx, b.Idxs...)
	}
	for i, v := range validIdx {
		if v != i {
			t.Fatalf("valid batch order: position %d holds item %d", i, v)
		}
	}
	for _, b := range train {
		trainIdx = append(trainIdx, b.Idxs...)
		for j, idx := range b.Idxs {
			if dls.Datasets.Train.Y[idx] != b.Y[j] {
				t.Fatalf("label of item %d is %d in the batch, %d in the dataset", idx, b.Y[j], dls.Datasets.Train.Y[idx])
			}
		}
	}
	slices.Sort(trainIdx)
	if len(slices.Compact(trainIdx)) != 92*64 {
		t.Error("a training item appears twice in one epoch")
	}
}

// Same seed, same batches whatever the number of workers; another epoch
// or seed changes the order and the item randomness.
func TestLoaderDeterminism(t *testing.T) {
	load := func(workers int, seed uint64, epoch int) []fastgo.Batch {
		dls, err := petsBlock(300, fakeResize{size: 4}).DataLoaders("images",
			fastgo.WithBatchSize(16), fastgo.WithWorkers(workers), fastgo.WithSeed(seed))
		if err != nil {
			t.Fatal(err)
		}
		return collect(t, dls.Train, epoch)
	}
	same := func(a, b []fastgo.Batch) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if !bytes.Equal(a[i].X.Data, b[i].X.Data) || !slices.Equal(a[i].Y, b[i].Y) || !slices.Equal(a[i].Idxs, b[i].Idxs) {
				return false
			}
		}
		return true
	}
	ref := load(1, 7, 0)
	for _, w := range []int{2, 5, 16} {
		if !same(ref, load(w, 7, 0)) {
			t.Errorf("%d workers gave other batches than 1 worker", w)
		}
	}
	if same(ref, load(4, 7, 1)) {
		t.Error("epoch 1 gave the same batches as epoch 0")
	}
	if same(ref, load(4, 8, 0)) {
		t.Error("seed 8 gave the same batches as seed 7")
	}
	// The item randomness alone (same order) depends on the epoch too.
	dls, _ := petsBlock(300).DataLoaders("images", fastgo.WithSeed(7))
	a, b := dls.Train.ItemContext(0, 5).Rand.Uint64(), dls.Train.ItemContext(1, 5).Rand.Uint64()
	if a == b || a != dls.Train.ItemContext(0, 5).Rand.Uint64() {
		t.Error("ItemContext randomness is not a function of (seed, epoch, index)")
	}
}

func TestLoaderErrors(t *testing.T) {
	db := petsBlock(0, fakeResize{size: 2})
	db.GetItems = func(dir fastgo.Path) (fastgo.L[fastgo.Path], error) {
		items, _ := petNames(40)(dir)
		items[3] = dir.Join("broken_1.jpg")
		return items, nil
	}
	db.GetY = func(fastgo.Path) (string, error) { return "pet", nil }
	db.Splitter = fastgo.FuncSplitter(func(fastgo.Path) bool { return false })
	dls, err := db.DataLoaders("images", fastgo.WithBatchSize(8), fastgo.WithWorkers(3))
	if err != nil {
		t.Fatal(err)
	}
	var errs []error
	for _, err := range dls.Train.Batches(0) {
		errs = append(errs, err)
	}
	if len(errs) == 0 || errs[len(errs)-1] == nil {
		t.Fatalf("no error from a batch holding a broken item: %v", errs)
	}
	if !strings.Contains(errs[len(errs)-1].Error(), "broken_1.jpg") {
		t.Errorf("error does not name the item: %v", errs[len(errs)-1])
	}
	for _, err := range errs[:len(errs)-1] {
		if err != nil {
			t.Errorf("the sequence went on after an error: %v", errs)
		}
	}
	// Without Resize the items cannot be collated: a CollateError.
	dls, _ = petsBlock(370).DataLoaders("images", fastgo.WithBatchSize(8))
	if _, err := dls.OneBatch(); err == nil || !strings.Contains(err.Error(), "vision.Resize") {
		t.Errorf("collate error = %v", err)
	}
	dls, _ = petsBlock(370, fakeResize{size: 2}).DataLoaders("images", fastgo.WithBatchSize(400))
	if _, err := dls.OneBatch(); err == nil || !strings.Contains(err.Error(), "WithBatchSize") {
		t.Errorf("too few items for a batch: %v", err)
	}
	if _, err := petsBlock(370).DataLoaders("images", fastgo.WithBatchSize(0)); err == nil {
		t.Error("batch size 0 accepted")
	}
}

// Stopping early must not leave workers running.
func TestLoaderEarlyStop(t *testing.T) {
	dls, _ := petsBlock(2000, fakeResize{size: 2}).DataLoaders("images", fastgo.WithBatchSize(4), fastgo.WithWorkers(4))
	before := runtime.NumGoroutine()
	for range 5 {
		for range dls.Train.Batches(0) {
			break
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines left running after breaking out of Batches (before: %d)", g, before)
	}
}

// BenchmarkLoaderOverhead measures the loader itself (scheduling and
// collation of 64×460×460×3 bytes) with a fake block that decodes nothing.
func BenchmarkLoaderOverhead(b *testing.B) {
	dls, err := petsBlock(7390, fakeResize{size: 460}).DataLoaders("images", fastgo.WithWorkers(2))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		n := 0
		for _, err := range dls.Valid.Batches(0) {
			if err != nil {
				b.Fatal(err)
			}
			if n++; n == 8 {
				break
			}
		}
	}
	b.ReportMetric(float64(8*64*b.N)/b.Elapsed().Seconds(), "items/s")
}

// panicky is an item transform with a bug: it slices out of range for
// the items whose file name ends in "_2.jpg".
type panicky struct{}

func (panicky) Name() string { return "Panicky" }

func (panicky) Apply(v fastgo.Value, ctx fastgo.ItemContext) (fastgo.Value, error) {
	if f, ok := v.(fakeImage); ok && strings.HasSuffix(f.item.Name(), "_2.jpg") {
		var xs []int
		n := len(f.item.Name()) - 100
		_ = xs[n:] // slice bounds out of range
	}
	return v, nil
}

// TestLoaderWorkerPanic: a panic in a worker goroutine (a transform bug,
// such as Resize's on 1-px images once) reaches the caller as an error that
// names the item and where it panicked, instead of killing the program.
func TestLoaderWorkerPanic(t *testing.T) {
	db := petsBlock(40, panicky{}, fakeResize{size: 2})
	db.Splitter = fastgo.FuncSplitter(func(fastgo.Path) bool { return false })
	dls, err := db.DataLoaders("images", fastgo.WithBatchSize(8), fastgo.WithWorkers(3))
	if err != nil {
		t.Fatal(err)
	}
	var last error
	for _, err := range dls.Train.Batches(0) {
		last = err
	}
	if last == nil {
		t.Fatal("no error from a batch whose transform panicked")
	}
	for _, want := range []string{"_2.jpg", "Panicky", "panic in", "slice bounds out of range", "loader_test.go"} {
		if !strings.Contains(last.Error(), want) {
			t.Errorf("error %q does not say %q", last, want)
		}
	}
}
