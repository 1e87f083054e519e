package learner

import (
	"fmt"
	"math"
)

// ScoreOption tunes F1Score, Precision and Recall (sklearn's keyword
// arguments, which fastai passes on): an [Average] or a [PosLabel].
type ScoreOption interface{ applyScore(*scoreConfig) }

// Average says how per-class scores become one number, sklearn's
// average= ("binary" by default, as in fastai's F1Score):
//   - Binary: the score of the positive class alone (PosLabel, 1); for 2
//     classes only;
//   - Macro: the unweighted mean over the classes;
//   - Micro: counted over all items at once (for single-label
//     classification, micro precision, recall and F1 all equal accuracy);
//   - Weighted: the mean over the classes weighted by their number of
//     targets (support).
//
// Macro and Weighted average over the classes that occur among the
// targets or the predictions, as sklearn does with labels=None: a class
// absent from both counts for nothing.
type Average string

// The averages sklearn (and so fastai) accepts for a single-label
// classifier.
const (
	Binary   Average = "binary"
	Macro    Average = "macro"
	Micro    Average = "micro"
	Weighted Average = "weighted"
)

func (a Average) applyScore(c *scoreConfig) { c.average = a }

// PosLabel is the class index whose score Binary reports (sklearn's
// pos_label, 1 by default); the other averages ignore it.
type PosLabel int

func (p PosLabel) applyScore(c *scoreConfig) { c.posLabel = int(p) }

type scoreConfig struct {
	average  Average
	posLabel int
}

// F1Score is fastai's F1Score (sklearn's f1_score through skm_to_fastai):
// the harmonic mean of precision and recall of the predicted classes
// (argmax of the probabilities), 2·TP/(2·TP+FP+FN), computed over the
// whole validation set (an [AccumMetric]). Its column is "f1_score";
// set Name to show two averages side by side. Options: an [Average]
// (Binary by default: give Macro, Micro or Weighted for more than 2
// classes, as fastai's F1Score(average='macro')) and [PosLabel]. A class
// with no predictions and no targets scores 0 (sklearn's zero_division).
//
// Errors, from learner.New (learner.Metrics) or before a fit's first
// batch: an unknown Average; Binary for a learner of more than 2 classes;
// with Binary, a PosLabel outside the vocabulary (the other averages
// ignore PosLabel).
func F1Score(opts ...ScoreOption) Metric {
	return score("f1_score", func(tp, pred, truth float64) (float64, float64) { return 2 * tp, pred + truth }, opts)
}

// Precision is fastai's Precision (sklearn's precision_score): TP/(TP+FP)
// of the predicted classes over the whole validation set, column
// "precision_score"; 0 for a class never predicted. Options and errors as
// F1Score's.
func Precision(opts ...ScoreOption) Metric {
	return score("precision_score", func(tp, pred, _ float64) (float64, float64) { return tp, pred }, opts)
}

// Recall is fastai's Recall (sklearn's recall_score): TP/(TP+FN) of the
// predicted classes over the whole validation set, column
// "recall_score"; 0 for a class with no targets. Options and errors as
// F1Score's.
func Recall(opts ...ScoreOption) Metric {
	return score("recall_score", func(tp, _, truth float64) (float64, float64) { return tp, truth }, opts)
}

// ratio gives a score's numerator and denominator from a class's true
// positives, number of predictions and number of targets.
type ratio func(tp, pred, truth float64) (num, den float64)

// score builds an accumulating metric from a per-class ratio.
func score(name string, r ratio, opts []ScoreOption) Metric {
	cfg := scoreConfig{average: Binary, posLabel: 1}
	for _, o := range opts {
		if o != nil {
			o.applyScore(&cfg)
		}
	}
	m := AccumMetric(name, func(probs []float32, nClasses int, targets []int) float64 {
		return averaged(r, cfg, probs, nClasses, targets)
	})
	m.check = func(nClasses int) error { return cfg.check(nClasses) }
	return m
}

func (c scoreConfig) check(nClasses int) error {
	switch c.average {
	case Binary:
		if nClasses > 2 {
			return fmt.Errorf("average %q needs 2 classes and the vocabulary has %d: give learner.Macro, learner.Micro or learner.Weighted (fastai's average='macro')", c.average, nClasses)
		}
		if c.posLabel < 0 || (nClasses > 0 && c.posLabel >= nClasses) {
			return fmt.Errorf("PosLabel(%d) is not a class index: give one in [0, %d)", c.posLabel, max(nClasses, 2))
		}
	case Macro, Micro, Weighted:
	default:
		return fmt.Errorf("average %q: give one of %q, %q, %q or %q (sklearn's average=)", c.average, Binary, Macro, Micro, Weighted)
	}
	return nil
}

// averaged is sklearn's precision_recall_fscore_support followed by the
// average: per-class counts of the argmax predictions, one ratio per
// class, then the average cfg asks for. NaN when there are no items.
func averaged(r ratio, cfg scoreConfig, probs []float32, nClasses int, targets []int) float64 {
	if len(targets) == 0 || nClasses < 1 {
		return math.NaN()
	}
	tp, pred, truth := make([]float64, nClasses), make([]float64, nClasses), make([]float64, nClasses)
	for i, t := range targets {
		p := Argmax(probs[i*nClasses : (i+1)*nClasses])
		pred[p]++
		if t >= 0 && t < nClasses {
			truth[t]++
			if p == t {
				tp[t]++
			}
		}
	}
	of := func(tp, pred, truth float64) float64 {
		num, den := r(tp, pred, truth)
		if den == 0 {
			return 0 // sklearn's zero_division
		}
		return num / den
	}
	switch cfg.average {
	case Binary:
		if k := cfg.posLabel; k >= 0 && k < nClasses {
			return of(tp[k], pred[k], truth[k])
		}
		return 0 // sklearn: a positive class that occurs nowhere scores 0
	case Micro:
		var sumTP, sumPred, sumTruth float64
		for k := range nClasses {
			sumTP, sumPred, sumTruth = sumTP+tp[k], sumPred+pred[k], sumTruth+truth[k]
		}
		return of(sumTP, sumPred, sumTruth)
	case Macro, Weighted:
		var sum, weights float64
		for k := range nClasses {
			if pred[k] == 0 && truth[k] == 0 {
				continue // absent from targets and predictions: not a label
			}
			w := 1.0
			if cfg.average == Weighted {
				w = truth[k]
			}
			sum += w * of(tp[k], pred[k], truth[k])
			weights += w
		}
		if weights == 0 {
			return 0
		}
		return sum / weights
	}
	return math.NaN() // an unknown average: refused before any fit
}
