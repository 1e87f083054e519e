package display

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Plot canvas defaults: 8×5 in at 96 dpi = 768×480 px.
const (
	plotDPI    = 96
	plotWidth  = 8 * vg.Inch
	plotHeight = 5 * vg.Inch
	plotMargin = 0.08 * vg.Inch
)

// tab10 is matplotlib's default colour cycle (C0, C1, …).
var tab10 = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff},
}

// ShowPlot renders p as a PNG (768×480 px; heatmaps sized by their number of
// classes) and shows it: inline in a notebook (returns ""), or as
// OutputDir()/name.png in a terminal (path printed and returned).
func ShowPlot(p *plot.Plot, name string) (string, error) {
	data, err := renderPNG(p)
	if err != nil {
		return "", fmt.Errorf("display.ShowPlot %q: %w", name, err)
	}
	return showPNG(data, name)
}

// PlotPNG renders p as PNG data at the size ShowPlot uses.
func PlotPNG(p *plot.Plot) ([]byte, error) {
	data, err := renderPNG(p)
	if err != nil {
		return nil, fmt.Errorf("display.PlotPNG: %w", err)
	}
	return data, nil
}

func renderPNG(p *plot.Plot) (data []byte, err error) {
	if p == nil {
		return nil, fmt.Errorf("plot is nil")
	}
	// gonum/plot panics on some degenerate inputs; report them as errors.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("render plot %q: %v", p.Title.Text, r)
		}
	}()
	w, h := plotSize(p)
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(plotDPI))
	// A small margin so that nothing touches the image edges.
	p.Draw(draw.Crop(draw.New(c), plotMargin, -2*plotMargin, plotMargin, -plotMargin))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode plot %q as PNG: %w", p.Title.Text, err)
	}
	return buf.Bytes(), nil
}

// newPlot makes a plot with sans-serif text (like matplotlib's) and the
// given labels.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xlabel, ylabel
	for _, f := range []*font.Font{&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font} {
		f.Variant = "Sans"
	}
	p.Title.TextStyle.Font.Size = 14
	p.Title.Padding = 6
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{}, niceTicks{}
	return p
}

// Series is one curve of a LinePlot: Y against X (same length), drawn as a
// line, or as points when Points is set. Label names it in the legend ("" for
// none). Points with a NaN or infinite coordinate are skipped.
type Series struct {
	Label  string
	X, Y   []float64
	Points bool
}

// Mark is a single marked point with a legend entry, e.g. an LR-finder
// suggestion.
type Mark struct {
	Label string
	X, Y  float64
}

// LinePlotSpec describes a LinePlot. LogX makes the x axis logarithmic (all
// x values must then be > 0).
type LinePlotSpec struct {
	Title, XLabel, YLabel string
	LogX                  bool
	Series                []Series
	Marks                 []Mark
}

// LinePlot draws series in matplotlib's colour cycle (C0, C1, …) on a light
// grid, then the marks as filled circles in the following colours, with a
// legend when anything is labelled. Show it with ShowPlot.
func LinePlot(spec LinePlotSpec) (*plot.Plot, error) {
	p := newPlot(spec.Title, spec.XLabel, spec.YLabel)
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = color.Gray{0xd8}, color.Gray{0xd8}
	p.Add(grid)
	if spec.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks{}
	}
	var legend []string // labels, to place the legend
	var all plotter.XYs // every point, to place the legend
	for i, s := range spec.Series {
		xys, err := seriesXYs(s, spec.LogX)
		if err != nil {
			return nil, fmt.Errorf("display.LinePlot %q: %w", spec.Title, err)
		}
		all = append(all, xys...)
		col := tab10[i%len(tab10)]
		var thumb plot.Thumbnailer
		if s.Points {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, fmt.Errorf("display.LinePlot %q: series %q: %w", spec.Title, s.Label, err)
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: 2.5, Shape: draw.CircleGlyph{}}
			p.Add(sc)
			thumb = sc
		} else {
			l, err := plotter.NewLine(xys)
			if err != nil {
				return nil, fmt.Errorf("display.LinePlot %q: series %q: %w", spec.Title, s.Label, err)
			}
			l.LineStyle = draw.LineStyle{Color: col, Width: 1.5}
			p.Add(l)
			thumb = l
		}
		if s.Label != "" {
			p.Legend.Add(s.Label, thumb)
			legend = append(legend, s.Label)
		}
	}
	for j, m := range spec.Marks {
		if !finite(m.X) || !finite(m.Y) || (spec.LogX && m.X <= 0) {
			return nil, fmt.Errorf("display.LinePlot %q: mark %q at (%g, %g) cannot be drawn (log x axis needs x > 0)", spec.Title, m.Label, m.X, m.Y)
		}
		sc, err := plotter.NewScatter(plotter.XYs{{X: m.X, Y: m.Y}})
		if err != nil {
			return nil, fmt.Errorf("display.LinePlot %q: mark %q: %w", spec.Title, m.Label, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: tab10[(len(spec.Series)+j)%len(tab10)], Radius: 5, Shape: draw.CircleGlyph{}}
		p.Add(sc)
		all = append(all, plotter.XY{X: m.X, Y: m.Y})
		if m.Label != "" {
			p.Legend.Add(m.Label, sc)
			legend = append(legend, m.Label)
		}
	}
	if len(legend) > 0 {
		placeLegend(p, all, legend, spec.LogX)
	}
	return p, nil
}

// placeLegend puts the legend in the corner of the data area that holds the
// fewest points (upper right first on ties), a simple form of matplotlib's
// loc="best".
func placeLegend(p *plot.Plot, pts plotter.XYs, labels []string, logX bool) {
	tx := func(x float64) float64 {
		if logX {
			return math.Log(x)
		}
		return x
	}
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, pt := range pts {
		x0, x1 = math.Min(x0, tx(pt.X)), math.Max(x1, tx(pt.X))
		y0, y1 = math.Min(y0, pt.Y), math.Max(y1, pt.Y)
	}
	// Legend size as a fraction of the data area (8 px per character plus the
	// symbol, 18 px per entry on a ~680×400 px data area).
	chars := 0
	for _, l := range labels {
		chars = max(chars, len(l))
	}
	fw := math.Min(float64(chars*8+40)/680, 1)
	fh := math.Min(float64(len(labels)*18+10)/400, 1)
	type corner struct{ top, left bool }
	best, bestN := corner{true, false}, -1
	for _, c := range []corner{{true, false}, {true, true}, {false, true}, {false, false}} {
		n := 0
		for _, pt := range pts {
			u, v := 0.5, 0.5
			if x1 > x0 {
				u = (tx(pt.X) - x0) / (x1 - x0)
			}
			if y1 > y0 {
				v = (pt.Y - y0) / (y1 - y0)
			}
			inX := (c.left && u <= fw) || (!c.left && u >= 1-fw)
			inY := (c.top && v >= 1-fh) || (!c.top && v <= fh)
			if inX && inY {
				n++
			}
		}
		if bestN < 0 || n < bestN {
			best, bestN = c, n
		}
	}
	p.Legend.Top, p.Legend.Left = best.top, best.left
	p.Legend.XOffs, p.Legend.YOffs = -6, -6
	if best.left {
		p.Legend.XOffs = 6
	}
	if !best.top {
		p.Legend.YOffs = 6
	}
}

// niceTicks labels about 6 round values (steps of 1, 2, 2.5 or 5 × 10^k).
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !finite(lo) || !finite(hi) || !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 4, 64)}}
	}
	raw := (hi - lo) / 6
	mag := math.Pow10(int(math.Floor(math.Log10(raw))))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	format := func(v float64) string {
		if math.Abs(v) < step*1e-9 {
			return "0"
		}
		if step < 1e-4 || step >= 1e6 {
			return strconv.FormatFloat(v, 'g', 4, 64)
		}
		dec := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
		if r := step / math.Pow10(-dec); math.Abs(r-math.Round(r)) > 1e-9 {
			dec++ // 2.5, 0.25, …
		}
		return strconv.FormatFloat(v, 'f', dec, 64)
	}
	var ticks []plot.Tick
	for k := math.Ceil(lo/step - 1e-9); k*step <= hi+step*1e-9; k++ {
		ticks = append(ticks, plot.Tick{Value: k * step, Label: format(k * step)})
	}
	return ticks
}

// seriesXYs validates s and keeps its finite points.
func seriesXYs(s Series, logX bool) (plotter.XYs, error) {
	if len(s.X) != len(s.Y) {
		return nil, fmt.Errorf("series %q has %d x values but %d y values; give one x per y", s.Label, len(s.X), len(s.Y))
	}
	xys := make(plotter.XYs, 0, len(s.X))
	for i, x := range s.X {
		y := s.Y[i]
		if !finite(x) || !finite(y) {
			continue
		}
		if logX && x <= 0 {
			return nil, fmt.Errorf("series %q has x = %g at index %d; a log x axis needs x > 0", s.Label, x, i)
		}
		xys = append(xys, plotter.XY{X: x, Y: y})
	}
	if len(xys) == 0 {
		return nil, fmt.Errorf("series %q has no finite points to draw", s.Label)
	}
	return xys, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// logTicks labels powers of ten ("1e-05", "0.001", "1", "10") with minor
// ticks at their multiples; unlike plot.LogTicks it does not panic on a
// degenerate range.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi >= lo) {
		return nil
	}
	var ticks []plot.Tick
	for e := int(math.Floor(math.Log10(lo))); e <= int(math.Ceil(math.Log10(hi))); e++ {
		base := math.Pow10(e)
		for k := 1; k < 10; k++ {
			v := base * float64(k)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if k == 1 {
				t.Label = formatPow10(e)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// formatPow10 writes 10^e compactly: "0.01", "1", "100", or "1e-05".
func formatPow10(e int) string {
	if e >= -3 && e <= 4 {
		return strconv.FormatFloat(math.Pow10(e), 'f', -1, 64)
	}
	return strings.Replace(strconv.FormatFloat(math.Pow10(e), 'e', 0, 64), "e+", "e", 1)
}

// PlotFunction plots f on [min, max] (200 evenly spaced points), like
// fastbook's plot_function (e.g. the sigmoid on -4..4).
func PlotFunction(f func(float64) float64, min, max float64, title, xlabel, ylabel string) (*plot.Plot, error) {
	if f == nil {
		return nil, fmt.Errorf("display.PlotFunction %q: function is nil", title)
	}
	if !finite(min) || !finite(max) || !(max > min) {
		return nil, fmt.Errorf("display.PlotFunction %q: range [%g, %g] is empty or not finite; give min < max", title, min, max)
	}
	const n = 200
	s := Series{X: make([]float64, n), Y: make([]float64, n)}
	for i := range n {
		x := min + (max-min)*float64(i)/(n-1)
		s.X[i], s.Y[i] = x, f(x)
	}
	return LinePlot(LinePlotSpec{Title: title, XLabel: xlabel, YLabel: ylabel, Series: []Series{s}})
}
