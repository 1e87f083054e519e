package display

import (
	"fmt"

	"gonum.org/v1/plot"
)

// LivePlot is a figure redrawn in place as it changes — fastprogress's
// update_graph, which fastai's ShowGraphCallback uses to draw the losses
// after every epoch. In a notebook it is one output block whose PNG is
// replaced at each Update; in a terminal it is the file
// OutputDir()/name.png, rewritten at each Update, its path printed once.
// The zero value is not usable: make one with NewLivePlot.
type LivePlot struct {
	name    string
	id      string // the notebook output block
	printed bool   // the terminal path was printed
}

// NewLivePlot returns a live figure named name (the terminal file's base
// name). Nothing is shown until the first Update.
func NewLivePlot(name string) *LivePlot {
	lp := &LivePlot{name: name}
	if InNotebook() {
		lp.id = "fastgo-live-" + front.uniqueID()
	}
	return lp
}

// Update renders p (768×480 px) and shows it in place of the previous
// figure. It returns the terminal file's path ("" in a notebook) and an
// error when p cannot be drawn or the file cannot be written.
func (lp *LivePlot) Update(p *plot.Plot) (string, error) {
	data, err := renderPNG(p)
	if err != nil {
		return "", fmt.Errorf("display.LivePlot %q: %w", lp.name, err)
	}
	if lp.id != "" {
		front.send(pngBundle(data, lp.name), pngMetadata(data), lp.id)
		return "", nil
	}
	path, err := writeFile(lp.name, ".png", data)
	if err != nil {
		return "", err
	}
	if !lp.printed {
		lp.printed = true
		term.println(path + " (updated in place)")
	}
	return path, nil
}
