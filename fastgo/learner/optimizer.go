package learner

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Optimizer is fastai's opt_func: how each parameter is updated from its
// gradient inside the training graph. [Adam] (the default) and [SGD] are
// fastai's. The per-group learning rate and momentum are graph inputs fed
// every step (schedules never recompile); the weight decay is decoupled
// (fastai's decouple_wd=True) and, as fastai does, not applied to
// batch-norm parameters and biases (doWD false).
type Optimizer interface {
	// Name is fastai's name for it ("Adam", "SGD").
	Name() string
	// DefaultMom is the momentum a plain Fit uses (no schedule).
	DefaultMom() float64
	// DefaultWD is the weight decay when the learner sets none.
	DefaultWD() float64
	// Update builds v's update from its gradient grad with the scalar
	// nodes lr, mom and wd; its state lives in store under /_opt/<path>/.
	Update(store *model.Store, v *model.Variable, grad, lr, mom, wd *graph.Node, doWD bool)
}

// Adam is fastai's Adam: the hyper-parameters that are not scheduled (the
// learning rate and mom, Adam's β1, are fed to the graph every step). A
// zero field means fastai's default, as fastai's Adam(wd=0.1) keeps the
// others: Adam{WD: 0.1} is DefaultAdam with wd 0.1. (No weight decay:
// the learner's WD(0) option.)
type Adam struct {
	// Mom is β1 when no schedule drives it (Fit): 0.9.
	Mom float64
	// SqrMom is β2: 0.99.
	SqrMom float64
	// Eps is added to the denominator: 1e-5.
	Eps float64
	// WD is the decoupled weight decay: 0.01.
	WD float64
}

// DefaultAdam returns fastai's Adam defaults: mom 0.9, sqr_mom 0.99,
// eps 1e-5, wd 0.01 (decoupled).
func DefaultAdam() Adam {
	return Adam{Mom: 0.9, SqrMom: 0.99, Eps: 1e-5, WD: 0.01}
}

// withDefaults fills the zero fields with fastai's defaults.
func (c Adam) withDefaults() Adam {
	d := DefaultAdam()
	for _, f := range []struct{ v, def *float64 }{{&c.Mom, &d.Mom}, {&c.SqrMom, &d.SqrMom}, {&c.Eps, &d.Eps}, {&c.WD, &d.WD}} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	return c
}

// check refuses hyper-parameters that make the training NaN or undo it.
func (c Adam) check() error {
	c = c.withDefaults()
	if err := checkMom("Mom", c.Mom); err != nil {
		return err
	}
	if err := checkMom("SqrMom", c.SqrMom); err != nil {
		return err
	}
	if !(c.Eps > 0) || math.IsInf(c.Eps, 1) {
		return fmt.Errorf("the Eps added to the denominator, %g here, must be a small positive number (fastai: 1e-5)", c.Eps)
	}
	return checkWD(c.WD)
}

func checkMom(name string, v float64) error {
	if !(v >= 0 && v < 1) {
		return fmt.Errorf("%s %g: give a value in [0, 1)", name, v)
	}
	return nil
}

func checkWD(wd float64) error {
	if !(wd >= 0) || math.IsInf(wd, 1) {
		return fmt.Errorf("WD %g: give a weight decay ≥ 0", wd)
	}
	return nil
}

// Name is "Adam".
func (Adam) Name() string { return "Adam" }

// DefaultMom is Mom.
func (c Adam) DefaultMom() float64 { return c.withDefaults().Mom }

// DefaultWD is WD.
func (c Adam) DefaultWD() float64 { return c.withDefaults().WD }

// Update builds fastai's Adam step for one variable as element-wise graph
// operations (XLA fuses them into one pass; the pure-Go backend runs them
// one by one — a fused host-side loop measured slower there, see
// bench/README.md):
//
//	p ← p·(1 − lr·wd)                      (if doWD)
//	g_avg ← mom·g_avg + (1−mom)·g
//	s_avg ← sqr_mom·s_avg + (1−sqr_mom)·g²
//	step ← step + 1
//	p ← p − lr/(1−mom^step) · g_avg / (√(s_avg/(1−sqr_mom^step)) + eps)
func (c Adam) Update(store *model.Store, v *model.Variable, grad, lr, mom, wd *graph.Node, doWD bool) {
	c = c.withDefaults()
	g := grad.Graph()
	p := v.NodeValue(g)
	dtype := p.DType()
	grad = graph.ConvertDType(grad, dtype)
	lr, mom, wd = graph.ConvertDType(lr, dtype), graph.ConvertDType(mom, dtype), graph.ConvertDType(wd, dtype)
	gAvgVar, sAvgVar, stepVar := optStateVars(store, v)

	if doWD {
		p = graph.Mul(p, graph.OneMinus(graph.Mul(lr, wd)))
	}
	gAvg := graph.Add(graph.Mul(mom, gAvgVar.NodeValue(g)), graph.Mul(graph.OneMinus(mom), grad))
	sAvg := graph.Add(graph.MulScalar(sAvgVar.NodeValue(g), c.SqrMom), graph.MulScalar(graph.Square(grad), 1-c.SqrMom))
	step := graph.OnePlus(stepVar.NodeValue(g))
	debias1 := graph.OneMinus(graph.Pow(mom, step))
	debias2 := graph.OneMinus(graph.Pow(graph.Scalar(g, dtype, c.SqrMom), step))
	denom := graph.AddScalar(graph.Sqrt(graph.Div(sAvg, debias2)), c.Eps)
	p = graph.Sub(p, graph.Mul(graph.Div(lr, debias1), graph.Div(gAvg, denom)))

	v.SetNodeValue(p)
	gAvgVar.SetNodeValue(gAvg)
	sAvgVar.SetNodeValue(sAvg)
	stepVar.SetNodeValue(step)
}

// SGD is fastai's SGD: plain gradient descent, with momentum when the
// momentum fed is not 0 (fastai's average_grad without dampening:
// g_avg ← mom·g_avg + g; then p ← p − lr·g_avg) and decoupled weight decay.
// fastai's defaults are mom 0 and wd 0; fit_one_cycle drives the momentum
// between 0.95 and 0.85 as for Adam.
type SGD struct {
	// Mom is the momentum of a plain Fit (fastai: 0).
	Mom float64
	// WD is the decoupled weight decay (fastai: 0).
	WD float64
}

func (c SGD) check() error {
	if err := checkMom("Mom", c.Mom); err != nil {
		return err
	}
	return checkWD(c.WD)
}

// Name is "SGD".
func (SGD) Name() string { return "SGD" }

// DefaultMom is Mom.
func (c SGD) DefaultMom() float64 { return c.Mom }

// DefaultWD is WD.
func (c SGD) DefaultWD() float64 { return c.WD }

// Update builds the SGD step: p ← p·(1 − lr·wd) (if doWD), g_avg ←
// mom·g_avg + g, p ← p − lr·g_avg. With mom 0 it is p − lr·g.
func (c SGD) Update(store *model.Store, v *model.Variable, grad, lr, mom, wd *graph.Node, doWD bool) {
	g := grad.Graph()
	p := v.NodeValue(g)
	dtype := p.DType()
	grad = graph.ConvertDType(grad, dtype)
	lr, mom, wd = graph.ConvertDType(lr, dtype), graph.ConvertDType(mom, dtype), graph.ConvertDType(wd, dtype)
	gAvgVar := store.VariableWithShape(optScope+v.Path()+"/grad_avg", v.Shape(), graph.Zeros).SetTrainable(false)
	if doWD {
		p = graph.Mul(p, graph.OneMinus(graph.Mul(lr, wd)))
	}
	gAvg := graph.Add(graph.Mul(mom, gAvgVar.NodeValue(g)), grad)
	v.SetNodeValue(graph.Sub(p, graph.Mul(lr, gAvg)))
	gAvgVar.SetNodeValue(gAvg)
}

// optStateVars returns (creating them, zero-initialised) a variable's Adam
// state: grad_avg, sqr_avg (its shape) and step (a scalar).
func optStateVars(store *model.Store, v *model.Variable) (gAvg, sAvg, step *model.Variable) {
	base := optScope + v.Path()
	gAvg = store.VariableWithShape(base+"/grad_avg", v.Shape(), graph.Zeros).SetTrainable(false)
	sAvg = store.VariableWithShape(base+"/sqr_avg", v.Shape(), graph.Zeros).SetTrainable(false)
	step = store.VariableWithShape(base+"/step", shapes.Make(v.DType()), graph.Zeros).SetTrainable(false)
	return
}

// clearOptState zeroes every optimizer state variable (fastai's
// clear_state): moments and step counters restart. Values are replaced in
// place, so compiled graphs stay valid.
func (l *Learner) clearOptState() {
	for v := range l.store.IterVariables() {
		if !strings.HasPrefix(v.Path(), optScope+"/") || !v.HasValue() {
			continue
		}
		// Only fails for an invalid (deleted) variable, which the store no longer lists.
		_ = v.SetValue(zerosLike(v.Shape()))
	}
}

func zerosLike(s shapes.Shape) *tensors.Tensor {
	if s.DType == dtypes.Float32 {
		return tensors.FromFlatDataAndDimensions(make([]float32, s.Size()), s.Dimensions...)
	}
	return tensors.FromShape(s)
}
