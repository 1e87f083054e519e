package fastgo

import (
	"sync"
	"sync/atomic"
)

// WithDecodedCache keeps each item's decoded value (what the input block
// created: the image as decoded, before any item transform) in memory the
// first time an epoch loads it, up to maxBytes for both loaders together;
// later epochs run the item transforms — the random crop differs every
// epoch — on the kept value instead of decoding the file again. For a
// small dataset on a fast GPU, where decoding is the slowest part: the
// chapter's 7,390 pets images take about 4 GB decoded (~500×375 RGB).
// Batches are bit-identical with and without it. Item transforms must not
// change the value they are given (fastgo's return new ones). 0, the
// default, keeps nothing; items beyond the budget are decoded every time.
func WithDecodedCache(maxBytes int64) LoaderOption {
	return func(c *loaderConfig) { c.decodedBytes = maxBytes }
}

// decodedCache holds decoded items by (dataset, index) within a byte
// budget; the loaders' workers read and fill it concurrently.
type decodedCache struct {
	max  int64
	used atomic.Int64
	mu   sync.RWMutex
	kept map[decodedKey]decodedItem
}

type decodedKey struct {
	ds  *Dataset
	idx int
}

type decodedItem struct {
	v Value
	y int
}

// newDecodedCache is a cache of maxBytes, nil for none.
func newDecodedCache(maxBytes int64) *decodedCache {
	if maxBytes <= 0 {
		return nil
	}
	return &decodedCache{max: maxBytes, kept: map[decodedKey]decodedItem{}}
}

// get is ds.Get(idx), from the cache when it holds the item; a successful
// Get is kept while the budget allows. A nil cache gets every time.
func (c *decodedCache) get(ds *Dataset, idx int) (Value, int, error) {
	if c == nil {
		return ds.Get(idx)
	}
	key := decodedKey{ds, idx}
	c.mu.RLock()
	it, ok := c.kept[key]
	c.mu.RUnlock()
	if ok {
		return it.v, it.y, nil
	}
	v, y, err := ds.Get(idx)
	if err != nil {
		return v, y, err
	}
	size := valueBytes(v)
	if c.used.Add(size) > c.max {
		c.used.Add(-size) // over budget: this one is decoded every time
		return v, y, nil
	}
	c.mu.Lock()
	if _, dup := c.kept[key]; dup {
		c.used.Add(-size) // another worker kept it meanwhile
	} else {
		c.kept[key] = decodedItem{v, y}
	}
	c.mu.Unlock()
	return v, y, nil
}
