package learner

import (
	"fmt"
	"math"
	"reflect"
	"slices"
)

// Schedule is a hyper-parameter's value as a function of pos, the
// fraction of the fit's training batches done (fastai's pct_train: 0 at
// the first batch, (n−1)/n at the last): fastai's schedule functions, made
// by SchedLin, SchedCos, SchedNo, SchedExp, SchedPoly, CombineScheds and
// CombinedCos, and driven by [ParamScheduler].
type Schedule func(pos float64) float64

// SchedLin is fastai's SchedLin(start, end): linear from start (pos 0) to
// end (pos 1), start + pos·(end−start).
func SchedLin(start, end float64) Schedule {
	return func(pos float64) float64 { return start + pos*(end-start) }
}

// SchedCos is fastai's SchedCos(start, end): a half cosine from start
// (pos 0) to end (pos 1), start + (1 + cos(π(1−pos)))·(end−start)/2.
func SchedCos(start, end float64) Schedule {
	return func(pos float64) float64 { return start + (1+math.Cos(math.Pi*(1-pos)))*(end-start)/2 }
}

// SchedNo is fastai's SchedNo(start, end): start at every pos (end is
// ignored, as in fastai).
func SchedNo(start, end float64) Schedule {
	return func(float64) float64 { return start }
}

// SchedExp is fastai's SchedExp(start, end): geometric from start to end,
// start·(end/start)^pos (the LR finder's schedule). start and end must
// have the same sign and start must not be 0, or the values are NaN or
// infinite, as in fastai.
func SchedExp(start, end float64) Schedule {
	return func(pos float64) float64 { return start * math.Pow(end/start, pos) }
}

// SchedPoly is fastai's SchedPoly(start, end, power): start +
// (end−start)·pos^power.
func SchedPoly(start, end, power float64) Schedule {
	return func(pos float64) float64 { return start + (end-start)*math.Pow(pos, power) }
}

// CombineScheds is fastai's combine_scheds(pcts, scheds): scheds[0] over
// the first pcts[0] of training, scheds[1] over the next pcts[1], and so
// on, each run from its own pos 0 to 1. The last schedule also covers pos
// ≥ 1. Errors: pcts and scheds of different lengths or empty, a nil
// schedule, a negative or non-finite pct, pcts not summing to 1 (within
// 1e-9: fastai asks for an exact float sum, so that [0.1]·10 fails there
// and not here). A zero-width part is never entered; at its boundary
// fastai divides 0 by 0 (NaN), fastgo takes its end value.
//
//	f, err := learner.CombineScheds([]float64{0.3, 0.7},
//		[]learner.Schedule{learner.SchedCos(0.3, 0.6), learner.SchedCos(0.6, 0.2)})
func CombineScheds(pcts []float64, scheds []Schedule) (Schedule, error) {
	if len(pcts) == 0 || len(pcts) != len(scheds) {
		return nil, fmt.Errorf("CombineScheds: %d fractions for %d schedules: give one fraction of training per schedule", len(pcts), len(scheds))
	}
	sum := 0.0
	for i, p := range pcts {
		if !(p >= 0) || math.IsInf(p, 1) {
			return nil, fmt.Errorf("CombineScheds: fraction %d is %g: give fractions ≥ 0 that sum to 1", i, p)
		}
		if scheds[i] == nil {
			return nil, fmt.Errorf("CombineScheds: schedule %d is nil", i)
		}
		sum += p
	}
	if math.Abs(sum-1) > 1e-9 {
		return nil, fmt.Errorf("CombineScheds: the fractions %v sum to %g, not 1", pcts, sum)
	}
	return combine(slices.Clone(pcts), slices.Clone(scheds)), nil
}

// combine is combine_scheds without the checks: cumulative bounds
// 0, p0, p0+p1, …; pos runs the last part whose start it has reached.
func combine(pcts []float64, scheds []Schedule) Schedule {
	bounds := make([]float64, len(pcts)+1)
	for i, p := range pcts {
		bounds[i+1] = bounds[i] + p
	}
	return func(pos float64) float64 {
		idx := 0
		for i := len(pcts) - 1; i > 0; i-- {
			if pos >= bounds[i] {
				idx = i
				break
			}
		}
		width := bounds[idx+1] - bounds[idx]
		if width == 0 {
			return scheds[idx](1)
		}
		return scheds[idx]((pos - bounds[idx]) / width)
	}
}

// CombinedCos is fastai's combined_cos(pct, start, middle, end): a cosine
// from start to middle over the first pct of training, then a cosine from
// middle to end (the one-cycle policy's shape); combine_scheds([pct,
// 1−pct], [SchedCos(start, middle), SchedCos(middle, end)]). pct must be
// in [0, 1] (FitOneCycle's PctStart checks it). fastai computes a part's
// position in float32 (combine_scheds keeps the bounds in a torch tensor);
// fastgo in float64, so values agree to float32's precision.
func CombinedCos(pct, start, middle, end float64) Schedule {
	return combine([]float64{pct, 1 - pct}, []Schedule{SchedCos(start, middle), SchedCos(middle, end)})
}

// LR is what the fit methods take as a learning rate, like fastai's lr and
// lr_max: a number (float64, float32 or int, or a type of yours defined on
// one, such as type rate float64: the same rate for every parameter group;
// 0 means Learner.LR), a [Slice] (discriminative rates spread over the
// groups), or a list ([]float64 or a type on it: one rate per group, first
// group first, as fastai's lr=[1e-3, 1e-2]; a list of one is every
// group's, as in fastai's set_hyper). The compiler refuses anything else.
type LR interface {
	~float64 | ~float32 | ~int | SliceLR | ~[]float64
}

// lrValue is a learning rate of any LR type read as a number (isNumber),
// a Slice or a list.
type lrValue struct {
	number   float64
	isNumber bool
	slice    *SliceLR
	list     []float64
}

// readLR reads lr whatever its LR type (a type defined on float64 is not
// float64 to a type switch, hence reflect).
func readLR[R LR](lr R) lrValue {
	if s, ok := any(lr).(SliceLR); ok {
		return lrValue{slice: &s}
	}
	v := reflect.ValueOf(lr)
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		return lrValue{number: v.Float(), isNumber: true}
	case reflect.Int:
		return lrValue{number: float64(v.Int()), isNumber: true}
	}
	return lrValue{list: v.Convert(reflect.TypeFor[[]float64]()).Interface().([]float64)}
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

// GroupLRs expands a learning rate (a number, a [SliceLR] or a list) into
// one rate per parameter group, as fastai's set_hyper does. Errors: a
// Slice with its bounds the wrong way round or the wrong count, a rate
// that is negative or not finite, a list of neither one rate nor one per
// group (fastai's "Trying to set 2 values for lr but there are 3
// parameter groups").
func GroupLRs[R LR](lr R, nGroups int) ([]float64, error) {
	if nGroups < 1 {
		return nil, fmt.Errorf("learning rates for %d parameter groups: the model must have at least one group", nGroups)
	}
	out := make([]float64, nGroups)
	switch r := readLR(lr); {
	case r.isNumber:
		for i := range out {
			out[i] = r.number
		}
	case r.slice != nil:
		v := *r.slice
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
	default:
		v := r.list
		switch len(v) {
		case 1: // fastai's set_hyper: a list of one is every group's
			for i := range out {
				out[i] = v[0]
			}
		case nGroups:
			copy(out, v)
		default:
			return nil, fmt.Errorf("%d learning rates given for %d parameter groups: give one per group (or one for all), a number or a learner.Slice", len(v), nGroups)
		}
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
