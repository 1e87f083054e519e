package models

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/fastgo-ml/fastgo/internal/testutil"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// randFeatures is a seeded standard-normal float32 tensor.
func randFeatures(seed uint64, dims ...int) *tensors.Tensor {
	return testutil.RandNormal(rand.New(rand.NewPCG(seed, seed)), dims...)
}

// runHead runs the head once on a fresh store seeded with seed.
func runHead(t *testing.T, seed int64, train bool, feats *tensors.Tensor, nClasses int) ([]float32, *model.Store) {
	t.Helper()
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(seed); err != nil {
		t.Fatal(err)
	}
	out := model.MustCallOnce(modelTestBackend(), store, func(scope *model.Scope, f *graph.Node) *graph.Node {
		return Head(scope.In(HeadScope), f, nClasses, train)
	}, feats)
	if want := []int{feats.Shape().Dim(0), nClasses}; !slices.Equal(out.Shape().Dimensions, want) {
		t.Fatalf("head output %s, want %v", out.Shape(), want)
	}
	return tensors.MustCopyFlatData[float32](out), store
}

func TestHeadLayersAndInit(t *testing.T) {
	const nf, classes = 64, 5
	_, store := runHead(t, 1, false, randFeatures(1, 3, 2, 2, nf), classes)
	shapes := map[string][]int{
		"/head/2/weight": {2 * nf}, "/head/2/bias": {2 * nf}, "/head/2/running_mean": {2 * nf}, "/head/2/running_var": {2 * nf},
		"/head/4/weight": {512, 2 * nf},
		"/head/6/weight": {512}, "/head/6/bias": {512}, "/head/6/running_mean": {512}, "/head/6/running_var": {512},
		"/head/8/weight": {classes, 512},
	}
	if store.NumVariables() != len(shapes)+1 { // + the RNG state
		t.Errorf("%d variables, want %d", store.NumVariables(), len(shapes)+1)
	}
	for p, dims := range shapes {
		v := store.GetVariable(p)
		if v == nil || !slices.Equal(v.Shape().Dimensions, dims) {
			t.Fatalf("variable %s: %v, want shape %v", p, v, dims)
		}
	}
	values := func(p string) []float32 { return tensors.MustCopyFlatData[float32](store.GetVariable(p).MustValue()) }
	if w, b := values("/head/6/weight"), values("/head/6/bias"); w[7] != 1 || b[7] != 1e-3 {
		t.Errorf("BN init weight %g bias %g, want 1 and 1e-3 (fastai)", w[7], b[7])
	}
	for p, fanIn := range map[string]int{"/head/4/weight": 2 * nf, "/head/8/weight": 512} {
		var sum, sq float64
		w := values(p)
		for _, v := range w {
			sum += float64(v)
			sq += float64(v) * float64(v)
		}
		std, want := math.Sqrt(sq/float64(len(w))-(sum/float64(len(w)))*(sum/float64(len(w)))), math.Sqrt(2/float64(fanIn))
		if tol := 4 * want / math.Sqrt(2*float64(len(w))); math.Abs(std-want) > tol {
			t.Errorf("%s std %g, want kaiming-normal %g ± %g", p, std, want, tol)
		}
	}
}

func TestHeadDropoutIsSeededAndOffInEval(t *testing.T) {
	feats := randFeatures(2, 4, 3, 3, 16)
	a, _ := runHead(t, 1, true, feats, 3)
	b, _ := runHead(t, 1, true, feats, 3)
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different training outputs: %v vs %v", a, b)
	}
	// Different seeds draw different weights and masks: compare masks alone
	// through Dropout on ones.
	ones := tensors.FromFlatDataAndDimensions(slices.Repeat([]float32{1}, 20000), 20000)
	drop := func(seed int64, train bool) []float32 {
		store := model.NewStore()
		if err := store.SetRNGStateFromSeed(seed); err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float32](model.MustCallOnce(modelTestBackend(), store,
			func(scope *model.Scope, x *graph.Node) *graph.Node { return Dropout(scope, x, 0.25, train) }, ones))
	}
	m1, m2 := drop(1, true), drop(2, true)
	if slices.Equal(m1, m2) {
		t.Errorf("different seeds gave the same dropout mask")
	}
	zeros := 0
	for _, v := range m1 {
		switch v {
		case 0:
			zeros++
		case 1 / 0.75:
		default:
			t.Fatalf("dropout value %g, want 0 or 1/(1-p)", v)
		}
	}
	if frac := float64(zeros) / float64(len(m1)); math.Abs(frac-0.25) > 0.015 {
		t.Errorf("dropped fraction %g, want 0.25", frac)
	}
	if e := drop(1, false); !slices.Equal(e, tensors.MustCopyFlatData[float32](ones)) {
		t.Errorf("dropout changed values in eval")
	}
}

func TestAdaptiveConcatPoolIsMaxThenAvg(t *testing.T) {
	x := tensors.FromFlatDataAndDimensions([]float32{1, 10, 3, 20, -1, 30, 5, 40}, 1, 2, 2, 2)
	got := tensors.MustCopyFlatData[float32](graph.MustExecOnce(modelTestBackend(), AdaptiveConcatPool, x))
	if want := []float32{5, 40, 2, 25}; !slices.Equal(got, want) {
		t.Errorf("AdaptiveConcatPool = %v, want %v", got, want)
	}
}
