package tensor_test

import (
	"math"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo/tensor"
)

func eagerClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol {
			t.Errorf("%s[%d] = %.7f, want %.7f (±%g)", what, i, got[i], want[i], tol)
		}
	}
}

// The ops against their formulas, computed here independently in float64.
func TestEagerOpsMatchFormulas(t *testing.T) {
	acts := tensor.New(bookActs)
	if err := acts.Err(); err != nil {
		t.Fatal(err)
	}
	targ := []int{0, 1, 0, 1, 1, 0}
	var sig, diffSig, soft, logSoft, picked, ce []float64
	for i, row := range bookActs {
		a, b := float64(float32(row[0])), float64(float32(row[1]))
		sig = append(sig, 1/(1+math.Exp(-a)), 1/(1+math.Exp(-b)))
		diffSig = append(diffSig, 1/(1+math.Exp(-(a-b))))
		z := math.Exp(a) + math.Exp(b)
		soft = append(soft, math.Exp(a)/z, math.Exp(b)/z)
		logSoft = append(logSoft, a-math.Log(z), b-math.Log(z))
		p := soft[2*i+targ[i]]
		picked = append(picked, p)
		ce = append(ce, -math.Log(p))
	}
	mean := 0.0
	for _, v := range ce {
		mean += v / float64(len(ce))
	}
	tg := tensor.New(targ)
	const tol = 1e-6 // float32 rounding of results
	eagerClose(t, "Sigmoid", acts.Sigmoid().Data(), sig, tol)
	eagerClose(t, "Col diff Sigmoid", acts.Col(0).Sub(acts.Col(1)).Sigmoid().Data(), diffSig, tol)
	eagerClose(t, "Softmax(1)", acts.Softmax(1).Data(), soft, tol)
	eagerClose(t, "Softmax(-1)", acts.Softmax(-1).Data(), soft, tol)
	eagerClose(t, "LogSoftmax(1)", acts.LogSoftmax(1).Data(), logSoft, 1e-5)
	eagerClose(t, "Softmax.Log", acts.Softmax(1).Log().Data(), logSoft, 1e-5)
	eagerClose(t, "Index", acts.Softmax(1).Index(tensor.Range(6), tg).Data(), picked, tol)
	eagerClose(t, "CrossEntropy none", tensor.CrossEntropy(acts, tg, "none").Data(), ce, 1e-5)
	eagerClose(t, "CrossEntropy mean", tensor.CrossEntropy(acts, tg, "mean").Data(), []float64{mean}, 1e-5)
	eagerClose(t, "CrossEntropy sum", tensor.CrossEntropy(acts, tg, "sum").Data(), []float64{mean * 6}, 1e-4)
	eagerClose(t, "Exp.Log", acts.Exp().Log().Data(), acts.Data(), 1e-6)

	// Softmax along dim 0 normalises columns.
	col := acts.Softmax(0).Col(1).Sum()
	eagerClose(t, "Softmax(0) column sum", col.Data(), []float64{1}, 1e-6)
}

func TestEagerShapesAndKinds(t *testing.T) {
	acts := tensor.New(bookActs)
	if got := acts.Shape(); len(got) != 2 || got[0] != 6 || got[1] != 2 {
		t.Errorf("Shape = %v, want [6 2]", got)
	}
	if got := acts.Row(-1).Data(); got[0] != float64(float32(1.0698)) {
		t.Errorf("Row(-1) = %v, want the last row", got)
	}
	if got := acts.Col(-1).Data()[0]; got != float64(float32(0.2576)) {
		t.Errorf("Col(-1)[0] = %v, want 0.2576", got)
	}
	ints := tensor.New([]int{1, 2, 3})
	for name, x := range map[string]*tensor.Tensor{
		"Neg": ints.Neg(), "MulScalar(2)": ints.MulScalar(2), "AddScalar(-1)": ints.AddScalar(-1),
		"Add": ints.Add(ints), "Sub": ints.Sub(ints), "Mul": ints.Mul(ints), "Sum": ints.Sum(),
	} {
		if !x.IsInt() {
			t.Errorf("%s of an int tensor is float, want int (PyTorch keeps int64)", name)
		}
	}
	for name, x := range map[string]*tensor.Tensor{
		"MulScalar(0.5)": ints.MulScalar(0.5), "Div": ints.Div(ints), "Float": ints.Float(),
		"Sigmoid": ints.Sigmoid(), "Add float": ints.Add(tensor.New(1.5)),
	} {
		if x.IsInt() || x.Err() != nil {
			t.Errorf("%s of an int tensor: int=%v err=%v, want a float tensor", name, x.IsInt(), x.Err())
		}
	}
	if got := ints.Add(tensor.New(1.5)).Data(); got[2] != 4.5 {
		t.Errorf("broadcast Add = %v, want [2.5 3.5 4.5]", got)
	}
	if v, err := tensor.New([]float64{2, 4}).Mean().Item(); err != nil || v != 3 {
		t.Errorf("Mean = %v, %v; want 3", v, err)
	}
	// Values are float32, as PyTorch's default dtype.
	if got := tensor.New(0.1).Data()[0]; got != float64(float32(0.1)) {
		t.Errorf("Tensor(0.1) holds %v, want float32(0.1)", got)
	}
	three := tensor.New([][][]int{{{1, 2}}, {{3, 4}}})
	if got := three.Shape(); len(got) != 3 || got[0] != 2 || got[1] != 1 || got[2] != 2 || !three.IsInt() {
		t.Errorf("3-D literal: shape %v int %v", got, three.IsInt())
	}
	if got := tensor.FromData([]float64{1, 2, 3, 4, 5, 6}, 2, 3).Col(2).Data(); got[0] != 3 || got[1] != 6 {
		t.Errorf("TensorFromData(…, 2, 3).Col(2) = %v, want [3 6]", got)
	}
}

func TestEagerRandn(t *testing.T) {
	a := tensor.Randn(7, 100, 100).Data()
	b := tensor.Randn(7, 100, 100).Data()
	c := tensor.Randn(8, 100, 100).Data()
	same, differ := true, false
	mean, sq := 0.0, 0.0
	for i := range a {
		same = same && a[i] == b[i]
		differ = differ || a[i] != c[i]
		mean += a[i]
		sq += a[i] * a[i]
	}
	n := float64(len(a))
	mean /= n
	std := math.Sqrt(sq/n - mean*mean)
	if !same || !differ {
		t.Errorf("Randn: same seed equal = %v, other seed differs = %v; want true, true", same, differ)
	}
	if math.Abs(mean) > 0.05 || math.Abs(std-1) > 0.05 {
		t.Errorf("Randn(10000) mean %.3f std %.3f, want ≈0 and ≈1", mean, std)
	}
}

// Bad input never panics: it gives a tensor carrying an error that names the
// problem, and the error survives later operations.
func TestEagerErrors(t *testing.T) {
	acts := tensor.New(bookActs)
	targ := tensor.New([]int{0, 1, 0, 1, 1, 0})
	var nilT *tensor.Tensor
	cases := []struct {
		name string
		got  *tensor.Tensor
		want string
	}{
		{"ragged", tensor.New([][]float64{{1, 2}, {3}}), "row 1 has 1 values but row 0 has 2"},
		{"ragged 3-D", tensor.New([][][]int{{{1}}, {{1, 2}}}), "matrix 1 has shape [1 2]"},
		{"shape mismatch", acts.Sub(targ), "Sub: shapes [6 2] and [6] do not broadcast: sizes 2 and 6 at dimension 1 from the end"},
		{"col range", acts.Col(5), "Col(5): index out of range"},
		{"col of 1-D", targ.Col(0), "is not 2-D"},
		{"row range", acts.Row(6), "Row(6): index out of range for 6 rows"},
		{"row of scalar", tensor.New(1.0).Row(0), "scalar tensor cannot be indexed"},
		{"softmax dim", acts.Softmax(2), "Softmax(2): dim out of range for a 2-D tensor"},
		{"index float", acts.Index(tensor.Range(6), acts.Col(0)), "must be 1-D int tensors"},
		{"index range", acts.Index(tensor.Range(6), tensor.New([]int{0, 1, 2, 0, 0, 0})), "position 2 is [2, 2], out of range"},
		{"reduction", tensor.CrossEntropy(acts, targ, "avg"), `reduction "avg" is not one of`},
		{"targets length", tensor.NLLLoss(acts, tensor.Range(5), "none"), "one class index per input row (6 rows)"},
		{"targets float", tensor.NLLLoss(acts, acts.Col(0), "none"), "1-D int tensor"},
		{"input 1-D", tensor.NLLLoss(targ, targ, "none"), "input of shape [6] must be 2-D"},
		{"int mean", targ.Mean(), "call Float() first"},
		{"from data", tensor.FromData([]float64{1, 2, 3}, 2, 2), "shape [2 2] holds 4 values but 3 were given"},
		{"randn shape", tensor.Randn(1, 2, -1), "negative dimension"},
		{"range", tensor.Range(-1), "must not be negative"},
		{"nil", nilT.Sigmoid(), "nil *Tensor"},
		{"propagates", acts.Col(5).Softmax(0).Neg().MulScalar(2).Index(tensor.Range(1), tensor.Range(1)), "Col(5)"},
		{"propagates through args", acts.Add(acts.Col(9)), "Col(9)"},
	}
	for _, c := range cases {
		err := c.got.Err()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
		if c.got.Shape() != nil || c.got.Data() != nil {
			t.Errorf("%s: a failed tensor exposes shape %v / data %v", c.name, c.got.Shape(), c.got.Data())
		}
		if s := c.got.String(); !strings.HasPrefix(s, "tensor(error: ") {
			t.Errorf("%s: String() = %q, want tensor(error: …)", c.name, s)
		}
	}
	if _, err := acts.Item(); err == nil || !strings.Contains(err.Error(), "12 elements") {
		t.Errorf("Item of a [6 2] tensor: err = %v, want one naming 12 elements", err)
	}
}

// TestBroadcastAndReduceShapes: broadcasting and dim reductions against
// their definitions, computed here element by element.
func TestBroadcastAndReduceShapes(t *testing.T) {
	m := tensor.New([][]float64{{1, 2, 3}, {4, 5, 6}}) // [2,3]
	col := tensor.New([][]float64{{10}, {20}})         // [2,1]
	row := tensor.New([]float64{100, 200, 300})        // [3]
	got := m.Add(col).Add(row)
	want := []float64{111, 212, 313, 124, 225, 326}
	eagerClose(t, "m+col+row", got.Data(), want, 0)
	if s := got.Shape(); len(s) != 2 || s[0] != 2 || s[1] != 3 {
		t.Errorf("shape %v, want [2 3]", s)
	}
	eagerClose(t, "SumDim(0)", m.SumDim(0, false).Data(), []float64{5, 7, 9}, 0)
	eagerClose(t, "SumDim(-1, keepdim)", m.SumDim(-1, true).Data(), []float64{6, 15}, 0)
	if s := m.SumDim(1, true).Shape(); len(s) != 2 || s[0] != 2 || s[1] != 1 {
		t.Errorf("SumDim(1, true) shape %v, want [2 1]", s)
	}
	eagerClose(t, "MeanDim(1)", m.MeanDim(1, false).Data(), []float64{2, 5}, 0)
	if m.Len() != 2 || tensor.New(3.0).Len() != 0 {
		t.Errorf("Len: %d and %d, want 2 and 0", m.Len(), tensor.New(3.0).Len())
	}
	if err := m.SumDim(2, false).Err(); err == nil || !strings.Contains(err.Error(), "SumDim(2): dim out of range") {
		t.Errorf("SumDim(2) on 2-D: %v", err)
	}
	if err := tensor.Where(m, m, m).Err(); err == nil || !strings.Contains(err.Error(), "must be a bool tensor") {
		t.Errorf("Where with a float condition: %v", err)
	}
	if !m.Gt(tensor.New(2.0)).IsBool() || m.Gt(tensor.New(2.0)).Sum().IsBool() {
		t.Error("a comparison must give a bool tensor, and its sum an int one")
	}
	if s := tensor.New([]bool{}).String(); s != "tensor([], dtype=torch.bool)" {
		t.Errorf("empty bool tensor prints %q", s)
	}
}
