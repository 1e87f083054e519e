package learner

import (
	"fmt"
	"math"
	"slices"
)

// The learning-rate finder's suggestions (fastai's `minimum`, `steep`,
// `valley` and `slide` in fastai/callback/schedule.py). Each takes the
// recorded learning rates and smoothed losses after TrimForSuggestions and
// returns the suggested learning rate and the index of the point the
// suggestion is drawn at on the LR plot (for minimum that point is the
// minimum itself, whose learning rate is ten times the suggestion). They
// return an error, never panic, when the series are empty, of different
// lengths, or too short for the rule.

// TrimForSuggestions is what fastai's lr_find does to the recorded series
// before suggesting: drop the first numIt/10 points and the last 5 (Python's
// `lrs[num_it//10:-5]`, empty when too few were recorded), then cut both at
// the first NaN loss. numIt is the number of iterations asked of the finder
// (100 by default), not the number recorded (the finder may stop early). If
// the two series differ in length, the longer is cut to the shorter first.
// The results are copies.
func TrimForSuggestions(lrs, losses []float64, numIt int) (trimmedLRs, trimmedLosses []float64) {
	n := min(len(lrs), len(losses))
	start, end := max(numIt/10, 0), n-5
	if end <= start {
		return []float64{}, []float64{}
	}
	lrs, losses = lrs[start:end], losses[start:end]
	if i := slices.IndexFunc(losses, math.IsNaN); i >= 0 {
		lrs, losses = lrs[:i], losses[:i]
	}
	return slices.Clone(lrs), slices.Clone(losses)
}

// SuggestMinimum is fastai's `minimum`: one tenth of the learning rate at
// the lowest loss (the book's "Minimum/10"). idx is the lowest loss's index
// (the first one on ties).
// Errors: lrs and losses of different lengths, or too few points.
func SuggestMinimum(lrs, losses []float64) (lr float64, idx int, err error) {
	if err := checkSeries("SuggestMinimum", lrs, losses, 1); err != nil {
		return 0, 0, err
	}
	idx = argmin(losses)
	return lrs[idx] / 10, idx, nil
}

// SuggestSteep is fastai's `steep` (the book's "steepest point"): the
// learning rate where the loss falls fastest against log(lr), i.e. lrs[i]
// for the most negative (losses[i+1]-losses[i]) / (ln lrs[i+1] - ln lrs[i])
// (the first one on ties). Learning rates must be positive.
// Errors: lrs and losses of different lengths, or too few points or a learning rate ≤ 0.
func SuggestSteep(lrs, losses []float64) (lr float64, idx int, err error) {
	if err := checkSeries("SuggestSteep", lrs, losses, 2); err != nil {
		return 0, 0, err
	}
	if i := slices.IndexFunc(lrs, func(v float64) bool { return !(v > 0) }); i >= 0 {
		return 0, 0, fmt.Errorf("SuggestSteep: learning rate %d is %g; slopes are taken against log(lr), so every learning rate must be positive", i, lrs[i])
	}
	slopes := make([]float64, len(lrs)-1)
	for i := range slopes {
		slopes[i] = (losses[i+1] - losses[i]) / (math.Log(lrs[i+1]) - math.Log(lrs[i]))
	}
	idx = argmin(slopes)
	return lrs[idx], idx, nil
}

// SuggestValley is fastai's `valley` (by ESRI), the default suggestion of
// current fastai: it finds the longest decreasing subsequence of the losses
// (lds[i] = 1 + the largest lds[j] over j < i with losses[i] < losses[j]),
// takes end = the index with the largest lds and start = end - lds[end] (one
// before the first point of the run, as fastai computes it), and suggests
// lrs[start + int(sec) + int(sec/2)] with sec = (end-start)/3: a point about
// halfway into the run. As in fastai, a start of -1 can give index -1, which
// is Python's last element; this port does the same.
// Errors: lrs and losses of different lengths, or too few points.
func SuggestValley(lrs, losses []float64) (lr float64, idx int, err error) {
	if err := checkSeries("SuggestValley", lrs, losses, 1); err != nil {
		return 0, 0, err
	}
	n := len(losses)
	lds := make([]int, n)
	for i := range lds {
		lds[i] = 1
	}
	start, end := 0, 0
	for i := 1; i < n; i++ {
		for j := range i {
			if losses[i] < losses[j] && lds[i] < lds[j]+1 {
				lds[i] = lds[j] + 1
			}
			// fastai updates the best run inside the inner loop; the result
			// is the same as after it, since lds[i] can only pass the best
			// so far by one.
			if lds[end] < lds[i] {
				end = i
				start = end - lds[end]
			}
		}
	}
	sec := float64(end-start) / 3
	idx = start + int(sec) + int(sec/2)
	if idx < 0 { // Python's negative index
		idx += n
	}
	return lrs[idx], idx, nil
}

// Default parameters of fastai's `slide`.
const (
	SlideLRDiff      = 15    // window width, in points
	SlideThresh      = 0.005 // gradient difference that counts as flat
	SlideAdjustValue = 1.0   // the suggestion is multiplied by this
)

// SuggestSlide is fastai's `slide` (by Novetta) with its defaults:
// SlideSuggester(SlideLRDiff, SlideThresh, SlideAdjustValue).
// Errors: lrs and losses of different lengths, or too few points.
func SuggestSlide(lrs, losses []float64) (lr float64, idx int, err error) {
	return SlideSuggester(SlideLRDiff, SlideThresh, SlideAdjustValue)(lrs, losses)
}

// SlideSuggester is fastai's `slide` with its parameters set (Python's
// `partial(slide, lr_diff=…)`): take the gradient of the losses (central
// differences inside, one-sided at the ends, like numpy.gradient); put a
// window's right end r on the last point and its left end l lrDiff points
// before; while l is in range and |grad[r] - grad[l]| > thresh, remember
// lrs[l] and move the window one point left. The suggestion is the last
// remembered lrs[l] (lrs[n-1-lrDiff] if the window never moved) times
// adjustValue, and idx is that l. The series need more than lrDiff points.
func SlideSuggester(lrDiff int, thresh, adjustValue float64) func(lrs, losses []float64) (lr float64, idx int, err error) {
	return func(lrs, losses []float64) (float64, int, error) {
		if lrDiff < 1 {
			return 0, 0, fmt.Errorf("SuggestSlide: lrDiff is %d; the window must be at least 1 point wide (fastai uses 15)", lrDiff)
		}
		if err := checkSeries("SuggestSlide", lrs, losses, lrDiff+1); err != nil {
			return 0, 0, err
		}
		grad := gradient(losses)
		r := len(losses) - 1
		l := r - lrDiff
		idx := l
		for l >= 0 && math.Abs(grad[r]-grad[l]) > thresh {
			idx = l
			r--
			l--
		}
		return lrs[idx] * adjustValue, idx, nil
	}
}

// gradient is numpy.gradient with unit spacing (len(y) ≥ 2).
func gradient(y []float64) []float64 {
	n := len(y)
	g := make([]float64, n)
	g[0] = y[1] - y[0]
	g[n-1] = y[n-1] - y[n-2]
	for i := 1; i < n-1; i++ {
		g[i] = (y[i+1] - y[i-1]) / 2
	}
	return g
}

func checkSeries(op string, lrs, losses []float64, minLen int) error {
	if len(lrs) != len(losses) {
		return fmt.Errorf("%s: %d learning rates but %d losses; pass the two series recorded together (see TrimForSuggestions)", op, len(lrs), len(losses))
	}
	if len(losses) < minLen {
		return fmt.Errorf("%s: needs at least %d points, got %d; run the LR finder for more iterations (the first num_it/10 and last 5 are dropped)", op, minLen, len(losses))
	}
	return nil
}

// argmin is the first index of the smallest value, like torch.argmin.
func argmin(v []float64) int {
	best := 0
	for i, x := range v {
		if x < v[best] {
			best = i
		}
	}
	return best
}
