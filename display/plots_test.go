package display

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/internal/testutil"

	"gonum.org/v1/plot"
)

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
	if path != filepath.Join(dir, "lr_find.png") {
		t.Errorf("plot written to %q, want it in %s", path, dir)
	}
	img := testutil.ReadPNG(t, path)
	if b := img.Bounds(); b.Dx() != 768 || b.Dy() != 480 {
		t.Errorf("plot is %v, want 768×480", b.Size())
	}
	if f := inkFraction(img, img.Bounds()); f < 0.01 {
		t.Errorf("plot is nearly blank (%.3f ink)", f)
	}
	if _, ok := p.X.Scale.(plot.LogScale); !ok {
		t.Errorf("x scale %T, want log", p.X.Scale)
	}
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
	big := testutil.ReadPNG(t, path).Bounds()
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
	sp := testutil.ReadPNG(t, smallPath).Bounds().Size()
	if big.Dx() > 1000 || big.Dx() <= sp.X || big.Dy() <= sp.Y {
		t.Errorf("37-class heatmap is %v, 3-class %v; want the canvas to grow with classes, within the notebook's column (≤ 1000 px)", big.Size(), sp)
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
