package tensor

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Tensor is a small dense tensor computed immediately in plain Go, for
// the chapter's cells that explain cross-entropy on a handful of numbers
// (`acts.sigmoid()`, `torch.softmax(acts, dim=1)`, `F.nll_loss(...)`,
// `torch.where(...)`). It is not for training: the learner's losses run
// inside the GoMLX graph.
//
// Values are float32 like PyTorch's default dtype (each operation computes
// in float64 and rounds its result to float32), int64 for index tensors
// such as `tensor([0, 1, 0, 1, 1, 0])`, or bool (comparisons). Element-wise
// operations between two tensors broadcast as PyTorch does (shapes are
// aligned on their last dimensions; a dimension of 1 stretches). It prints
// like PyTorch (see [Tensor.String]).
//
// Errors are sticky, as in bufio.Scanner: an operation on bad input (shapes
// that do not broadcast, an index out of range, an unknown reduction)
// returns a tensor that carries the error instead of panicking; every later
// operation passes it on, Err returns it and String prints it. So a chain
// such as `acts.Col(0).Sub(acts.Col(1)).Sigmoid()` needs one check at the
// end.
type Tensor struct {
	shape []int
	data  []float64 // row-major; float32-representable, integers for int, 0/1 for bool
	kind  kind
	err   error
}

// kind is a tensor's dtype: torch.float32, torch.int64 or torch.bool.
type kind uint8

const (
	floatKind kind = iota
	intKind
	boolKind
)

// Literal is what [New] accepts: a Go scalar, slice or nested slice of
// floats (a float tensor), ints (an int64 tensor) or bools (a bool tensor).
type Literal interface {
	float64 | []float64 | [][]float64 | [][][]float64 |
		float32 | []float32 | [][]float32 | [][][]float32 |
		int | []int | [][]int | [][][]int |
		bool | []bool | [][]bool
}

// New is PyTorch's `tensor(...)` literal: New([]int{0, 1, 0, 1, 1, 0})
// is `tensor([0,1,0,1,1,0])`, New([][]float64{{0.6734, 0.2576}, ...}) a
// float matrix, New(1.0) a scalar. Nested slices must be rectangular; a
// ragged one gives a tensor carrying the error.
func New[V Literal](v V) *Tensor {
	switch x := any(v).(type) {
	case float64:
		return newFloat(nil, []float64{x})
	case float32:
		return newFloat(nil, []float64{float64(x)})
	case int:
		return &Tensor{shape: []int{}, data: []float64{float64(x)}, kind: intKind}
	case bool:
		return &Tensor{shape: []int{}, data: []float64{boolValue(x)}, kind: boolKind}
	case []float64:
		return newFloat([]int{len(x)}, slices.Clone(x))
	case []float32:
		return newFloat([]int{len(x)}, widen(x))
	case []int:
		return &Tensor{shape: []int{len(x)}, data: intsToFloats(x), kind: intKind}
	case []bool:
		return &Tensor{shape: []int{len(x)}, data: boolsToFloats(x), kind: boolKind}
	case [][]float64:
		return fromRows(x, floatKind, func(r []float64) []float64 { return r })
	case [][]float32:
		return fromRows(x, floatKind, widen)
	case [][]int:
		return fromRows(x, intKind, intsToFloats)
	case [][]bool:
		return fromRows(x, boolKind, boolsToFloats)
	case [][][]float64:
		return stack3(x, func(m [][]float64) *Tensor { return New(m) })
	case [][][]float32:
		return stack3(x, func(m [][]float32) *Tensor { return New(m) })
	case [][][]int:
		return stack3(x, func(m [][]int) *Tensor { return New(m) })
	}
	panic("unreachable: Literal covers every case")
}

// FromData is a float tensor with the given row-major data and shape (no
// shape means 1-D). The data is copied and rounded to float32.
func FromData(data []float64, shape ...int) *Tensor {
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	if n, err := numel(shape); err != nil {
		return failed(fmt.Errorf("FromData: %w", err))
	} else if n != len(data) {
		return failed(fmt.Errorf("FromData: shape %v holds %d values but %d were given; pass a shape whose product is the data length", shape, n, len(data)))
	}
	return newFloat(slices.Clone(shape), slices.Clone(data))
}

// Randn is `torch.randn(shape)`: standard-normal float32 values from a
// generator seeded by seed (a PCG from math/rand/v2, not PyTorch's
// Mersenne Twister, so the numbers differ from torch.manual_seed's). The
// same seed always gives the same values.
func Randn(seed uint64, shape ...int) *Tensor {
	n, err := numel(shape)
	if err != nil {
		return failed(fmt.Errorf("Randn: %w", err))
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed_f00d))
	data := make([]float64, n)
	for i := range data {
		data[i] = rng.NormFloat64()
	}
	return newFloat(slices.Clone(shape), data)
}

// Range is Python's `range(n)` as an int64 tensor, for indexing such as
// `sm_acts[range(6), targ]`.
func Range(n int) *Tensor {
	if n < 0 {
		return failed(fmt.Errorf("Range(%d): n must not be negative", n))
	}
	data := make([]float64, n)
	for i := range data {
		data[i] = float64(i)
	}
	return &Tensor{shape: []int{n}, data: data, kind: intKind}
}

// Err is the first error met while computing this tensor, or nil.
func (t *Tensor) Err() error {
	if t == nil {
		return errNilTensor
	}
	return t.err
}

// Shape is a copy of the tensor's shape (empty for a scalar).
func (t *Tensor) Shape() []int {
	if t.Err() != nil {
		return nil
	}
	return slices.Clone(t.shape)
}

// Len is Python's `len(t)`: the size of the first dimension (0 for a
// scalar, which PyTorch refuses, or a tensor carrying an error).
func (t *Tensor) Len() int {
	if t.Err() != nil || len(t.shape) == 0 {
		return 0
	}
	return t.shape[0]
}

// Data is a copy of the values in row-major order (1 and 0 for a bool
// tensor's true and false).
func (t *Tensor) Data() []float64 {
	if t.Err() != nil {
		return nil
	}
	return slices.Clone(t.data)
}

// IsInt says whether this is an integer (int64) tensor.
func (t *Tensor) IsInt() bool { return t.Err() == nil && t.kind == intKind }

// IsBool says whether this is a bool tensor (the result of a comparison).
func (t *Tensor) IsBool() bool { return t.Err() == nil && t.kind == boolKind }

// Item is `t.item()`: the value of a tensor holding exactly one element.
func (t *Tensor) Item() (float64, error) {
	if err := t.Err(); err != nil {
		return 0, err
	}
	if len(t.data) != 1 {
		return 0, fmt.Errorf("Item: tensor of shape %v has %d elements; only one-element tensors have an item", t.shape, len(t.data))
	}
	return t.data[0], nil
}

// Float is `t.float()`: the same values as a float tensor.
func (t *Tensor) Float() *Tensor { return t.mapFloat(func(v float64) float64 { return v }) }

// Neg is `-t`.
func (t *Tensor) Neg() *Tensor {
	if t.IsBool() {
		return failed(errors.New("Neg: PyTorch has no negation of a bool tensor either; use Not-like Eq(New(false)), or Float() first"))
	}
	return t.mapKeepInt(func(v float64) float64 { return -v })
}

// MulScalar is `t * s`. An int tensor times an integral s stays an int tensor.
func (t *Tensor) MulScalar(s float64) *Tensor {
	if s == math.Trunc(s) {
		return t.mapKeepInt(func(v float64) float64 { return v * s })
	}
	return t.mapFloat(func(v float64) float64 { return v * s })
}

// AddScalar is `t + s`. An int tensor plus an integral s stays an int tensor.
func (t *Tensor) AddScalar(s float64) *Tensor {
	if s == math.Trunc(s) {
		return t.mapKeepInt(func(v float64) float64 { return v + s })
	}
	return t.mapFloat(func(v float64) float64 { return v + s })
}

// Add is `t + o`, broadcasting: `1 - x` is New(1.0).Sub(x), a row plus a
// column makes a matrix. Two int (or bool) tensors give an int tensor.
func (t *Tensor) Add(o *Tensor) *Tensor {
	return t.zip("Add", o, intKind, func(a, b float64) float64 { return a + b })
}

// Sub is `t - o`, broadcasting (see Add).
func (t *Tensor) Sub(o *Tensor) *Tensor {
	return t.zip("Sub", o, intKind, func(a, b float64) float64 { return a - b })
}

// Mul is `t * o` element-wise, broadcasting (see Add).
func (t *Tensor) Mul(o *Tensor) *Tensor {
	return t.zip("Mul", o, intKind, func(a, b float64) float64 { return a * b })
}

// Div is `t / o` element-wise, broadcasting: `exp(x) / exp(x).sum(dim=1,
// keepdim=True)` is x.Exp().Div(x.Exp().SumDim(1, true)). True division:
// the result is float.
func (t *Tensor) Div(o *Tensor) *Tensor {
	return t.zip("Div", o, floatKind, func(a, b float64) float64 { return a / b })
}

// Eq is `t == o` element-wise, broadcasting; the result is a bool tensor
// (`targ == 1` is targ.Eq(New(1))).
func (t *Tensor) Eq(o *Tensor) *Tensor {
	return t.compare("Eq", o, func(a, b float64) bool { return a == b })
}

// Ne is `t != o`, broadcasting, as a bool tensor.
func (t *Tensor) Ne(o *Tensor) *Tensor {
	return t.compare("Ne", o, func(a, b float64) bool { return a != b })
}

// Lt is `t < o`, broadcasting, as a bool tensor.
func (t *Tensor) Lt(o *Tensor) *Tensor {
	return t.compare("Lt", o, func(a, b float64) bool { return a < b })
}

// Le is `t <= o`, broadcasting, as a bool tensor.
func (t *Tensor) Le(o *Tensor) *Tensor {
	return t.compare("Le", o, func(a, b float64) bool { return a <= b })
}

// Gt is `t > o`, broadcasting, as a bool tensor.
func (t *Tensor) Gt(o *Tensor) *Tensor {
	return t.compare("Gt", o, func(a, b float64) bool { return a > b })
}

// Ge is `t >= o`, broadcasting, as a bool tensor.
func (t *Tensor) Ge(o *Tensor) *Tensor {
	return t.compare("Ge", o, func(a, b float64) bool { return a >= b })
}

// Where is `torch.where(cond, a, b)`: a where cond is true, else b, the
// three broadcast together; cond must be a bool tensor. The book's binary
// loss, `torch.where(targets==1, 1-inputs, inputs)`, is
// Where(targets.Eq(New(1)), New(1.0).Sub(inputs), inputs).
func Where(cond, a, b *Tensor) *Tensor {
	for _, x := range []*Tensor{cond, a, b} {
		if x.Err() != nil {
			return failed(x.Err())
		}
	}
	if cond.kind != boolKind {
		return failed(fmt.Errorf("Where: the condition must be a bool tensor (a comparison such as t.Eq(...)), got %s", cond.dtype()))
	}
	shape, err := broadcastShapes(cond.shape, a.shape, b.shape)
	if err != nil {
		return failed(fmt.Errorf("Where: %w", err))
	}
	ic, ia, ib := broadcastIndex(cond.shape, shape), broadcastIndex(a.shape, shape), broadcastIndex(b.shape, shape)
	data := make([]float64, len(ic))
	for i := range data {
		if cond.data[ic[i]] != 0 {
			data[i] = a.data[ia[i]]
		} else {
			data[i] = b.data[ib[i]]
		}
	}
	return withKind(shape, data, promote(a.kind, b.kind, intKind))
}

// Sigmoid is `t.sigmoid()`: 1/(1+e^-x) element-wise.
func (t *Tensor) Sigmoid() *Tensor { return t.mapFloat(sigmoid) }

// Exp is `t.exp()` (torch.exp).
func (t *Tensor) Exp() *Tensor { return t.mapFloat(math.Exp) }

// Log is `t.log()` (torch.log, the natural logarithm).
func (t *Tensor) Log() *Tensor { return t.mapFloat(math.Log) }

// Softmax is `torch.softmax(t, dim)`: exp(x)/sum(exp(x)) along dim
// (negative dims count from the end, -1 is the last).
func (t *Tensor) Softmax(dim int) *Tensor { return t.alongDim("Softmax", dim, false) }

// LogSoftmax is `torch.log_softmax(t, dim)` (F.log_softmax), computed as
// x - max - log(sum(exp(x - max))) so that it is exact where Softmax(dim).Log()
// would round small probabilities to 0.
func (t *Tensor) LogSoftmax(dim int) *Tensor { return t.alongDim("LogSoftmax", dim, true) }

// Sum is `t.sum()`: the sum of every element, as a scalar tensor (int for
// an int or bool tensor, as in PyTorch).
func (t *Tensor) Sum() *Tensor {
	if t.Err() != nil {
		return failed(t.Err())
	}
	return t.reduceDims("Sum", nil, false, false)
}

// Mean is `t.mean()`: the mean of every element, as a float scalar tensor
// (NaN for an empty tensor, as in PyTorch).
func (t *Tensor) Mean() *Tensor {
	if t.Err() != nil {
		return failed(t.Err())
	}
	return t.reduceDims("Mean", nil, false, true)
}

// SumDim is `t.sum(dim=d, keepdim=k)`: sums along dimension dim (negative
// counts from the end); keepdim keeps it with size 1, so that the result
// broadcasts back against t.
func (t *Tensor) SumDim(dim int, keepdim bool) *Tensor {
	return t.alongOne("SumDim", dim, keepdim, false)
}

// MeanDim is `t.mean(dim=d, keepdim=k)` (see SumDim); the result is float.
func (t *Tensor) MeanDim(dim int, keepdim bool) *Tensor {
	return t.alongOne("MeanDim", dim, keepdim, true)
}

func (t *Tensor) alongOne(op string, dim int, keepdim, mean bool) *Tensor {
	if t.Err() != nil {
		return failed(t.Err())
	}
	d, ok := wrapIndex(dim, len(t.shape))
	if !ok {
		return failed(fmt.Errorf("%s(%d): dim out of range for a %d-D tensor (use 0…%d, or -1 for the last)", op, dim, len(t.shape), len(t.shape)-1))
	}
	return t.reduceDims(op, []int{d}, keepdim, mean)
}

// reduceDims sums (or averages) over dims (all when nil).
func (t *Tensor) reduceDims(op string, dims []int, keepdim, mean bool) *Tensor {
	if mean && t.kind != floatKind {
		return failed(fmt.Errorf("%s: PyTorch has no mean of an %s tensor either; call Float() first", op, t.dtype()))
	}
	reduced := make([]bool, len(t.shape))
	for _, d := range dims {
		reduced[d] = true
	}
	if dims == nil {
		for i := range reduced {
			reduced[i] = true
		}
	}
	var outShape, kept []int
	for i, n := range t.shape {
		switch {
		case !reduced[i]:
			outShape = append(outShape, n)
			kept = append(kept, n)
		case keepdim:
			kept = append(kept, 1)
		}
	}
	if keepdim {
		outShape = kept
	}
	if outShape == nil {
		outShape = []int{}
	}
	n, _ := numel(outShape)
	sums, counts := make([]float64, n), make([]float64, n)
	// Walk t's elements with their output position (a reduced axis counts 0).
	strides := make([]int, len(t.shape))
	stride := 1
	for i := len(t.shape) - 1; i >= 0; i-- {
		if !reduced[i] {
			strides[i] = stride
			stride *= t.shape[i]
		}
	}
	idx := make([]int, len(t.shape))
	for _, v := range t.data {
		o := 0
		for i, k := range idx {
			o += k * strides[i]
		}
		sums[o] += v
		counts[o]++
		for i := len(idx) - 1; i >= 0; i-- {
			if idx[i]++; idx[i] < t.shape[i] {
				break
			}
			idx[i] = 0
		}
	}
	if mean {
		for i := range sums {
			sums[i] /= counts[i] // NaN for an empty reduction, as in PyTorch
		}
		return newFloat(outShape, sums)
	}
	return withKind(outShape, sums, promote(t.kind, t.kind, intKind))
}

// Col is `t[:, j]`: column j of a 2-D tensor (negative j counts from the end).
func (t *Tensor) Col(j int) *Tensor {
	if t.Err() != nil {
		return failed(t.Err())
	}
	if len(t.shape) != 2 {
		return failed(fmt.Errorf("Col(%d): tensor of shape %v is not 2-D", j, t.shape))
	}
	rows, cols := t.shape[0], t.shape[1]
	jj, ok := wrapIndex(j, cols)
	if !ok {
		return failed(fmt.Errorf("Col(%d): index out of range for %d columns", j, cols))
	}
	data := make([]float64, rows)
	for i := range rows {
		data[i] = t.data[i*cols+jj]
	}
	return &Tensor{shape: []int{rows}, data: data, kind: t.kind}
}

// Row is `t[i]`: the (n-1)-D sub-tensor at index i of the first dimension
// (negative i counts from the end).
func (t *Tensor) Row(i int) *Tensor {
	if t.Err() != nil {
		return failed(t.Err())
	}
	if len(t.shape) == 0 {
		return failed(fmt.Errorf("Row(%d): a scalar tensor cannot be indexed", i))
	}
	ii, ok := wrapIndex(i, t.shape[0])
	if !ok {
		return failed(fmt.Errorf("Row(%d): index out of range for %d rows", i, t.shape[0]))
	}
	size := len(t.data) / max(t.shape[0], 1)
	return &Tensor{shape: slices.Clone(t.shape[1:]), data: slices.Clone(t.data[ii*size : (ii+1)*size]), kind: t.kind}
}

// Index is `t[rows, cols]` for a 2-D t and two 1-D int tensors of the same
// length: element k of the result is t[rows[k], cols[k]]. It is how the
// chapter picks each item's probability of its target:
// `smActs.Index(tensor.Range(6), targ)` is `sm_acts[range(6), targ]`.
func (t *Tensor) Index(rows, cols *Tensor) *Tensor {
	for _, x := range []*Tensor{t, rows, cols} {
		if x.Err() != nil {
			return failed(x.Err())
		}
	}
	if len(t.shape) != 2 {
		return failed(fmt.Errorf("Index: tensor of shape %v is not 2-D", t.shape))
	}
	if rows.kind != intKind || cols.kind != intKind || len(rows.shape) != 1 || len(cols.shape) != 1 || rows.shape[0] != cols.shape[0] {
		return failed(fmt.Errorf("Index: rows %v and cols %v must be 1-D int tensors of the same length (e.g. tensor.Range(n) and the targets)", rows.shape, cols.shape))
	}
	r, c := t.shape[0], t.shape[1]
	data := make([]float64, len(rows.data))
	for k := range data {
		i, ok1 := wrapIndex(int(rows.data[k]), r)
		j, ok2 := wrapIndex(int(cols.data[k]), c)
		if !ok1 || !ok2 {
			return failed(fmt.Errorf("Index: position %d is [%v, %v], out of range for shape %v", k, rows.data[k], cols.data[k], t.shape))
		}
		data[k] = t.data[i*c+j]
	}
	return &Tensor{shape: []int{len(data)}, data: data, kind: t.kind}
}

// NLLLoss is `F.nll_loss(input, targ, reduction=...)`: for input [N,C] and
// int targets [N] it is -input[i, targ[i]] per item, then reduced by
// reduction "none" (the N values), "mean" or "sum". Despite its name it
// takes no log: the chapter applies it to softmax outputs to show that, and
// to log-softmax outputs to get cross-entropy.
func NLLLoss(input, targ *Tensor, reduction string) *Tensor {
	for _, x := range []*Tensor{input, targ} {
		if x.Err() != nil {
			return failed(x.Err())
		}
	}
	if len(input.shape) != 2 {
		return failed(fmt.Errorf("NLLLoss: input of shape %v must be 2-D [items, classes]", input.shape))
	}
	if targ.kind != intKind || len(targ.shape) != 1 || targ.shape[0] != input.shape[0] {
		return failed(fmt.Errorf("NLLLoss: targets (shape %v) must be a 1-D int tensor with one class index per input row (%d rows)", targ.shape, input.shape[0]))
	}
	return reduce("NLLLoss", input.Index(Range(input.shape[0]), targ).Neg(), reduction)
}

// CrossEntropy is `F.cross_entropy(acts, targ, reduction=...)` and
// `nn.CrossEntropyLoss(reduction=...)(acts, targ)` for acts [N, C] and int
// targets [N]: NLLLoss(acts.LogSoftmax(1), targ, reduction). reduction is
// "mean" (PyTorch's default), "sum" or "none".
func CrossEntropy(acts, targ *Tensor, reduction string) *Tensor {
	return NLLLoss(acts.LogSoftmax(1), targ, reduction)
}

func reduce(op string, t *Tensor, reduction string) *Tensor {
	switch reduction {
	case "none":
		return t
	case "mean":
		return t.Mean()
	case "sum":
		return t.Sum()
	}
	return failed(fmt.Errorf("%s: reduction %q is not one of \"none\", \"mean\", \"sum\"", op, reduction))
}

// CrossEntropyLoss is `nn.CrossEntropyLoss(reduction=...)`: an object you
// call, where CrossEntropy is `F.cross_entropy`, a function. The zero value
// reduces with "mean", as PyTorch's default.
type CrossEntropyLoss struct {
	// Reduction is "mean" (also when empty), "sum" or "none".
	Reduction string
}

// Call is `loss_func(acts, targ)`.
func (l CrossEntropyLoss) Call(acts, targ *Tensor) *Tensor {
	r := l.Reduction
	if r == "" {
		r = "mean"
	}
	return CrossEntropy(acts, targ, r)
}

var errNilTensor = errors.New("nil *Tensor: build tensors with tensor.New, Randn, Range or FromData")

func failed(err error) *Tensor { return &Tensor{err: err} }

// newFloat rounds data to float32 in place and wraps it.
func newFloat(shape []int, data []float64) *Tensor {
	if shape == nil {
		shape = []int{}
	}
	for i, v := range data {
		data[i] = float64(float32(v))
	}
	return &Tensor{shape: shape, data: data}
}

func numel(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v has a negative dimension", shape)
		}
		n *= d
	}
	return n, nil
}

func wrapIndex(i, n int) (int, bool) {
	if i < 0 {
		i += n
	}
	return i, i >= 0 && i < n
}

func widen(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func boolsToFloats(x []bool) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = boolValue(v)
	}
	return out
}

func intsToFloats(x []int) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func fromRows[R any](rows []R, k kind, conv func(R) []float64) *Tensor {
	var data []float64
	cols := -1
	for i, r := range rows {
		vals := conv(r)
		if cols >= 0 && len(vals) != cols {
			return failed(fmt.Errorf("New: row %d has %d values but row 0 has %d; rows must all have the same length", i, len(vals), cols))
		}
		cols = len(vals)
		data = append(data, vals...)
	}
	cols = max(cols, 0)
	return withKind([]int{len(rows), cols}, data, k)
}

func stack3[M any](mats []M, build func(M) *Tensor) *Tensor {
	out := &Tensor{shape: []int{len(mats), 0, 0}, data: []float64{}}
	for i, m := range mats {
		t := build(m)
		if t.err != nil {
			return failed(fmt.Errorf("matrix %d: %w", i, t.err))
		}
		if i > 0 && !slices.Equal(t.shape, out.shape[1:]) {
			return failed(fmt.Errorf("New: matrix %d has shape %v but matrix 0 has %v; they must match", i, t.shape, out.shape[1:]))
		}
		out.shape = append([]int{len(mats)}, t.shape...)
		out.data = append(out.data, t.data...)
		out.kind = t.kind
	}
	if len(mats) == 0 {
		var zero M
		out.kind = build(zero).kind
	}
	return out
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// mapFloat applies f element-wise; the result is a float tensor.
func (t *Tensor) mapFloat(f func(float64) float64) *Tensor {
	if t.Err() != nil {
		return failed(t.Err())
	}
	data := make([]float64, len(t.data))
	for i, v := range t.data {
		data[i] = f(v)
	}
	return newFloat(slices.Clone(t.shape), data)
}

// mapKeepInt applies f element-wise, keeping an int tensor int (a bool
// tensor becomes int); f must map integers to integers.
func (t *Tensor) mapKeepInt(f func(float64) float64) *Tensor {
	out := t.mapFloat(f)
	if out.err == nil && t.kind != floatKind {
		for i, v := range t.data {
			out.data[i] = f(v)
		}
		out.kind = intKind
	}
	return out
}

// zip applies f to the broadcast elements of t and o. Two non-float
// tensors give a tensor of kind ints (intKind, or floatKind for true
// division); anything with a float gives a float tensor.
func (t *Tensor) zip(op string, o *Tensor, ints kind, f func(a, b float64) float64) *Tensor {
	shape, ia, ib, err := t.pair(op, o)
	if err != nil {
		return failed(err)
	}
	data := make([]float64, len(ia))
	for i := range data {
		data[i] = f(t.data[ia[i]], o.data[ib[i]])
	}
	return withKind(shape, data, promote(t.kind, o.kind, ints))
}

// compare is a broadcasting comparison giving a bool tensor.
func (t *Tensor) compare(op string, o *Tensor, f func(a, b float64) bool) *Tensor {
	shape, ia, ib, err := t.pair(op, o)
	if err != nil {
		return failed(err)
	}
	data := make([]float64, len(ia))
	for i := range data {
		data[i] = boolValue(f(t.data[ia[i]], o.data[ib[i]]))
	}
	return &Tensor{shape: shape, data: data, kind: boolKind}
}

// pair broadcasts t and o: the result's shape and, for each of its
// elements, the index into t's and o's data.
func (t *Tensor) pair(op string, o *Tensor) (shape, ia, ib []int, err error) {
	if t.Err() != nil {
		return nil, nil, nil, t.Err()
	}
	if o.Err() != nil {
		return nil, nil, nil, o.Err()
	}
	if shape, err = broadcastShapes(t.shape, o.shape); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	return shape, broadcastIndex(t.shape, shape), broadcastIndex(o.shape, shape), nil
}

// broadcastShapes is PyTorch's (NumPy's) broadcasting: shapes are aligned
// on their last dimensions, and each pair of sizes must be equal or one of
// them 1.
func broadcastShapes(shapes ...[]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		for i, n := range s {
			j := rank - len(s) + i
			switch {
			case n == out[j] || n == 1:
			case out[j] == 1:
				out[j] = n
			default:
				names := make([]string, len(shapes))
				for k, s := range shapes {
					names[k] = fmt.Sprint(s)
				}
				return nil, fmt.Errorf("shapes %s do not broadcast: sizes %d and %d at dimension %d from the end (sizes must be equal, or one of them 1)",
					strings.Join(names, " and "), out[j], n, rank-j)
			}
		}
	}
	return out, nil
}

// broadcastIndex gives, for each element of a tensor of shape out, the
// index of the element of a tensor of shape s (broadcast to out) it reads.
func broadcastIndex(s, out []int) []int {
	n, _ := numel(out)
	strides := make([]int, len(out))
	stride := 1
	for i := len(s) - 1; i >= 0; i-- {
		j := len(out) - len(s) + i
		if s[i] != 1 {
			strides[j] = stride
		}
		stride *= s[i]
	}
	idx := make([]int, len(out))
	res := make([]int, n)
	for k := range res {
		o := 0
		for i, v := range idx {
			o += v * strides[i]
		}
		res[k] = o
		for i := len(idx) - 1; i >= 0; i-- {
			if idx[i]++; idx[i] < out[i] {
				break
			}
			idx[i] = 0
		}
	}
	return res
}

// promote is the kind of a result of a and b: ints when neither is float
// (for arithmetic on integers: intKind, or floatKind for true division),
// else float.
func promote(a, b, ints kind) kind {
	if a == floatKind || b == floatKind {
		return floatKind
	}
	return ints
}

// withKind wraps data as a tensor of kind k (rounding floats to float32).
func withKind(shape []int, data []float64, k kind) *Tensor {
	if k == floatKind {
		return newFloat(shape, data)
	}
	return &Tensor{shape: shape, data: data, kind: k}
}

// dtype is the tensor's PyTorch dtype name.
func (t *Tensor) dtype() string {
	return [...]string{"float32", "int64", "bool"}[t.kind]
}

// alongDim computes softmax (or log-softmax) over dim.
func (t *Tensor) alongDim(op string, dim int, logOut bool) *Tensor {
	if t.Err() != nil {
		return failed(t.Err())
	}
	rank := len(t.shape)
	d, ok := wrapIndex(dim, rank)
	if !ok {
		return failed(fmt.Errorf("%s(%d): dim out of range for a %d-D tensor (use 0…%d or -1 for the last)", op, dim, rank, rank-1))
	}
	n := t.shape[d]
	inner := 1
	for _, s := range t.shape[d+1:] {
		inner *= s
	}
	outer := len(t.data) / max(n*inner, 1)
	out := make([]float64, len(t.data))
	for o := range outer {
		for in := range inner {
			at := func(k int) int { return (o*n+k)*inner + in }
			m := math.Inf(-1)
			for k := range n {
				m = math.Max(m, t.data[at(k)])
			}
			sum := 0.0
			for k := range n {
				sum += math.Exp(t.data[at(k)] - m)
			}
			for k := range n {
				if logOut {
					out[at(k)] = t.data[at(k)] - m - math.Log(sum)
				} else {
					out[at(k)] = math.Exp(t.data[at(k)]-m) / sum
				}
			}
		}
	}
	return newFloat(slices.Clone(t.shape), out)
}
