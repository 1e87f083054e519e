package vision

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/internal/testutil"
)

// Resize against Pillow in the parity suite (make parity): references
// written by scripts/parity_torch.py, limits as testutil.Parity states.

// TestParityResize: valid-mode Resize(224) of every JPEG of the pets sample
// against Pillow's (fastai's crop_pad then BILINEAR), in the default
// pure-Go build. Resampling is bit-exact; what differs is JPEG decoding:
// chroma is interpolated and converted as libjpeg-turbo does
// (fromJPEGYCbCr), and image/jpeg's IDCT still differs from libjpeg's in
// the last bit of some samples. Measured on the 738 JPEGs of the sample:
// largest difference 3 levels (42 before the chroma interpolation), 3.2%
// of the values off, nearly all by 1; the -tags libjpeg build is exact.
// Limits: 3 levels, 5% of the values.
func TestParityResize(t *testing.T) {
	p := testutil.LoadParity(t)
	if !p.Has("resize_pillow") {
		t.Skip("the references were written without the pets images")
	}
	ref, shape := p.U8(t, "resize_pillow")
	_, size, dir := p.Meta(t, "resize_pillow")
	files := testutil.ReadFields(t, filepath.Join(p.Dir, "resize_files.txt"))
	if len(files) != shape[0] {
		t.Fatalf("%d file names for %d images", len(files), shape[0])
	}
	per := size * size * 3
	resize := Resize(size)
	maxDiff, differing, sumAbs, worst := 0, 0, 0, ""
	for i, name := range files {
		img, err := LoadImage(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		v, err := resize.Apply(img, fastgo.ItemContext{Split: fastgo.Valid})
		if err != nil {
			t.Fatal(err)
		}
		got := v.(Image).Pix
		want := ref[i*per : (i+1)*per]
		for j := range got {
			d := int(got[j]) - int(want[j])
			if d != 0 {
				differing++
				sumAbs += max(d, -d)
			}
			if d = max(d, -d); d > maxDiff {
				maxDiff, worst = d, name
			}
		}
	}
	total := float64(len(files) * per)
	t.Logf("largest difference in %s; mean |diff| %.4f levels", worst, float64(sumAbs)/float64(len(files)*per))
	build := "pure-Go"
	if libjpegBuild {
		build = "libjpeg"
	}
	p.Within(t, fmt.Sprintf("Resize(%d) valid vs Pillow, %d JPEGs (%s build): largest |diff| in levels", size, len(files), build), float64(maxDiff), 3, "Pillow 9.4 (libjpeg-turbo)")
	p.Within(t, fmt.Sprintf("Resize(%d) valid vs Pillow: share of values that differ", size), float64(differing)/total, 0.05, "Pillow 9.4 (libjpeg-turbo)")
}
