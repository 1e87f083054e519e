package prefetch

import (
	"errors"
	"iter"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// numbers is 0..n-1, each after wait (a loader preparing a batch).
func numbers(n int, wait time.Duration) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		for i := range n {
			time.Sleep(wait)
			if !yield(i, nil) {
				return
			}
		}
	}
}

// TestOverlap is the point of the package, in virtual time: n items of a
// 10 ms producer and a 10 ms consumer take (n+1)·10 ms with any depth ≥ 1
// — the first item alone, then both at once — and 2n·10 ms without.
func TestOverlap(t *testing.T) {
	const n, step = 20, 10 * time.Millisecond
	for _, tc := range []struct {
		depth int
		want  time.Duration
	}{
		{0, 2 * n * step},
		{1, (n + 1) * step},
		{2, (n + 1) * step},
		{4, (n + 1) * step},
	} {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			produce := func(i int) (int, error) { time.Sleep(step); return i * i, nil }
			var got []int
			for v, err := range Ahead(numbers(n, 0), tc.depth, produce, nil) {
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(step) // the consumer's step
				got = append(got, v)
			}
			if took := time.Since(start); took != tc.want {
				t.Errorf("depth %d: %d items took %v, want %v", tc.depth, n, took, tc.want)
			}
			for i, v := range got {
				if v != i*i {
					t.Fatalf("depth %d: item %d is %d, want %d (order lost?)", tc.depth, i, v, i*i)
				}
			}
			if len(got) != n {
				t.Errorf("depth %d: %d items, want %d", tc.depth, len(got), n)
			}
		})
	}
}

// TestSlowSourceOverlaps: the source's own wait (decoding) overlaps the
// consumer too, since the source is iterated on the producer goroutine.
func TestSlowSourceOverlaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, step = 10, 10 * time.Millisecond
		start := time.Now()
		for _, err := range Ahead(numbers(n, step), 2, func(i int) (int, error) { return i, nil }, nil) {
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(step)
		}
		if took, want := time.Since(start), (n+1)*step; took != want {
			t.Errorf("took %v, want %v", took, want)
		}
	})
}

// TestStopEarly: a consumer that stops leaves no goroutine (synctest.Test
// fails on one blocked forever), and every prepared item it did not take
// is released, none twice.
func TestStopEarly(t *testing.T) {
	for _, depth := range []int{0, 1, 3} {
		synctest.Test(t, func(t *testing.T) {
			var produced, released atomic.Int64
			var taken int
			produce := func(i int) (int, error) {
				produced.Add(1)
				time.Sleep(time.Millisecond)
				return i, nil
			}
			for v, err := range Ahead(numbers(100, 0), depth, produce, func(int) { released.Add(1) }) {
				if err != nil {
					t.Fatal(err)
				}
				taken++
				if v == 4 {
					break
				}
			}
			if taken != 5 {
				t.Fatalf("depth %d: took %d items, want 5", depth, taken)
			}
			if p, r := produced.Load(), released.Load(); p != int64(taken)+r || p > int64(taken+depth+1) {
				t.Errorf("depth %d: produced %d, taken %d, released %d: want produced = taken + released, at most depth+1 beyond", depth, p, taken, r)
			}
		})
	}
}

// TestConsumerPanics: the producer stops and the panic goes on.
func TestConsumerPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var released atomic.Int64
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Errorf("recovered %v, want the consumer's panic", r)
				}
			}()
			for range Ahead(numbers(50, 0), 2, func(i int) (int, error) { return i, nil }, func(int) { released.Add(1) }) {
				panic("boom")
			}
		}()
		synctest.Wait()
	})
}

// TestErrors: a source error or a produce error comes out in its place,
// the items before it intact, and ends the sequence; a panic in produce
// becomes an error.
func TestErrors(t *testing.T) {
	bad := errors.New("bad item 3")
	src := func(yield func(int, error) bool) {
		for i := range 10 {
			var err error
			if i == 3 {
				err = bad
			}
			if !yield(i, err) {
				return
			}
		}
	}
	for _, tc := range []struct {
		name    string
		src     iter.Seq2[int, error]
		produce func(int) (int, error)
		want    string
	}{
		{"source", src, func(i int) (int, error) { return i, nil }, "bad item 3"},
		{"produce", numbers(10, 0), func(i int) (int, error) {
			if i == 3 {
				return 0, bad
			}
			return i, nil
		}, "bad item 3"},
		{"panic", numbers(10, 0), func(i int) (int, error) {
			if i == 3 {
				panic("index out of range")
			}
			return i, nil
		}, "panic while preparing an item: index out of range"},
	} {
		for _, depth := range []int{0, 2} {
			synctest.Test(t, func(t *testing.T) {
				var got []int
				var gotErr error
				var after int
				for v, err := range Ahead(tc.src, depth, tc.produce, nil) {
					if gotErr != nil {
						after++
					}
					if err != nil {
						gotErr = err
						continue
					}
					got = append(got, v)
				}
				if !slices.Equal(got, []int{0, 1, 2}) || gotErr == nil || !strings.Contains(gotErr.Error(), tc.want) || after != 0 {
					t.Errorf("%s, depth %d: items %v, error %v, %d items after it; want [0 1 2] then %q, nothing after", tc.name, depth, got, gotErr, after, tc.want)
				}
			})
		}
	}
}

// TestSourceWithGoroutines: a source that runs goroutines of its own (the
// data loader's workers) is stopped and waited for when the consumer
// stops.
func TestSourceWithGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := func(yield func(int, error) bool) {
			ch := make(chan int)
			done := make(chan struct{})
			defer close(done)
			go func() {
				defer close(ch)
				for i := 0; ; i++ {
					select {
					case ch <- i:
					case <-done:
						return
					}
				}
			}()
			for v := range ch {
				if !yield(v, nil) {
					return
				}
			}
		}
		n := 0
		for range Ahead(src, 2, func(i int) (int, error) { return i, nil }, nil) {
			if n++; n == 7 {
				break
			}
		}
	})
}
