package learner

import (
	"fmt"
	"math"
	"slices"
)

// ParamScheduler is fastai's ParamScheduler callback: it drives
// hyper-parameters with schedules. Before every training batch it sets
// each scheduled hyper-parameter to its schedule's value at pos =
// (training batches done)/(NEpoch·NIter) — fastai's pct_train, the
// position FitOneCycle's schedules use — and after the batch it records
// the value the last parameter group trained with (fastai's hps, which
// fastai also copies to recorder.hps). Validation batches are left alone
// (fastai's run_valid=False).
//
// The hyper-parameters are the ones fastgo's optimizers take per step:
// "lr" (multiplied by FitState.LRFactor, as every scheduled rate is, so
// ReduceLROnPlateau still works), "mom" (Adam's β1, SGD's momentum) and
// "wd" (the decoupled weight decay). Adam's sqr_mom and eps are compiled
// into the training step (Adam{SqrMom, Eps}) and cannot be scheduled.
//
// A ParamScheduler replaces, for the hyper-parameters it names, what the
// fit would use: Fit's constant rate, FitOneCycle's schedule. It keeps the
// values of the last fit in Hps; do not share one between fits that run at
// the same time.
//
//	sched, err := learner.NewParamScheduler(map[string][]learner.Schedule{
//		"lr": {learner.SchedLin(1e-3, 1e-2)},
//	})
//	err = learn.Fit(1, 0, learner.WithCallbacks(sched))
type ParamScheduler struct {
	scheds map[string][]Schedule
	names  []string // sorted: the order values are set and errors found
	// Hps holds, for each scheduled hyper-parameter, its value in the last
	// parameter group at every training batch of the last fit (fastai's
	// ParamScheduler.hps and recorder.hps).
	Hps map[string][]float64
}

// NewParamScheduler is fastai's ParamScheduler(scheds): scheds maps a
// hyper-parameter's name ("lr", "mom" or "wd") to one schedule for every
// parameter group, or to one schedule per group, first group first
// (fastai's "a scheduler or a list of schedulers"). Errors: another name,
// no schedule or a nil one; a list that does not match the learner's
// groups is refused when the fit starts. A schedule whose value is not a
// number the optimizer can use (a negative or infinite rate, a momentum
// outside [0, 1)) stops the fit with an error naming it and the position.
func NewParamScheduler(scheds map[string][]Schedule) (*ParamScheduler, error) {
	p := &ParamScheduler{scheds: map[string][]Schedule{}}
	for name, fs := range scheds {
		switch name {
		case "lr", "mom", "wd":
		case "sqr_mom", "eps":
			return nil, fmt.Errorf("ParamScheduler: %q is compiled into the training step (learner.Adam{SqrMom, Eps}); fastgo schedules lr, mom and wd", name)
		default:
			return nil, fmt.Errorf("ParamScheduler: no hyper-parameter %q: fastgo's optimizers take lr, mom and wd", name)
		}
		if len(fs) == 0 {
			return nil, fmt.Errorf("ParamScheduler: %q has no schedule: give one for all groups, or one per group", name)
		}
		if i := slices.IndexFunc(fs, func(f Schedule) bool { return f == nil }); i >= 0 {
			return nil, fmt.Errorf("ParamScheduler: %q schedule %d is nil", name, i)
		}
		p.scheds[name] = slices.Clone(fs)
		p.names = append(p.names, name)
	}
	if len(p.names) == 0 {
		return nil, fmt.Errorf("ParamScheduler: no schedule given: map a hyper-parameter (lr, mom, wd) to its schedule")
	}
	slices.Sort(p.names)
	return p, nil
}

// MustParamScheduler is NewParamScheduler for notebook cells: it panics
// on error.
func MustParamScheduler(scheds map[string][]Schedule) *ParamScheduler {
	p, err := NewParamScheduler(scheds)
	if err != nil {
		panic(err)
	}
	return p
}

// validate refuses per-group lists that do not match the learner's groups
// before the fit starts.
func (p *ParamScheduler) validate(l *Learner) error {
	n := l.Model.numGroups()
	for _, name := range p.names {
		if k := len(p.scheds[name]); k != 1 && k != n {
			return fmt.Errorf("%d %s schedules for %d parameter groups: give one for all or one per group", k, name, n)
		}
	}
	return nil
}

// BeforeFit starts a new record.
func (p *ParamScheduler) BeforeFit(*FitState) error {
	p.Hps = map[string][]float64{}
	for _, name := range p.names {
		p.Hps[name] = nil
	}
	return nil
}

// BeforeBatch sets the scheduled hyper-parameters of a training batch.
func (p *ParamScheduler) BeforeBatch(f *FitState) error {
	if !f.Training {
		return nil
	}
	pos := float64(f.Iter) / float64(f.NEpoch*f.NIter)
	for _, name := range p.names {
		dst, factor := f.LRs, f.LRFactor
		switch name {
		case "mom":
			dst, factor = f.Moms, 1
		case "wd":
			dst, factor = f.WDs, 1
		}
		fs := p.scheds[name]
		for i := range dst {
			v := fs[min(i, len(fs)-1)](pos) * factor
			if err := checkHyper(name, v); err != nil {
				return fmt.Errorf("the %s schedule of group %d gives %g at position %g: %w", name, i, v, pos, err)
			}
			dst[i] = v
		}
	}
	return nil
}

// checkHyper refuses a value the optimizer step cannot use.
func checkHyper(name string, v float64) error {
	switch {
	case name == "mom" && !(v >= 0 && v < 1):
		return fmt.Errorf("a momentum must be in [0, 1)")
	case !(v >= 0) || math.IsInf(v, 1):
		return fmt.Errorf("a %s must be a finite number ≥ 0", map[string]string{"lr": "learning rate", "wd": "weight decay", "mom": "momentum"}[name])
	}
	return nil
}

// AfterBatch records the values the training batch used.
func (p *ParamScheduler) AfterBatch(f *FitState) error {
	if !f.Training || p.Hps == nil {
		return nil
	}
	for _, name := range p.names {
		src := f.LRs
		switch name {
		case "mom":
			src = f.Moms
		case "wd":
			src = f.WDs
		}
		if len(src) > 0 {
			p.Hps[name] = append(p.Hps[name], src[len(src)-1])
		}
	}
	return nil
}
