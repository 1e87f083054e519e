package learner

import (
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// AdamConfig holds fastai's Adam hyper-parameters that are not scheduled
// (the learning rate and mom, Adam's β1, are fed to the graph every step).
type AdamConfig struct {
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
func DefaultAdam() AdamConfig {
	return AdamConfig{Mom: 0.9, SqrMom: 0.99, Eps: 1e-5, WD: 0.01}
}

// update builds fastai's Adam step for one variable as element-wise graph
// operations (XLA fuses them into one pass; the pure-Go backend runs them
// one by one — a fused host-side loop measured slower there, see
// bench/README.md):
//
//	p ← p·(1 − lr·wd)                      (if doWD)
//	g_avg ← mom·g_avg + (1−mom)·g
//	s_avg ← sqr_mom·s_avg + (1−sqr_mom)·g²
//	step ← step + 1
//	p ← p − lr/(1−mom^step) · g_avg / (√(s_avg/(1−sqr_mom^step)) + eps)
//
// lr, mom and wd are scalar graph nodes (fed each step, so schedules do not
// recompile). The state lives in store variables under /_opt/<path>/.
func (c AdamConfig) update(store *model.Store, v *model.Variable, grad, lr, mom, wd *graph.Node, doWD bool) {
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
