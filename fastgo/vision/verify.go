package vision

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/fastgo"
)

// BadImage is a file VerifyImages could not decode, and why.
type BadImage struct {
	Path fastgo.Path
	// Err is the decoder's error (a *DecodeError naming the file and the
	// problem: truncated, not an image, too large, ...).
	Err error
}

// BadImages are VerifyImages' failures, in the order of the files given.
type BadImages []BadImage

// Paths are the failing files, as fastai's verify_images returns them
// (an L, so `failed.map(Path.unlink)` becomes a loop over Paths()).
func (b BadImages) Paths() fastgo.L[fastgo.Path] {
	out := make(fastgo.L[fastgo.Path], len(b))
	for i, f := range b {
		out[i] = f.Path
	}
	return out
}

// String shows the failing files like fastai's L, then one line per file
// with the reason.
func (b BadImages) String() string {
	var s strings.Builder
	s.WriteString(b.Paths().String())
	for _, f := range b {
		fmt.Fprintf(&s, "\n  %s: %v", f.Path, f.Err)
	}
	return s.String()
}

// VerifyImages is fastai's verify_images: it decodes every file (as the
// data pipeline would, with the same limits: MaxPixels,
// ApplyEXIFOrientation) on all CPU cores, with a progress bar, and returns
// the files that fail with their reasons — the book's chapter 2 cleans a
// downloaded dataset this way before training, so that one unreadable file
// does not stop an epoch in the middle:
//
//	fns, _ := fastgo.GetImageFiles(path)
//	failed := vision.VerifyImages(fns)
//	fmt.Println(failed)             // (#2) [Path('x.jpg'),...] and why
//	for _, p := range failed.Paths() { os.Remove(string(p)) }
//
// It never fails itself: every problem is a BadImage.
func VerifyImages(files fastgo.L[fastgo.Path]) BadImages {
	errs := make([]error, len(files))
	bar := display.NewProgressBar(len(files), "")
	var next, done atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(runtime.NumCPU(), max(len(files), 1)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(files) {
					return
				}
				_, errs[i] = LoadImage(string(files[i]))
				done.Add(1)
				mu.Lock() // one update at a time, never going back
				bar.Update(int(done.Load()), "")
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	bar.Done()
	var bad BadImages
	for i, err := range errs {
		if err != nil {
			bad = append(bad, BadImage{Path: files[i], Err: err})
		}
	}
	return bad
}
