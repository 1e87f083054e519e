package learner

import (
	"fmt"
	"math"
	"testing"

	"github.com/fastgo-ml/fastgo/internal/testutil"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The parity suite's optimizer and schedule checks (make parity; see
// testutil.Parity): fastai's Adam and one-cycle values, computed by
// scripts/parity_torch.py with PyTorch in float32 and float64.

// TestParityAdam runs fastai's Adam for a few steps on a weight (decoupled
// weight decay) and a bias (none), fed with fixed gradients and one-cycle
// lr/mom values, and compares the parameters with PyTorch's.
func TestParityAdam(t *testing.T) {
	p := testutil.LoadParity(t)
	lrs, _ := p.F64(t, "adam_lrs")
	moms, _ := p.F64(t, "adam_moms")
	hyper, _ := p.F64(t, "adam_hyper")
	opt := DefaultAdam()
	opt.SqrMom, opt.Eps = hyper[1], hyper[2]
	wd := hyper[0]
	for _, name := range []string{"weight", "bias"} {
		p0, shape := p.F32(t, "adam_p0_"+name)
		grads, gshape := p.F32(t, "adam_grads_"+name)
		steps := gshape[0]
		store := model.NewStore()
		v, err := store.CreateVariable("/layer/"+name, tensors.FromFlatDataAndDimensions(p0, shape...))
		if err != nil {
			t.Fatal(err)
		}
		doWD := name == "weight" // fastai: no weight decay on biases and batch norm
		e, err := NewExec(testBackend(), store, func(scope *model.Scope, in []*graph.Node) []*graph.Node {
			gIn, lr, mom, wdN := in[0], in[1], in[2], in[3]
			g := gIn.Graph()
			loss := graph.ReduceAllSum(graph.Mul(v.NodeValue(g), gIn)) // its gradient is gIn
			opt.Update(store, v, graph.Gradient(loss, v.NodeValue(g))[0], lr, mom, wdN, doWD)
			return []*graph.Node{loss}
		})
		if err != nil {
			t.Fatal(err)
		}
		per := len(grads) / steps
		for s := range steps {
			gt := tensors.FromFlatDataAndDimensions(grads[s*per:(s+1)*per], shape...)
			if _, err := e.Exec(gt, float32(lrs[s]), float32(moms[s]), float32(wd)); err != nil {
				t.Fatal(err)
			}
		}
		got := tensors.MustCopyFlatData[float32](v.MustValue())
		r64, _ := p.F64(t, "adam_p64_"+name)
		r32, _ := p.F64(t, "adam_p32_"+name)
		wdSay := "no weight decay"
		if doWD {
			wdSay = fmt.Sprintf("decoupled wd %g", wd)
		}
		p.Compare(t, fmt.Sprintf("fastai Adam, %d one-cycle steps, %s %v (%s)", steps, name, shape, wdSay),
			testutil.RelErr(got, r64), testutil.RelErr(r32, r64))
	}
}

// TestParityOneCycle: the lr (last parameter group) and mom of every
// training batch of fit_one_cycle(2, 1e-2) and of fine_tune(1)'s unfrozen
// stage, as fastgo's learner fed them, against fastai's formulas in
// float64 (no float32 involved: the limit is a few float64 roundings).
func TestParityOneCycle(t *testing.T) {
	p := testutil.LoadParity(t)
	const limit = 1e-12
	check := func(what string, got []float64, ref []float64, cols int) {
		t.Helper()
		want := make([]float64, 0, len(ref)/cols)
		for i := cols - 1; i < len(ref); i += cols {
			want = append(want, ref[i])
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d values recorded, fastai's schedule has %d", what, len(got), len(want))
		}
		p.Within(t, what, maxRel(got, want), limit, "fastai formula, float64")
	}

	l := newTiny(t) // 16 training batches per epoch
	if err := l.FitOneCycle(2, 1e-2); err != nil {
		t.Fatal(err)
	}
	lrs, lshape := p.F64(t, "sched_fit_one_cycle_lrs")
	moms, _ := p.F64(t, "sched_fit_one_cycle_moms")
	check("fit_one_cycle(2, 1e-2) lr per batch (32 batches)", l.Recorder.LRs, lrs, lshape[1])
	check("fit_one_cycle(2, 1e-2) mom per batch", l.Recorder.Moms, moms, 1)

	l = newTiny(t)
	if err := l.FineTune(1); err != nil {
		t.Fatal(err)
	}
	// The recorder keeps the last fit (fastai's too): the unfrozen stage,
	// the second half of the reference.
	lrs, lshape = p.F64(t, "sched_fine_tune_lrs")
	moms, _ = p.F64(t, "sched_fine_tune_moms")
	check("fine_tune(1) unfrozen stage lr per batch", l.Recorder.LRs, lrs[len(lrs)/2:], lshape[1])
	check("fine_tune(1) unfrozen stage mom per batch", l.Recorder.Moms, moms[len(moms)/2:], 1)
}

func maxRel(got, want []float64) float64 {
	worst := 0.0
	for i := range got {
		worst = math.Max(worst, math.Abs(got[i]-want[i])/math.Abs(want[i]))
	}
	return worst
}
