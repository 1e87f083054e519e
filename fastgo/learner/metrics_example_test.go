package learner_test

import (
	"fmt"

	"github.com/fastgo-ml/fastgo/fastgo/learner"
)

// F1, precision and recall are computed once over the whole validation
// set, as fastai's F1Score(average='macro'): give them to learner.Metrics
// and the epoch table shows f1_score. Here on six fixed predictions of
// three classes (probabilities, rows sum to 1), the values sklearn's
// f1_score, precision_score and recall_score give.
func ExampleF1Score() {
	probs := []float32{
		0.8, 0.1, 0.1, // predicted 0
		0.6, 0.3, 0.1, // 0
		0.2, 0.7, 0.1, // 1
		0.1, 0.2, 0.7, // 2
		0.3, 0.6, 0.1, // 1
		0.1, 0.1, 0.8, // 2
	}
	targets := []int{0, 1, 1, 2, 2, 2}
	for _, m := range []learner.Metric{
		learner.F1Score(learner.Macro), learner.F1Score(learner.Weighted),
		learner.Precision(learner.Macro), learner.Recall(learner.Macro),
	} {
		fmt.Printf("%s: %.4f\n", m.Name, m.Fn(probs, 3, targets))
	}
	// In a learner: learner.Metrics(learner.F1Score(learner.Macro), learner.ErrorRate).

	// Output:
	// f1_score: 0.6556
	// f1_score: 0.6778
	// precision_score: 0.6667
	// recall_score: 0.7222
}

// A metric of your own that is not a mean over items — here the
// balanced accuracy, the mean of the per-class recalls — is an
// AccumMetric: its function sees every validation prediction at once.
func ExampleAccumMetric() {
	balanced := learner.AccumMetric("balanced_accuracy", func(probs []float32, nClasses int, targets []int) float64 {
		hit, n := make([]float64, nClasses), make([]float64, nClasses)
		for i, t := range targets {
			n[t]++
			if learner.Argmax(probs[i*nClasses:(i+1)*nClasses]) == t {
				hit[t]++
			}
		}
		sum, classes := 0.0, 0.0
		for k := range nClasses {
			if n[k] > 0 {
				sum, classes = sum+hit[k]/n[k], classes+1
			}
		}
		return sum / classes
	})
	probs := []float32{0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.4, 0.6}
	fmt.Printf("%s: %.3f\n", balanced.Name, balanced.Fn(probs, 2, []int{0, 0, 1, 1}))
	// Output: balanced_accuracy: 0.750
}
