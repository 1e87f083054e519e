package augment

import (
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/internal/testutil/testpets"
)

// TestShowBatchSmallTrainingSet: 8 training images with the default batch
// size of 64 (the bundled images in a fresh clone) once failed with "the
// loader yields no batch"; the grid now shows the 8 images there are.
func TestShowBatchSmallTrainingSet(t *testing.T) {
	out := t.TempDir()
	t.Setenv(display.EnvDisplay, "terminal")
	t.Setenv(display.EnvOutputDir, out)
	dls := testpets.PetLoaders(t, vision.ImageBlock(), []fastgo.ItemTransform{vision.Resize(40)},
		[]fastgo.BatchTransform{MustAugTransforms(32, MinScale(0.75))}, fastgo.WithBatchSize(fastgo.DefaultBatchSize))
	if dls.Train.Len() != 0 || dls.Train.Dataset.Len() != 8 {
		t.Fatalf("setup: %d training batches of %d items, want 0 of 8", dls.Train.Len(), dls.Train.Dataset.Len())
	}
	file, err := ShowBatch(dls, Grid(3, 3))
	if err != nil {
		t.Fatalf("ShowBatch on 8 training images, batch size 64: %v", err)
	}
	if filepath.Dir(file) != out {
		t.Errorf("figure written to %s, want it in %s", file, out)
	}
	images, labels, err := showBatchImages(dls, showConfig{nrows: 3, ncols: 3}, 9)
	if err != nil || len(images) != 8 || len(labels) != 8 {
		t.Fatalf("showBatchImages: %d images, %d labels, %v; want the 8 training images", len(images), len(labels), err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("%s: %v", file, err)
	}
	if _, err := dls.OneBatch(); err == nil {
		t.Error("OneBatch on 8 items with batch size 64 gave a batch; training would run on nothing")
	}
}

// TestSizesThatCannotWork: an output size like Resize's 100000 (10^10
// pixels per image on the device), and a ShowBatch grid (or a comparison
// figure) that would put a million images through the device transforms
// as one batch, are refused
// with the setting and the limit named instead of exhausting memory.
func TestSizesThatCannotWork(t *testing.T) {
	for _, size := range []int{100000, 46000, fastgo.MaxSide + 1} {
		_, err := AugTransforms(size)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("size %d", size)) || !strings.Contains(err.Error(), "over") {
			t.Errorf("AugTransforms(%d): %v, want the size and its limit named", size, err)
		}
	}
	if _, err := AugTransforms(224); err != nil {
		t.Fatal(err)
	}
	spec := fastgo.TransformSpec{Name: "AugTransforms", Params: map[string][]float64{"size": {16384}}}
	if _, err := BatchTransformFromSpec(spec); err == nil {
		t.Errorf("BatchTransformFromSpec(size 16384): accepted a size over vision.MaxPixels")
	}

	t.Setenv(display.EnvDisplay, "terminal")
	t.Setenv(display.EnvOutputDir, t.TempDir())
	dls := testpets.PetLoaders(t, vision.ImageBlock(), []fastgo.ItemTransform{vision.Resize(40)}, nil, fastgo.WithBatchSize(4))
	for _, g := range [][2]int{{1000, 1000}, {1 << 32, 1 << 32}, {1 << 62, 2}, {0, 5}, {-3, -3}} {
		_, err := ShowBatch(dls, Grid(g[0], g[1]), Unique())
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("grid %d×%d", g[0], g[1])) {
			t.Errorf("ShowBatch(Grid(%d, %d)): %v, want the grid refused", g[0], g[1], err)
		}
	}
	if _, err := CompareAugmentations(augBackendT(t), vision.NewImage(8, 8), 8, MustAugTransforms(8), 1<<30, 0); err == nil || !strings.Contains(err.Error(), "MaxShowCells") {
		t.Errorf("CompareAugmentations of 2^30 copies: %v, want the limit named", err)
	}
	if _, err := ShowBatch(dls, Grid(16, 16), Unique()); err != nil {
		t.Errorf("ShowBatch(Grid(16, 16)), MaxShowCells images: %v", err)
	}
}
