package learner

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// adamByHand is fastai's Adam (reference §4) in float64 for one parameter
// vector with a constant gradient.
func adamByHand(p, g []float64, steps int, lr, mom, sqrMom, eps, wd float64, doWD bool) []float64 {
	p = append([]float64(nil), p...)
	gAvg := make([]float64, len(p))
	sAvg := make([]float64, len(p))
	for step := 1; step <= steps; step++ {
		for i := range p {
			if doWD {
				p[i] *= 1 - lr*wd
			}
			gAvg[i] = mom*gAvg[i] + (1-mom)*g[i]
			sAvg[i] = sqrMom*sAvg[i] + (1-sqrMom)*g[i]*g[i]
			d1 := 1 - math.Pow(mom, float64(step))
			d2 := 1 - math.Pow(sqrMom, float64(step))
			p[i] -= lr / d1 * gAvg[i] / (math.Sqrt(sAvg[i]/d2) + eps)
		}
	}
	return p
}

func TestAdamStepMatchesHandComputation(t *testing.T) {
	p0 := []float32{0.5, -1.5, 2}
	grad := []float64{0.3, -0.02, 1.1}
	const lr, mom, wd = 0.01, 0.9, 0.1
	opt := DefaultAdam()
	for _, doWD := range []bool{true, false} { // false: what a batch-norm parameter gets
		store := model.NewStore()
		v, err := store.CreateVariable("/bn/weight", tensors.FromFlatDataAndDimensions(append([]float32(nil), p0...), 3))
		if err != nil {
			t.Fatal(err)
		}
		e, err := NewExec(testBackend(), store, func(scope *model.Scope, in []*graph.Node) []*graph.Node {
			lrN, momN, wdN := in[0], in[1], in[2]
			g := lrN.Graph()
			c := graph.Const(g, []float32{float32(grad[0]), float32(grad[1]), float32(grad[2])})
			loss := graph.ReduceAllSum(graph.Mul(v.NodeValue(g), c))
			gr := graph.Gradient(loss, v.NodeValue(g))[0]
			opt.Update(store, v, gr, lrN, momN, wdN, doWD)
			return []*graph.Node{loss}
		})
		if err != nil {
			t.Fatal(err)
		}
		const steps = 3
		for range steps {
			if _, err := e.Exec(float32(lr), float32(mom), float32(wd)); err != nil {
				t.Fatal(err)
			}
		}
		want := adamByHand([]float64{0.5, -1.5, 2}, grad, steps, lr, mom, opt.SqrMom, opt.Eps, wd, doWD)
		got := copyF32(v.MustValue())
		for i := range want {
			if math.Abs(float64(got[i])-want[i]) > 1e-6 {
				t.Errorf("doWD=%v: p[%d] = %.8f after %d steps, want %.8f", doWD, i, got[i], steps, want[i])
			}
		}
		step := tensors.ToScalar[float32](store.GetVariable(optScope + "/bn/weight/step").MustValue())
		if step != steps {
			t.Errorf("step counter = %v, want %d", step, steps)
		}
	}
}

// TestSGDStepMatchesHandComputation: fastai's SGD (average_grad without
// dampening, decoupled weight decay) against its formula in float64, with
// and without momentum.
func TestSGDStepMatchesHandComputation(t *testing.T) {
	p0 := []float32{0.5, -1.5, 2}
	grad := []float64{0.3, -0.02, 1.1}
	const lr, wd = 0.1, 0.1
	for _, tc := range []struct {
		mom  float64
		doWD bool
	}{{0.9, true}, {0.9, false}, {0, true}} {
		opt := SGD{Mom: tc.mom, WD: wd}
		store := model.NewStore()
		v, err := store.CreateVariable("/layer/weight", tensors.FromFlatDataAndDimensions(append([]float32(nil), p0...), 3))
		if err != nil {
			t.Fatal(err)
		}
		e, err := NewExec(testBackend(), store, func(scope *model.Scope, in []*graph.Node) []*graph.Node {
			g := in[0].Graph()
			c := graph.Const(g, []float32{float32(grad[0]), float32(grad[1]), float32(grad[2])})
			loss := graph.ReduceAllSum(graph.Mul(v.NodeValue(g), c))
			opt.Update(store, v, graph.Gradient(loss, v.NodeValue(g))[0], in[0], in[1], in[2], tc.doWD)
			return []*graph.Node{loss}
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []float64{0.5, -1.5, 2}
		avg := make([]float64, 3)
		for range 3 {
			if _, err := e.Exec(float32(lr), float32(tc.mom), float32(wd)); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if tc.doWD {
					want[i] *= 1 - lr*wd
				}
				avg[i] = tc.mom*avg[i] + grad[i]
				want[i] -= lr * avg[i]
			}
		}
		got := copyF32(v.MustValue())
		for i := range want {
			if math.Abs(float64(got[i])-want[i]) > 1e-6 {
				t.Errorf("mom %v, doWD %v: p[%d] = %.8f, want %.8f", tc.mom, tc.doWD, i, got[i], want[i])
			}
		}
	}
}
