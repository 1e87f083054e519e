package fastbook

import (
	"fmt"
	"os"
	"strconv"

	"github.com/fastgo-ml/fastgo/fastgo/backend"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
)

// Scale is how big a run of the chapter is: the architecture, the item and
// final image sizes, the batch size and how many epochs a fit may run. The
// chapter's own settings (ResNet34, Resize(460), 224 px, batches of 64, its
// epoch counts) take minutes on a GPU but hours on two CPU cores, so the
// pure-Go backend gets a small default scale instead; environment
// variables override both.
type Scale struct {
	Arch      models.Arch
	Presize   int // Resize item transform (the chapter: 460)
	Size      int // AugTransforms output (the chapter: 224)
	BatchSize int // the chapter: 64
	// MaxEpochs caps the epochs of every fit (0: the book's counts).
	MaxEpochs int
	LRFindIt  int // LRFind iterations (fastai: 100)
}

// ChapterScale is the chapter's settings on a GPU (XLA) backend, and a
// small scale on the pure-Go one (ResNet18, 64 px, batches of 32, at most
// 2 epochs per fit), each overridable by FASTGO_ARCH
// (resnet18|resnet34|resnet50), FASTGO_PRESIZE, FASTGO_SIZE, FASTGO_BS,
// FASTGO_EPOCHS (the cap) and FASTGO_LRFIND_IT.
func ChapterScale() (Scale, error) {
	s := Scale{Arch: models.ResNet34, Presize: 460, Size: 224, BatchSize: 64, LRFindIt: 100}
	if backend.DefaultChoice().Backend == "go" {
		s = Scale{Arch: models.ResNet18, Presize: 96, Size: 64, BatchSize: 32, MaxEpochs: 2, LRFindIt: 60}
	}
	if v := os.Getenv("FASTGO_ARCH"); v != "" {
		a, err := models.ArchByName(v)
		if err != nil {
			return s, fmt.Errorf("FASTGO_ARCH: %w", err)
		}
		s.Arch = a
	}
	for _, f := range []struct {
		env string
		dst *int
	}{
		{"FASTGO_PRESIZE", &s.Presize}, {"FASTGO_SIZE", &s.Size}, {"FASTGO_BS", &s.BatchSize},
		{"FASTGO_EPOCHS", &s.MaxEpochs}, {"FASTGO_LRFIND_IT", &s.LRFindIt},
	} {
		v := os.Getenv(f.env)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return s, fmt.Errorf("%s=%q: want a positive whole number", f.env, v)
		}
		*f.dst = n
	}
	return s, nil
}

// MustChapterScale is ChapterScale for notebook cells: it panics on error.
func MustChapterScale() Scale {
	s, err := ChapterScale()
	if err != nil {
		panic(err)
	}
	return s
}

// Epochs is the number of epochs to run for a fit the book runs for book
// epochs: the book's count, or MaxEpochs when that is smaller. Notebook
// cells keep the book's number in sight: learn.FineTune(scale.Epochs(2)).
func (s Scale) Epochs(book int) int {
	if s.MaxEpochs > 0 && book > s.MaxEpochs {
		return s.MaxEpochs
	}
	return book
}

// String describes the scale in one line.
func (s Scale) String() string {
	epochs := "the book's epochs"
	if s.MaxEpochs > 0 {
		epochs = fmt.Sprintf("at most %d epoch(s) per fit (the book's count when smaller)", s.MaxEpochs)
	}
	return fmt.Sprintf("%s, Resize(%d) then %d px, batch size %d, %s, LRFind over %d iterations",
		s.Arch.Name, s.Presize, s.Size, s.BatchSize, epochs, s.LRFindIt)
}
