package fastbook

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
)

// countingBlock is an input block that counts its decodes and collates
// into given memory as the one it wraps (vision.ImageBlock) does.
type countingBlock struct {
	fastgo.InputBlock
	decodes *atomic.Int64
}

func (b countingBlock) Create(item fastgo.Path) (fastgo.Value, error) {
	b.decodes.Add(1)
	return b.InputBlock.Create(item)
}

func (b countingBlock) CollateInto(values []fastgo.Value, dst []byte) (fastgo.ByteTensor, error) {
	return b.InputBlock.(fastgo.CollaterInto).CollateInto(values, dst)
}

// TestReusedMemoryAndDecodedCacheChangeNoBatch: the chapter's pipeline
// (real JPEGs, Resize's random crop) over three epochs gives the same
// batches, byte for byte, when every batch is released for reuse and when
// decoded images are kept; released memory is reused, and kept images are
// decoded once.
func TestReusedMemoryAndDecodedCacheChangeNoBatch(t *testing.T) {
	const epochs = 3
	run := func(release bool, cacheBytes int64) (batches []string, decodes int64, reused int) {
		db, err := PetsDataBlock(48, 32)
		if err != nil {
			t.Fatal(err)
		}
		var n atomic.Int64
		db.Blocks.X = countingBlock{db.Blocks.X, &n}
		dls, err := db.DataLoaders("../../testdata/images", fastgo.WithBatchSize(2), fastgo.WithWorkers(2),
			fastgo.WithDecodedCache(cacheBytes))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[*byte]bool{}
		var kept [][]byte // unreleased batches stay alive: their memory cannot come back
		for epoch := range epochs {
			for _, dl := range []*fastgo.DataLoader{dls.Train, dls.Valid} {
				for b, err := range dl.Batches(epoch) {
					if err != nil {
						t.Fatal(err)
					}
					batches = append(batches, fmt.Sprintf("%v %v %v %x", b.X.Shape, b.Y, b.Idxs, bytes.Clone(b.X.Data)))
					if seen[&b.X.Data[0]] {
						reused++
					}
					seen[&b.X.Data[0]] = true
					if release {
						b.Release()
					} else {
						kept = append(kept, b.X.Data)
					}
				}
			}
		}
		_ = kept
		return batches, n.Load(), reused
	}
	plain, plainDecodes, plainReused := run(false, 0)
	if plainDecodes != 9*epochs || plainReused != 0 {
		t.Fatalf("plain loading: %d decodes, %d batches in reused memory; want %d, 0", plainDecodes, plainReused, 9*epochs)
	}
	for _, tc := range []struct {
		release     bool
		cache       int64
		wantDecodes int64
	}{
		{true, 0, 9 * epochs},
		{false, 1 << 30, 9},
		{true, 1 << 30, 9},
		{false, 600 * 400 * 3 * 2, -1}, // room for a few images: some decoded again
	} {
		got, decodes, reused := run(tc.release, tc.cache)
		what := fmt.Sprintf("release %v, cache %d bytes", tc.release, tc.cache)
		if len(got) != len(plain) {
			t.Fatalf("%s: %d batches, want %d", what, len(got), len(plain))
		}
		for i := range got {
			if got[i] != plain[i] {
				t.Fatalf("%s: batch %d differs from plain loading", what, i)
			}
		}
		if tc.wantDecodes >= 0 && decodes != tc.wantDecodes {
			t.Errorf("%s: %d decodes, want %d", what, decodes, tc.wantDecodes)
		}
		if tc.wantDecodes < 0 && (decodes <= 9 || decodes >= 9*epochs) {
			t.Errorf("%s: %d decodes, want between 9 and %d (some kept)", what, decodes, 9*epochs)
		}
		if tc.release && reused == 0 {
			t.Errorf("%s: no batch was collated into released memory", what)
		}
	}
	db, err := PetsDataBlock(48, 32)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.DataLoaders("../../testdata/images", fastgo.WithDecodedCache(-1)); err == nil {
		t.Error("a negative cache size was accepted")
	}
}

// BenchmarkLaterEpoch times a later training epoch of the chapter's
// loader (decode, Resize(460), collate) over ../shared's pets sample,
// with and without the decoded-image cache filled by a first epoch.
func BenchmarkLaterEpoch(b *testing.B) {
	const sample = "../../../shared/data/oxford-iiit-pet-sample/images"
	for _, cache := range []int64{0, 4 << 30} {
		b.Run(fmt.Sprintf("decoded-cache=%v", cache > 0), func(b *testing.B) {
			db, err := PetsDataBlock(460, 224)
			if err != nil {
				b.Fatal(err)
			}
			dls, err := db.DataLoaders(sample, fastgo.WithDecodedCache(cache))
			if err != nil {
				b.Skip(err)
			}
			epoch := func(e int) {
				for batch, err := range dls.Train.Batches(e) {
					if err != nil {
						b.Fatal(err)
					}
					batch.Release()
				}
			}
			epoch(0)
			b.ResetTimer()
			for i := range b.N {
				epoch(i + 1)
			}
			b.ReportMetric(float64(b.N*dls.Train.Len()*dls.Train.BatchSize)/b.Elapsed().Seconds(), "img/s")
		})
	}
}
