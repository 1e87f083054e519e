package interp

import (
	"fmt"
	"image"
	"math"
	"strconv"

	"github.com/fastgo-ml/fastgo/display"
	"gonum.org/v1/plot"
)

// ConfusionMatrixOption changes PlotConfusionMatrix from fastai's defaults.
type ConfusionMatrixOption func(*cmOptions)

type cmOptions struct {
	normalize bool
	title     string
	normDec   int
	noValues  bool
}

// Normalize divides each row by its number of items, so cells are the
// fraction of each actual class predicted as each class (fastai's
// normalize=True; a class with no items gives a row of NaN).
func Normalize() ConfusionMatrixOption { return func(o *cmOptions) { o.normalize = true } }

// Title replaces the plot's title ("Confusion matrix").
func Title(title string) ConfusionMatrixOption { return func(o *cmOptions) { o.title = title } }

// NormDec sets the decimals written in normalized cells (2; fastai's norm_dec).
func NormDec(n int) ConfusionMatrixOption { return func(o *cmOptions) { o.normDec = n } }

// NoValues leaves the cells unannotated (fastai's plot_txt=False).
func NoValues() ConfusionMatrixOption { return func(o *cmOptions) { o.noValues = true } }

// ConfusionMatrixPlot draws the confusion matrix as fastai's
// plot_confusion_matrix does: "Blues" cells, actual classes down the side
// ("Actual"), predicted classes along the bottom rotated 90° ("Predicted"),
// each cell's value written in it.
func (ci *ClassificationInterpretation) ConfusionMatrixPlot(opts ...ConfusionMatrixOption) (*plot.Plot, error) {
	o := cmOptions{title: "Confusion matrix", normDec: 2}
	for _, f := range opts {
		f(&o)
	}
	m := ci.ConfusionMatrix()
	values := make([][]float64, len(m))
	for i, row := range m {
		values[i] = make([]float64, len(row))
		sum := 0
		for _, n := range row {
			sum += n
		}
		for j, n := range row {
			values[i][j] = float64(n)
			if o.normalize {
				values[i][j] = float64(n) / float64(sum) // 0/0 is NaN, as in numpy
			}
		}
	}
	dec := 0
	if o.normalize {
		dec = o.normDec
	}
	p, err := display.Heatmap(display.HeatmapSpec{
		Title: o.title, XLabel: "Predicted", YLabel: "Actual",
		RowLabels: ci.vocab, ColLabels: ci.vocab, Values: values,
		Annotate: !o.noValues, Decimals: dec,
	})
	if err != nil {
		return nil, fmt.Errorf("interp.ConfusionMatrixPlot: %w", err)
	}
	return p, nil
}

// PlotConfusionMatrix shows ConfusionMatrixPlot: inline in a notebook, or
// as confusion_matrix.png (confusion_matrix_normalized.png) under
// display.OutputDir() in a terminal, whose path it returns.
func (ci *ClassificationInterpretation) PlotConfusionMatrix(opts ...ConfusionMatrixOption) (string, error) {
	p, err := ci.ConfusionMatrixPlot(opts...)
	if err != nil {
		return "", err
	}
	o := cmOptions{}
	for _, f := range opts {
		f(&o)
	}
	name := "confusion_matrix"
	if o.normalize {
		name += "_normalized"
	}
	return display.ShowPlot(p, name)
}

// Table is the confusions as a display table (columns actual, predicted,
// count), for display.ShowTable.
func (cs Confusions) Table() display.Table {
	t := display.Table{Columns: []string{"actual", "predicted", "count"}}
	for _, c := range cs {
		t.Rows = append(t.Rows, []string{c.Actual, c.Predicted, strconv.Itoa(c.Count)})
	}
	return t
}

// ImageLoader returns the image of the item at a dataset index (e.g. the
// validation item decoded and resized as the learner saw it).
type ImageLoader func(index int) (image.Image, error)

// TopLossesTitle is the title fastai's plot_top_losses puts over its grid.
const TopLossesTitle = "Prediction/Actual/Loss/Probability"

// Title is the caption plot_top_losses gives the item:
// "{predicted}/{actual} / {loss:.2f} / {prob:.2f}", e.g.
// "Birman/Ragdoll / 4.20 / 0.97". As in fastai the probability is the
// predicted class's, not the actual one's (fastai issue #3591).
func (t TopLoss) Title() string {
	return fmt.Sprintf("%s/%s / %.2f / %.2f", t.Predicted, t.Actual, t.Loss, t.Prob)
}

// RenderTopLosses draws the k highest-loss items (TopLosses(k)) in a grid
// titled TopLossesTitle, each captioned with TopLoss.Title. The grid has
// ⌊√k⌋ rows, as fastai's get_grid lays it out. load is called with each
// item's dataset index.
func (ci *ClassificationInterpretation) RenderTopLosses(k int, load ImageLoader) (*image.RGBA, error) {
	if load == nil {
		return nil, fmt.Errorf("interp.RenderTopLosses: the image loader is nil; pass a function returning item i's image")
	}
	top := ci.TopLosses(k)
	if len(top) == 0 {
		return nil, fmt.Errorf("interp.RenderTopLosses: there are no items to show")
	}
	cells := make([]display.TitledImage, len(top))
	for i, t := range top {
		img, err := load(t.Index)
		if err != nil {
			if t.Item != "" {
				return nil, fmt.Errorf("interp.RenderTopLosses: item %d (%s): %w", t.Index, t.Item, err)
			}
			return nil, fmt.Errorf("interp.RenderTopLosses: item %d: %w", t.Index, err)
		}
		cells[i] = display.TitledImage{Image: img, Title: t.Title()}
	}
	n := len(cells)
	rows := max(int(math.Sqrt(float64(n))), 1)
	cols := (n + rows - 1) / rows
	grid, err := display.RenderGrid(cells, cols, TopLossesTitle)
	if err != nil {
		return nil, fmt.Errorf("interp.RenderTopLosses: %w", err)
	}
	return grid, nil
}

// PlotTopLosses is fastai's plot_top_losses(k): it shows RenderTopLosses'
// grid inline in a notebook, or as top_losses.png under display.OutputDir()
// in a terminal, whose path it returns.
func (ci *ClassificationInterpretation) PlotTopLosses(k int, load ImageLoader) (string, error) {
	grid, err := ci.RenderTopLosses(k, load)
	if err != nil {
		return "", err
	}
	return display.ShowImage(grid, "top_losses")
}
