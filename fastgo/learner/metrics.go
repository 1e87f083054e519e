package learner

// Metric is a validation metric computed per batch on the CPU from the
// predictions; the epoch table shows its batch-size-weighted mean over the
// validation set (fastai's AvgMetric). That mean is the metric over the
// whole set only for metrics that are means over items (accuracy, error
// rate); for F1, precision, recall or ROC AUC (fastai's AccumMetric,
// skm_to_fastai) it is not: compute those from GetPreds' probabilities
// and targets over the whole set after the fit.
type Metric struct {
	// Name is the column header, e.g. "error_rate".
	Name string
	// Fn returns the metric's mean over one batch: probs is row-major
	// [len(targets), nClasses].
	Fn func(probs []float32, nClasses int, targets []int) float64
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
