package augment

import (
	"math"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/internal/testutil"
)

// The three variants use the same draws: same sizes, and the step-by-step
// one is blurrier (lower mean gradient) than the single sampling.
func TestCompareAugmentations(t *testing.T) {
	img, err := vision.LoadImage("../../../testdata/images/Abyssinian_1.jpg")
	if err != nil {
		t.Fatal(err)
	}
	aug := MustAugTransforms(64, MinScale(0.75), PAffine(1))
	variants, err := CompareAugmentations(testutil.Backend(), img, 128, aug, 2, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(variants) != 3 {
		t.Fatalf("%d variants, want 3", len(variants))
	}
	for _, v := range variants {
		if len(v.Images) != 2 || v.Images[0].W != 64 || v.Images[0].H != 64 {
			t.Fatalf("%s: %d images of %dx%d, want 2 of 64x64", v.Name, len(v.Images), v.Images[0].W, v.Images[0].H)
		}
	}
	if single, steps := sharpness(variants[0].Images[0]), sharpness(variants[2].Images[0]); steps >= single {
		t.Errorf("sharpness: single sampling %.2f, one per step %.2f; want the single sampling sharper", single, steps)
	}
	if cells := ComparisonCells(variants); len(cells) != 6 || cells[0].Title == "" || cells[1].Title != "" {
		t.Errorf("ComparisonCells: %d cells, titles %q %q; want 6, the first of each row titled", len(cells), cells[0].Title, cells[1].Title)
	}
	if _, err := CompareAugmentations(testutil.Backend(), img, 128, aug, 0, 7); err == nil {
		t.Error("n = 0: want an error")
	}
}

// sharpness is the mean absolute horizontal difference of the green channel.
func sharpness(m vision.Image) float64 {
	var sum float64
	for y := range m.H {
		for x := 1; x < m.W; x++ {
			a, b := m.Pix[(y*m.W+x)*3+1], m.Pix[(y*m.W+x-1)*3+1]
			sum += float64(max(a, b) - min(a, b))
		}
	}
	return sum / float64(m.H*(m.W-1))
}

// The book's figure with its draws: two images of the output size, the
// same geometry (closer to each other than to the image without the
// draws), the single interpolation the sharper.
func TestCompareInterpolationsBookDraws(t *testing.T) {
	img, err := vision.LoadImage("../../../testdata/images/Abyssinian_1.jpg")
	if err != nil {
		t.Fatal(err)
	}
	book := MustAugTransforms(64).MustWithDraws(Draws{}.Rotate(30).Zoom(1.2).Warp(-0.2, 0.2))
	variants, err := CompareInterpolations(testutil.Backend(), img, 128, book)
	if err != nil {
		t.Fatal(err)
	}
	if len(variants) != 2 || len(variants[0].Images) != 1 || variants[0].Images[0].W != 64 || variants[1].Images[0].H != 64 {
		t.Fatalf("want two 64x64 images, got %d variants", len(variants))
	}
	plain, err := CompareInterpolations(testutil.Backend(), img, 128, MustAugTransforms(64, DoFlip(false), MaxRotate(0), MaxZoom(1), MaxWarp(0), MaxLighting(0)))
	if err != nil {
		t.Fatal(err)
	}
	one, steps, none := variants[0].Images[0], variants[1].Images[0], plain[0].Images[0]
	if d, far := meanAbsDiff(one, steps), meanAbsDiff(one, none); d >= far/2 {
		t.Errorf("one interpolation vs one per step: %.1f levels apart, vs %.1f from the unaugmented image: not the same draws", d, far)
	}
	if sharpness(steps) >= sharpness(one) {
		t.Errorf("sharpness: one interpolation %.2f, one per step %.2f", sharpness(one), sharpness(steps))
	}
	if _, err := CompareInterpolations(testutil.Backend(), img, 128, nil); err == nil {
		t.Error("nil augmentation: no error")
	}
}

func meanAbsDiff(a, b vision.Image) float64 {
	var s float64
	for i := range a.Pix {
		s += math.Abs(float64(a.Pix[i]) - float64(b.Pix[i]))
	}
	return s / float64(len(a.Pix))
}
