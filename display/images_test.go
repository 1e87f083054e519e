package display

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/fastgo-ml/fastgo/internal/testutil"
)

// terminalFiles forces the terminal rendering with images written to a
// temporary folder ($FASTGO_TEST_KEEP instead, to look at them), and returns
// the folder and the captured text.
func terminalFiles(t *testing.T) (string, *strings.Builder) {
	t.Helper()
	dir := os.Getenv("FASTGO_TEST_KEEP")
	if dir == "" {
		dir = t.TempDir()
	}
	t.Setenv(EnvOutputDir, dir)
	t.Setenv(EnvDisplay, "terminal")
	var out strings.Builder
	SetOutput(&out)
	t.Cleanup(func() { SetOutput(nil) })
	return dir, &out
}

// inkFraction is the fraction of pixels of r in img that are not white.
func inkFraction(img image.Image, r image.Rectangle) float64 {
	r = r.Intersect(img.Bounds())
	ink := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if c.R < 240 || c.G < 240 || c.B < 240 {
				ink++
			}
		}
	}
	return float64(ink) / float64(max(r.Dx()*r.Dy(), 1))
}

func TestShowImagesTerminal(t *testing.T) {
	dir, out := terminalFiles(t)
	imgs := []TitledImage{
		{testImage(500, 375), "great_pyrenees"},
		{testImage(375, 500), "staffordshire_bull_terrier/american_pit_bull_terrier / 2.45 / 0.89"},
		{testImage(300, 300), ""},
		{testImage(28, 28), "7"},
	}
	path, err := ShowImages(imgs, 3, "batch")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "batch.png"); path != want {
		t.Errorf("path %q, want %q", path, want)
	}
	if out.String() != path+"\n" {
		t.Errorf("printed %q, want the path", out.String())
	}
	img := testutil.ReadPNG(t, path)
	b := img.Bounds()
	if want := 3*maxCell + 4*gridPad; b.Dx() != want {
		t.Errorf("width %d, want %d (3 cells of %d)", b.Dx(), want, maxCell)
	}
	// Two rows of cells, each with a title band of 1 to 4 lines.
	if minH := 2*maxCell + 3*gridPad; b.Dy() < minH+2*14 || b.Dy() > minH+2*4*20 {
		t.Errorf("height %d out of range for 2 rows of %d px cells with titles", b.Dy(), maxCell)
	}
	// The second title wraps to several lines: the title band of row 0
	// has ink, and the first image fills its cell's width.
	titleBand := image.Rect(0, gridPad, b.Dx(), gridPad+2*14)
	if f := inkFraction(img, titleBand); f < 0.01 || f > 0.5 {
		t.Errorf("title band ink fraction %.3f; titles missing?", f)
	}
	if f := inkFraction(img, b); f < 0.3 {
		t.Errorf("only %.2f of the grid is not white", f)
	}
}

func TestRenderGridErrors(t *testing.T) {
	if _, err := RenderGrid(nil, 3, ""); err == nil {
		t.Error("no error for no images")
	}
	_, err := RenderGrid([]TitledImage{{testImage(4, 4), "ok"}, {nil, "cat"}}, 0, "")
	if err == nil || !strings.Contains(err.Error(), `image 1 (title "cat")`) {
		t.Errorf("nil image error %v should name the image", err)
	}
}

func TestRenderGridSuptitleAndLayout(t *testing.T) {
	imgs := make([]TitledImage, 5)
	for i := range imgs {
		imgs[i] = TitledImage{testImage(200, 100), "x"}
	}
	g, err := RenderGrid(imgs, 0, "Prediction/Actual/Loss/Probability")
	if err != nil {
		t.Fatal(err)
	}
	// ncols <= 0: ceil(sqrt(5)) = 3 columns of 200 px cells.
	if want := 3*200 + 4*gridPad; g.Bounds().Dx() != want {
		t.Errorf("width %d, want %d", g.Bounds().Dx(), want)
	}
	if f := inkFraction(g, image.Rect(0, 0, g.Bounds().Dx(), gridPad+18)); f == 0 {
		t.Error("no grid title drawn")
	}
	// A row is as tall as its title and its tallest image: a 200×100 image
	// leaves no empty square below it, and hangs just below its title.
	nt, _ := RenderGrid(imgs[:1], 1, "")
	h := nt.Bounds().Dy()
	if h < 100+2*gridPad+12 || h > 100+2*gridPad+30 {
		t.Errorf("one-row grid of a 200×100 image is %d px tall; want the image height plus one title line", h)
	}
	if f := inkFraction(nt, image.Rect(gridPad, h-gridPad-100, gridPad+200, h-gridPad)); f < 0.99 {
		t.Errorf("image area only %.2f filled; image not placed at the bottom of the row", f)
	}
}

func TestShowImageWriteError(t *testing.T) {
	dir, _ := terminalFiles(t)
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvOutputDir, filepath.Join(blocker, "sub"))
	_, err := ShowImage(testImage(2, 2), "x")
	if err == nil || !strings.Contains(err.Error(), EnvOutputDir) {
		t.Errorf("error %v should say to set %s", err, EnvOutputDir)
	}
}

func FuzzWrapText(f *testing.F) {
	face, err := newFace(titleSize)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("staffordshire_bull_terrier/american_pit_bull_terrier / 2.45 / 0.89", 120)
	f.Add("a\nb c", 10)
	f.Fuzz(func(t *testing.T, s string, width int) {
		width = 20 + abs(width)%300
		lines := wrapText(face, s, width, 1000)
		for _, l := range lines {
			if w := measure(face, l); w > width && len([]rune(l)) > 1 {
				t.Errorf("line %q is %d px wide, limit %d", l, w, width)
			}
		}
		// Nothing is lost but white space.
		strip := func(s string) string {
			return strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, s)
		}
		if strip(strings.Join(lines, "")) != strip(s) {
			t.Errorf("wrapText(%q) = %q loses text", s, lines)
		}
	})
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
