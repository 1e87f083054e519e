package learner

import (
	"fmt"
	"math"

	"github.com/fastgo-ml/fastgo/display"
	"gonum.org/v1/plot"
)

// All presentation calls of the package live in this file.

// fitView is the live display of one fit: fastai's master bar with the
// epoch table and an inner bar per training/validation pass. A quiet view
// shows nothing.
type fitView struct {
	mb    *display.MasterBar
	table bool
}

func (l *Learner) newFitView(nEpoch int, columns []string, show bool) *fitView {
	if !show {
		return &fitView{}
	}
	if l.ownOut {
		return &fitView{mb: display.NewMasterBarTo(l.out, nEpoch, columns), table: len(columns) > 0}
	}
	return &fitView{mb: display.NewMasterBar(nEpoch, columns), table: len(columns) > 0}
}

// bar is an inner progress bar (nil-safe for quiet views).
type bar struct{ pb *display.ProgressBar }

func (v *fitView) child(total int) bar {
	if v.mb == nil {
		return bar{}
	}
	return bar{v.mb.NewChild(total)}
}

func (b bar) update(done int, comment string) {
	if b.pb != nil {
		b.pb.Update(done, comment)
	}
}

func (b bar) done() {
	if b.pb != nil {
		b.pb.Done()
	}
}

// row appends an epoch row and advances the outer bar.
func (v *fitView) row(epochsDone int, cells []string) {
	if v.mb == nil {
		return
	}
	if v.table {
		v.mb.Append(cells)
	}
	v.mb.Update(epochsDone)
}

func (v *fitView) done() {
	if v.mb != nil {
		v.mb.Done()
	}
}

// showLRFind plots the LRFind curve (log x, the last 5 points dropped, as
// fastai's plot_lr_find) with the chosen suggestions marked, and prints
// them.
func (l *Learner) showLRFind(r *LRFindResult) {
	n := max(len(r.LRs)-5, 0)
	if n < 2 {
		l.Logf("LRFind: no plot: it stopped after %d points, the plot leaves out the last 5 (the loss diverged at once: start lower, StartLR)", len(r.LRs))
		l.Logf("%s", r)
		return
	}
	spec := display.LinePlotSpec{XLabel: "Learning Rate", YLabel: "Loss", LogX: true,
		Series: []display.Series{{X: r.LRs[:n], Y: r.Losses[:n]}}}
	for _, name := range r.Shown {
		x := r.suggestion(name)
		if name == "minimum" {
			x *= 10 // drawn at the minimum itself
		}
		if y, ok := lossAt(r, x); ok {
			spec.Marks = append(spec.Marks, display.Mark{Label: name, X: x, Y: y})
		}
	}
	p, err := display.LinePlot(spec)
	if err == nil {
		_, err = display.ShowPlot(p, "lr_find")
	}
	if err != nil {
		l.Logf("LRFind: cannot draw the plot: %v", err)
	}
	l.Logf("%s", r)
}

// lossAt is the recorded loss at the recorded rate nearest to lr.
func lossAt(r *LRFindResult, lr float64) (float64, bool) {
	if math.IsNaN(lr) {
		return 0, false
	}
	best, ok := 0, false
	for i, x := range r.LRs {
		if !ok || math.Abs(x-lr) < math.Abs(r.LRs[best]-lr) {
			best, ok = i, true
		}
	}
	if !ok {
		return 0, false
	}
	return r.Losses[best], true
}

// PlotLoss shows the last fit's smoothed training loss per batch and the
// validation loss at the end of each epoch (fastai's plot_loss, skipping
// the first 5 batches): in a notebook as an image, in a terminal as a PNG
// file in display.OutputDir. Errors: nothing recorded yet (no fit ran);
// the figure cannot be drawn or its file written (display's error, naming
// the folder).
func (r *Recorder) PlotLoss() error {
	// As fastai's plot_loss(skip_start=5): the first batches are noise.
	p, err := r.lossPlot(5)
	if err != nil {
		return err
	}
	_, err = display.ShowPlot(p, "loss")
	return err
}

// lossPlot draws the smoothed training loss per batch from batch
// skipStart on and the validation loss at the end of each epoch.
func (r *Recorder) lossPlot(skipStart int) (*plot.Plot, error) {
	if len(r.Losses) == 0 {
		return nil, fmt.Errorf("PlotLoss: nothing recorded yet: fit first")
	}
	start := min(skipStart, len(r.Losses)-1)
	xs := make([]float64, len(r.Losses)-start)
	for i := range xs {
		xs[i] = float64(start + i)
	}
	series := []display.Series{{Label: "train", X: xs, Y: r.Losses[start:]}}
	var vx, vy []float64
	for i, row := range r.Rows {
		if i < len(r.Iters) && r.Iters[i] >= start && !math.IsNaN(row.ValidLoss) {
			vx = append(vx, float64(r.Iters[i]))
			vy = append(vy, row.ValidLoss)
		}
	}
	if len(vx) > 0 {
		series = append(series, display.Series{Label: "valid", X: vx, Y: vy})
	}
	return display.LinePlot(display.LinePlotSpec{Series: series})
}
