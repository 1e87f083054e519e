package learner

import (
	"fmt"
	"math"
)

// SchedCos is fastai's sched_cos: a half cosine from a (t=0) to b (t=1),
// a + (1 + cos(π(1−t)))·(b−a)/2.
func SchedCos(a, b, t float64) float64 {
	return a + (1+math.Cos(math.Pi*(1-t)))*(b-a)/2
}

// CombinedCos is fastai's combined_cos(pct, start, middle, end): a cosine
// from start to middle over the first pct of training, then a cosine from
// middle to end. It returns the schedule as a function of t ∈ [0,1].
func CombinedCos(pct, start, middle, end float64) func(t float64) float64 {
	return func(t float64) float64 {
		if t < pct {
			return SchedCos(start, middle, t/pct)
		}
		return SchedCos(middle, end, (t-pct)/(1-pct))
	}
}

// LR is what the fit methods take as a learning rate, like fastai's lr_max:
// a number (float64, float32 or int: the same rate for every parameter
// group; 0 means Learner.LR), a [Slice] (discriminative rates spread over
// the groups), or one rate per group ([]float64). The compiler refuses
// anything else.
type LR interface {
	float64 | float32 | int | SliceLR | []float64
}

// SliceLR is a learning-rate range spread over the parameter groups; make
// it with [Slice].
type SliceLR struct {
	// Start is 0 for Slice(hi).
	Start, Stop float64
}

// Slice is fastai's slice for learning rates. Slice(lo, hi) spreads the
// rates geometrically over the n groups (even_mults: lo·(hi/lo)^(i/(n−1)));
// Slice(hi) gives hi/10 to every group but the last, which gets hi.
// Slice(1e-6, 1e-4) over 3 groups is (1e-6, 1e-5, 1e-4).
func Slice(bounds ...float64) SliceLR {
	switch len(bounds) {
	case 1:
		return SliceLR{Stop: bounds[0]}
	case 2:
		return SliceLR{Start: bounds[0], Stop: bounds[1]}
	}
	// Invalid; GroupLRs reports it with the values.
	return SliceLR{Start: math.NaN(), Stop: math.NaN()}
}

// String prints the slice like Python: "slice(1e-06, 0.0001, None)".
func (s SliceLR) String() string {
	if s.Start == 0 {
		return fmt.Sprintf("slice(None, %g, None)", s.Stop)
	}
	return fmt.Sprintf("slice(%g, %g, None)", s.Start, s.Stop)
}

// GroupLRs expands a learning rate (a number, a [SliceLR] or one rate per
// group) into one rate per parameter group, as fastai's set_hyper does.
// Errors: a Slice with its bounds the wrong way round or the wrong count,
// a rate that is negative or not finite, rates for another number of groups.
func GroupLRs[R LR](lr R, nGroups int) ([]float64, error) {
	if nGroups < 1 {
		return nil, fmt.Errorf("learning rates for %d parameter groups: the model must have at least one group", nGroups)
	}
	out := make([]float64, nGroups)
	switch v := any(lr).(type) {
	case float64:
		for i := range out {
			out[i] = v
		}
	case float32:
		return GroupLRs(float64(v), nGroups)
	case int:
		return GroupLRs(float64(v), nGroups)
	case SliceLR:
		if math.IsNaN(v.Stop) {
			return nil, fmt.Errorf("learner.Slice takes one value (hi) or two (lo, hi)")
		}
		if v.Start == 0 {
			for i := range out {
				out[i] = v.Stop / 10
			}
			out[nGroups-1] = v.Stop
			break
		}
		if v.Start > v.Stop {
			return nil, fmt.Errorf("learner.Slice(%g, %g): the first (lowest) group's rate comes first: Slice(%g, %g)", v.Start, v.Stop, v.Stop, v.Start)
		}
		out = evenMults(v.Start, v.Stop, nGroups)
	case []float64:
		if len(v) != nGroups {
			return nil, fmt.Errorf("%d learning rates given for %d parameter groups: give one per group, a number or a learner.Slice", len(v), nGroups)
		}
		copy(out, v)
	}
	for _, v := range out {
		if !(v >= 0) || math.IsInf(v, 1) {
			return nil, fmt.Errorf("learning rate %g: give a finite number ≥ 0 (LRFind suggests one)", v)
		}
	}
	return out, nil
}

// evenMults is fastai's even_mults: n values from start to stop, evenly
// spaced on a log scale.
func evenMults(start, stop float64, n int) []float64 {
	if n == 1 {
		return []float64{stop}
	}
	out := make([]float64, n)
	step := math.Pow(stop/start, 1/float64(n-1))
	for i := range out {
		out[i] = start * math.Pow(step, float64(i))
	}
	return out
}
