package vision

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
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
// It never fails itself: every problem is a BadImage. Symbolic links to
// nothing (git-annex, DataLad or DVC content not fetched) are listed too:
// those among files, and those beside them with an image extension, which
// fastgo.GetImageFiles leaves out of its listing — after the files' own
// failures, sorted.
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
	return append(bad, danglingBeside(files)...)
}

// danglingBeside lists the symbolic links to nothing with an image
// extension in the folders of files, except files themselves.
func danglingBeside(files fastgo.L[fastgo.Path]) BadImages {
	given := make(map[string]bool, len(files))
	dirs := map[string]bool{}
	for _, f := range files {
		given[filepath.Clean(string(f))] = true
		dirs[filepath.Dir(string(f))] = true
	}
	image := map[string]bool{}
	for _, e := range fastgo.ImageExtensions {
		image[e] = true
	}
	var out BadImages
	for _, dir := range slices.Sorted(maps.Keys(dirs)) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			if e.Type()&os.ModeSymlink == 0 || given[p] || strings.HasPrefix(e.Name(), ".") || !image[strings.ToLower(filepath.Ext(e.Name()))] {
				continue
			}
			if de := danglingLink(p); de != nil {
				out = append(out, BadImage{Path: fastgo.Path(p), Err: de})
			}
		}
	}
	return out
}
