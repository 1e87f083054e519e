package display

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"gonum.org/v1/plot"
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

// readPNG decodes the PNG file at path.
func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	return img
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
	img := readPNG(t, path)
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

func TestLinePlotLogX(t *testing.T) {
	dir, _ := terminalFiles(t)
	// An LR-finder-like curve: loss against lr from 1e-7 to 10.
	var s Series
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 100 {
		lr := 1e-7 * math.Pow(1e8, float64(i)/99)
		loss := 2.5 - 1.5/(1+math.Exp(-(math.Log10(lr)+3.5)*2)) + math.Exp(math.Log10(lr)-0.2) + 0.05*rng.Float64()
		s.X, s.Y = append(s.X, lr), append(s.Y, loss)
	}
	s.Y[99] = math.NaN() // divergence: skipped
	p, err := LinePlot(LinePlotSpec{
		Title: "LR finder", XLabel: "Learning Rate", YLabel: "Loss", LogX: true,
		Series: []Series{s},
		Marks:  []Mark{{"Minimum/10", 1e-2, 1.1}, {"steepest point", 5.25e-3, 1.3}},
	})
	if err != nil {
		t.Fatal(err)
	}
	path, err := ShowPlot(p, "lr_find")
	if err != nil {
		t.Fatal(err)
	}
	img := readPNG(t, path)
	if b := img.Bounds(); b.Dx() != 768 || b.Dy() != 480 {
		t.Errorf("plot is %v, want 768×480", b.Size())
	}
	if f := inkFraction(img, img.Bounds()); f < 0.01 {
		t.Errorf("plot is nearly blank (%.3f ink)", f)
	}
	if _, ok := p.X.Scale.(plot.LogScale); !ok {
		t.Errorf("x scale %T, want log", p.X.Scale)
	}
	_ = dir
}

func TestLinePlotErrors(t *testing.T) {
	for name, spec := range map[string]LinePlotSpec{
		"log x <= 0":    {LogX: true, Series: []Series{{Label: "s", X: []float64{0, 1}, Y: []float64{1, 2}}}},
		"length":        {Series: []Series{{Label: "s", X: []float64{0, 1}, Y: []float64{1}}}},
		"no finite":     {Series: []Series{{Label: "s", X: []float64{math.NaN()}, Y: []float64{1}}}},
		"mark log x<=0": {LogX: true, Marks: []Mark{{"m", -1, 1}}},
	} {
		if _, err := LinePlot(spec); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := PlotFunction(math.Sin, 1, 1, "t", "", ""); err == nil {
		t.Error("PlotFunction accepted an empty range")
	}
}

func TestPlotFunctionSigmoid(t *testing.T) {
	_, _ = terminalFiles(t)
	p, err := PlotFunction(func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, -4, 4, "sigmoid", "x", "sigmoid(x)")
	if err != nil {
		t.Fatal(err)
	}
	if p.X.Min > -4 || p.X.Max < 4 || p.Y.Min > 0.02 || p.Y.Max < 0.98 {
		t.Errorf("axis ranges x [%g, %g] y [%g, %g] do not cover the sigmoid on [-4, 4]", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	}
	if _, err := ShowPlot(p, "sigmoid"); err != nil {
		t.Fatal(err)
	}
}

func TestHeatmap37(t *testing.T) {
	_, _ = terminalFiles(t)
	const n = 37
	labels := make([]string, n)
	vals := make([][]float64, n)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range n {
		labels[i] = strings.Repeat("x", 5+i%22) + "_" + string(rune('a'+i%26))
		vals[i] = make([]float64, n)
		for j := range n {
			if rng.IntN(8) == 0 {
				vals[i][j] = float64(rng.IntN(4))
			}
		}
		vals[i][i] = float64(25 + rng.IntN(15))
	}
	p, err := Heatmap(HeatmapSpec{Title: "Confusion matrix", XLabel: "Predicted", YLabel: "Actual",
		RowLabels: labels, ColLabels: labels, Values: vals, Annotate: true})
	if err != nil {
		t.Fatal(err)
	}
	path, err := ShowPlot(p, "confusion")
	if err != nil {
		t.Fatal(err)
	}
	big := readPNG(t, path).Bounds()
	small, err := Heatmap(HeatmapSpec{Title: "Confusion matrix (normalized)", XLabel: "Predicted", YLabel: "Actual",
		RowLabels: []string{"Abyssinian", "Bengal", "Birman"}, ColLabels: []string{"Abyssinian", "Bengal", "Birman"},
		Values: [][]float64{{0.9, 0.1, 0}, {0.05, 0.85, 0.1}, {0, 0.2, 0.8}}, Annotate: true, Decimals: 2})
	if err != nil {
		t.Fatal(err)
	}
	smallPath, err := ShowPlot(small, "confusion_small")
	if err != nil {
		t.Fatal(err)
	}
	sp := readPNG(t, smallPath).Bounds().Size()
	if big.Dx() < 1000 || big.Dx() <= sp.X || big.Dy() <= sp.Y {
		t.Errorf("37-class heatmap is %v, 3-class %v; want the canvas to grow with classes (≥1000 px)", big.Size(), sp)
	}
	if sp.X < 600 {
		t.Errorf("small heatmap %d px wide, want ≥ 600", sp.X)
	}
}

func TestHeatmapColours(t *testing.T) {
	if got := bluesAt(0); got != blues[0] {
		t.Errorf("bluesAt(0) = %v, want %v", got, blues[0])
	}
	if got := bluesAt(1); got != blues[len(blues)-1] {
		t.Errorf("bluesAt(1) = %v", got)
	}
	if a, b := bluesAt(0.3), bluesAt(0.6); a.B <= b.B && a.R <= b.R {
		t.Errorf("Blues not darkening: %v then %v", a, b)
	}
}

func TestHeatmapErrors(t *testing.T) {
	for name, spec := range map[string]HeatmapSpec{
		"empty":    {},
		"ragged":   {Values: [][]float64{{1, 2}, {3}}},
		"labels":   {Values: [][]float64{{1}}, RowLabels: []string{"a", "b"}},
		"decimals": {Values: [][]float64{{1}}, Decimals: -1},
	} {
		if _, err := Heatmap(spec); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestTicks(t *testing.T) {
	labels := func(ts []plot.Tick) string {
		var ls []string
		for _, t := range ts {
			if t.Label != "" {
				ls = append(ls, t.Label)
			}
		}
		return strings.Join(ls, " ")
	}
	for _, tc := range []struct {
		ticker plot.Ticker
		lo, hi float64
		want   string
	}{
		{niceTicks{}, -4, 4, "-4 -2 0 2 4"},
		{niceTicks{}, 0, 1, "0 0.2 0.4 0.6 0.8 1.0"},
		{niceTicks{}, 1.1, 3.1, "1.5 2.0 2.5 3.0"},
		{niceTicks{}, 0.11, 0.19, "0.12 0.14 0.16 0.18"},
		{niceTicks{}, 0, 5000, "0 1000 2000 3000 4000 5000"},
		{logTicks{}, 1e-7, 10, "1e-07 1e-06 1e-05 1e-04 0.001 0.01 0.1 1 10"},
		{logTicks{}, 0, 10, ""},
	} {
		if got := labels(tc.ticker.Ticks(tc.lo, tc.hi)); got != tc.want {
			t.Errorf("%T.Ticks(%g, %g) labels %q, want %q", tc.ticker, tc.lo, tc.hi, got, tc.want)
		}
	}
}
