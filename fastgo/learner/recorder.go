package learner

import (
	"fmt"
	"math"
	"time"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/fastgo/tensor"
)

// SmoothBeta is the smoothing of the recorded training loss (fastai's
// AvgSmoothLoss beta).
const SmoothBeta = 0.98

// Recorder is fastai's Recorder: what the last fit did, batch by batch and
// epoch by epoch. Every fit (and LRFind) starts a new history.
type Recorder struct {
	// MetricNames are the metric columns of Rows.
	MetricNames []string
	// Losses holds the smoothed training loss after each batch.
	Losses []float64
	// LRs holds the learning rate of the last parameter group per batch.
	LRs []float64
	// Moms holds the momentum (Adam β1) per batch.
	Moms []float64
	// Iters holds, per epoch, the number of training batches done at its
	// end (where PlotLoss draws the validation losses).
	Iters []int
	// Rows holds one entry per finished epoch.
	Rows []EpochRow
	// Finished is when the last epoch ended.
	Finished time.Time

	smoothVal   float64
	smoothCount int
}

// EpochRow is one line of the epoch table.
type EpochRow struct {
	Epoch int
	// TrainLoss is the smoothed training loss at the end of the epoch
	// (not an epoch mean).
	TrainLoss float64
	// ValidLoss is the mean per-item loss over the validation set (NaN
	// when Validated is false).
	ValidLoss float64
	// Metrics are the metrics' values over the validation set (a
	// batch-size-weighted mean, or an AccumMetric's value over every
	// prediction), in MetricNames order (NaN when Validated is false).
	Metrics []float64
	// Validated says whether ValidLoss and Metrics were computed: false
	// when validation was skipped or the validation set is empty. The
	// table shows "None" for what was not computed, and "nan" for a loss
	// that was computed and is not a number (a diverged fit), as fastai.
	Validated bool
	Time      time.Duration
}

// reset starts a new fit's history (fastai's before_fit).
func (r *Recorder) reset(metricNames []string) {
	*r = Recorder{MetricNames: append([]string(nil), metricNames...)}
}

// addBatch records one training batch and returns the smoothed loss:
// v ← β·v + (1−β)·loss, reported debiased as v/(1−β^k).
func (r *Recorder) addBatch(loss, lr, mom float64) float64 {
	r.smoothCount++
	r.smoothVal = SmoothBeta*r.smoothVal + (1-SmoothBeta)*loss
	s := r.SmoothLoss()
	r.Losses = append(r.Losses, s)
	r.LRs = append(r.LRs, lr)
	r.Moms = append(r.Moms, mom)
	return s
}

// SmoothLoss is the current debiased smoothed training loss (NaN before
// the first batch).
func (r *Recorder) SmoothLoss() float64 {
	if r.smoothCount == 0 {
		return math.NaN()
	}
	return r.smoothVal / (1 - math.Pow(SmoothBeta, float64(r.smoothCount)))
}

// Columns are the epoch table's headers: epoch, train_loss, valid_loss,
// the metric names, time.
func (r *Recorder) Columns() []string {
	cols := []string{"epoch", "train_loss", "valid_loss"}
	cols = append(cols, r.MetricNames...)
	return append(cols, "time")
}

// Cells formats an epoch row as fastai's ProgressCallback does: the epoch
// as an integer, floats with 6 decimals as Python prints them ("nan",
// "inf"), "None" for what was not computed, time as mm:ss (h:mm:ss from
// one hour).
func (row EpochRow) Cells() []string {
	valid := func(v float64) string {
		if !row.Validated {
			return "None"
		}
		return formatFloat(v)
	}
	cells := []string{fmt.Sprint(row.Epoch), formatFloat(row.TrainLoss), valid(row.ValidLoss)}
	for _, m := range row.Metrics {
		cells = append(cells, valid(m))
	}
	return append(cells, display.FormatDuration(row.Time.Seconds()))
}

// formatFloat is Python's f"{v:.6f}".
func formatFloat(v float64) string { return tensor.FormatFloat(v, 6) }
