package learner

import (
	"errors"
	"fmt"
	"strings"
)

// Metric is a validation metric computed on the CPU from the predictions
// and shown as one column of the epoch table.
//
// By default (fastai's AvgMetric) Fn is called once per validation batch
// and the table shows the batch-size-weighted mean of its values. That is
// right only for a metric that is a mean over items (accuracy, error
// rate): for one that is not — F1, precision, recall, ROC AUC, anything
// counted over the whole set — the mean of per-batch values differs from
// the value over the set. Build those with [AccumMetric] (or use
// [F1Score], [Precision], [Recall]), which calls Fn once on every
// prediction of the validation pass.
type Metric struct {
	// Name is the column header, e.g. "error_rate".
	Name string
	// Fn returns the metric over the rows it is given: probs is the
	// softmax activations, float32 row-major [len(targets), nClasses];
	// targets are class indices in [0, nClasses). Per batch, or over the
	// whole validation set when Accumulate is set.
	Fn func(probs []float32, nClasses int, targets []int) float64
	// Accumulate has the validation pass gather every batch's
	// probabilities and targets, in dataset order, and call Fn once on all
	// of them (fastai's AccumMetric). Set by AccumMetric.
	Accumulate bool

	// check refuses the metric for a learner of nClasses classes (0: not
	// known yet), before any training: a bad option, or F1Score's binary
	// average on more than 2 classes.
	check func(nClasses int) error
}

// AccumMetric is fastai's AccumMetric: a metric whose Fn is computed once
// over the whole validation set — probs float32 row-major [N, nClasses],
// targets [N], N the validation set's size — rather than averaged over
// batches. Use it for every metric that is not a mean over items (F1,
// precision, recall, ROC AUC, a confusion-matrix statistic). Fn receives
// the softmax activations (fastai's activation=softmax); [Argmax] of a
// row is the predicted class (dim_argmax=-1). The same Fn applied to
// [Learner.GetPreds]' Probs, NumClasses and Targets gives the table's
// value.
//
// Errors (from learner.New, or before a fit's first batch when the metric
// is set on Learner.Metrics directly): an empty name, a name another
// metric has, a nil fn.
func AccumMetric(name string, fn func(probs []float32, nClasses int, targets []int) float64) Metric {
	return Metric{Name: name, Fn: fn, Accumulate: true}
}

// checkMetrics refuses, before any training, a metric that cannot be
// computed for this learner's classes.
func (l *Learner) checkMetrics() error {
	for i, m := range l.Metrics {
		if err := checkMetric(m, l.Metrics[:i], l.NumClasses()); err != nil {
			return err
		}
	}
	return nil
}

// checkMetric refuses m as a column of the epoch table beside the metrics
// have, for a learner of nClasses classes (0: not known yet): no name, a
// name one of have has, no function, or a setting its check refuses.
func checkMetric(m Metric, have []Metric, nClasses int) error {
	name := strings.TrimSpace(m.Name)
	if name == "" {
		return errors.New("a metric has no name: give it one (it heads its column of the epoch table), e.g. AccumMetric(\"f1_macro\", fn)")
	}
	for _, h := range have {
		if strings.TrimSpace(h.Name) == name {
			return fmt.Errorf("metric %q is given twice (each metric is one column of the epoch table)", name)
		}
	}
	if m.Fn == nil {
		return fmt.Errorf("metric %q has no function", m.Name)
	}
	if m.check != nil {
		if err := m.check(nClasses); err != nil {
			return fmt.Errorf("metric %q: %w", m.Name, err)
		}
	}
	return nil
}

// Accuracy is the fraction of items whose most probable class is the
// target.
var Accuracy = Metric{Name: "accuracy", Fn: accuracy}

// ErrorRate is 1 − Accuracy.
var ErrorRate = Metric{Name: "error_rate", Fn: func(p []float32, c int, t []int) float64 {
	return 1 - accuracy(p, c, t)
}}

func accuracy(probs []float32, nClasses int, targets []int) float64 {
	if len(targets) == 0 {
		return 0
	}
	correct := 0
	for i, t := range targets {
		if Argmax(probs[i*nClasses:(i+1)*nClasses]) == t {
			correct++
		}
	}
	return float64(correct) / float64(len(targets))
}

// Argmax returns the index of the first largest value (torch's argmax on
// ties): the predicted class of a row of probabilities.
func Argmax(row []float32) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}
