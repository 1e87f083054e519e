package display

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// HeatmapSpec describes a Heatmap: Values[i][j] is drawn at row i (top to
// bottom, labelled RowLabels[i]) and column j (ColLabels[j]). Annotate writes
// each value in its cell with Decimals digits after the point.
type HeatmapSpec struct {
	Title, XLabel, YLabel string
	RowLabels, ColLabels  []string
	Values                [][]float64
	Annotate              bool
	Decimals              int
}

// blues is matplotlib's "Blues" colormap (ColorBrewer's 9 classes), from the
// lowest value to the highest.
var blues = []color.RGBA{
	{0xf7, 0xfb, 0xff, 0xff}, {0xde, 0xeb, 0xf7, 0xff}, {0xc6, 0xdb, 0xef, 0xff}, {0x9e, 0xca, 0xe1, 0xff},
	{0x6b, 0xae, 0xd6, 0xff}, {0x42, 0x92, 0xc6, 0xff}, {0x21, 0x71, 0xb5, 0xff}, {0x08, 0x51, 0x9c, 0xff},
	{0x08, 0x30, 0x6b, 0xff},
}

// bluesAt interpolates the Blues colormap at t in [0, 1].
func bluesAt(t float64) color.RGBA {
	t = math.Min(math.Max(t, 0), 1) * float64(len(blues)-1)
	i := min(int(t), len(blues)-2)
	f := t - float64(i)
	a, b := blues[i], blues[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + f*(float64(y)-float64(x)))) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// Heatmap draws a matrix as coloured cells, like fastai's
// plot_confusion_matrix: Blues colormap from the smallest to the largest
// value, x labels rotated 90°, and (with Annotate) each value written in its
// cell, in white where it is above half the maximum. ShowPlot sizes the canvas
// by the number of rows and columns, so 37 classes stay readable.
func Heatmap(spec HeatmapSpec) (*plot.Plot, error) {
	nr := len(spec.Values)
	if nr == 0 {
		return nil, fmt.Errorf("display.Heatmap %q: no values", spec.Title)
	}
	nc := len(spec.Values[0])
	for i, row := range spec.Values {
		if len(row) != nc || nc == 0 {
			return nil, fmt.Errorf("display.Heatmap %q: row %d has %d values, row 0 has %d; give a non-empty rectangular matrix", spec.Title, i, len(row), nc)
		}
	}
	if spec.RowLabels != nil && len(spec.RowLabels) != nr {
		return nil, fmt.Errorf("display.Heatmap %q: %d row labels for %d rows", spec.Title, len(spec.RowLabels), nr)
	}
	if spec.ColLabels != nil && len(spec.ColLabels) != nc {
		return nil, fmt.Errorf("display.Heatmap %q: %d column labels for %d columns", spec.Title, len(spec.ColLabels), nc)
	}
	if spec.Decimals < 0 || spec.Decimals > 10 {
		return nil, fmt.Errorf("display.Heatmap %q: Decimals = %d; use 0 to 10", spec.Title, spec.Decimals)
	}

	p := newPlot(spec.Title, spec.XLabel, spec.YLabel)
	h := &heatmap{spec: spec, lo: math.Inf(1), hi: math.Inf(-1)}
	for _, row := range spec.Values {
		for _, v := range row {
			if finite(v) {
				h.lo, h.hi = math.Min(h.lo, v), math.Max(h.hi, v)
			}
		}
	}
	// Cells and their text shrink a little as classes grow; ShowPlot grows the
	// canvas to keep them legible.
	n := max(nr, nc)
	fontSize := vg.Length(11)
	switch {
	case n > 24: // fastai's 37 pet breeds: small enough for the notebook's column
		fontSize = 6.5
	case n > 12:
		fontSize = 8
	}
	h.style = text.Style{Font: p.X.Tick.Label.Font, XAlign: draw.XCenter, YAlign: draw.YCenter, Handler: p.TextHandler}
	h.style.Font.Size = fontSize
	p.Add(h)

	xt := make(labelTicks, nc)
	for j := range nc {
		// gonum anchors tick labels as if unrotated, which lets a rotated
		// label's end reach into the tick marks; trailing spaces move it clear.
		xt[j] = plot.Tick{Value: float64(j), Label: label(spec.ColLabels, j) + "  "}
	}
	yt := make(labelTicks, nr)
	for i := range nr {
		yt[i] = plot.Tick{Value: float64(nr - 1 - i), Label: label(spec.RowLabels, i)}
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = xt, yt
	p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = fontSize+1, fontSize+1
	p.X.Tick.Label.Rotation = math.Pi / 2
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Min, p.X.Max = -0.5, float64(nc)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(nr)-0.5
	return p, nil
}

func label(labels []string, i int) string {
	if labels == nil {
		return strconv.Itoa(i)
	}
	return labels[i]
}

// labelTicks are a heatmap's class labels; ShowPlot recognises them to size
// the canvas.
type labelTicks []plot.Tick

func (t labelTicks) Ticks(float64, float64) []plot.Tick { return t }

// heatmap is the plotter drawing the cells.
type heatmap struct {
	spec   HeatmapSpec
	lo, hi float64
	style  text.Style
}

// DataRange implements plot.DataRanger.
func (h *heatmap) DataRange() (xmin, xmax, ymin, ymax float64) {
	return -0.5, float64(len(h.spec.Values[0])) - 0.5, -0.5, float64(len(h.spec.Values)) - 0.5
}

// Plot implements plot.Plotter.
func (h *heatmap) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	nr := len(h.spec.Values)
	for i, row := range h.spec.Values {
		y := float64(nr - 1 - i)
		for j, v := range row {
			x := float64(j)
			x0, x1, y0, y1 := trX(x-0.5), trX(x+0.5), trY(y-0.5), trY(y+0.5)
			col := color.RGBA{0xbb, 0xbb, 0xbb, 0xff} // NaN
			if finite(v) {
				t := 0.0
				if h.hi > h.lo {
					t = (v - h.lo) / (h.hi - h.lo)
				}
				col = bluesAt(t)
			}
			c.FillPolygon(col, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
			if h.spec.Annotate {
				sty := h.style
				sty.Color = color.Black
				if v > h.hi/2 {
					sty.Color = color.White
				}
				c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, strconv.FormatFloat(v, 'f', h.spec.Decimals, 64))
			}
		}
	}
}

// plotSize is the canvas for p: 8×5 in, or for a heatmap one giving square
// cells of at least 0.2 in over 24 classes (0.3 in up to 24, 0.45 in up to
// 12) plus room for the labels, at least 6.25 in (600 px) wide: 37 pet
// breeds fit the notebook's column with labels still readable.
func plotSize(p *plot.Plot) (w, h vg.Length) {
	xt, okx := p.X.Tick.Marker.(labelTicks)
	yt, oky := p.Y.Tick.Marker.(labelTicks)
	if !okx || !oky || len(xt) == 0 || len(yt) == 0 {
		return plotWidth, plotHeight
	}
	cell := 0.45 * vg.Inch
	switch n := max(len(xt), len(yt)); {
	case n > 24:
		cell = 0.2 * vg.Inch
	case n > 12:
		cell = 0.3 * vg.Inch
	}
	// Room for the longest label (≈0.6 em per character) plus axis label,
	// title and margins.
	longest := func(ts labelTicks, size vg.Length) vg.Length {
		n := 0
		for _, t := range ts {
			n = max(n, len(t.Label))
		}
		return vg.Length(n) * size * 0.6
	}
	extraW := longest(yt, p.Y.Tick.Label.Font.Size) + 1*vg.Inch
	extraH := longest(xt, p.X.Tick.Label.Font.Size) + 1.2*vg.Inch
	w = max(vg.Length(len(xt))*cell+extraW, 6.25*vg.Inch)
	cell = (w - extraW) / vg.Length(len(xt))
	return w, vg.Length(len(yt))*cell + extraH
}
