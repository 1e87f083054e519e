package learner

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// EagerTensor is a small dense tensor computed immediately in plain Go, for
// the chapter's cells that explain cross-entropy on a handful of numbers
// (`acts.sigmoid()`, `torch.softmax(acts, dim=1)`, `F.nll_loss(...)`). It is
// not for training: the learner's losses run inside the GoMLX graph.
//
// Values are float32 like PyTorch's default dtype (each operation computes
// in float64 and rounds its result to float32), or int64 for index tensors
// such as `tensor([0, 1, 0, 1, 1, 0])`. It prints like PyTorch (see
// [EagerTensor.String]).
//
// Errors are sticky, as in bufio.Scanner: an operation on bad input (shapes
// that do not match, an index out of range, an unknown reduction) returns a
// tensor that carries the error instead of panicking; every later operation
// passes it on, Err returns it and String prints it. So a chain such as
// `acts.Col(0).Sub(acts.Col(1)).Sigmoid()` needs one check at the end.
type EagerTensor struct {
	shape []int
	data  []float64 // row-major; float32-representable, or integers when isInt
	isInt bool
	err   error
}

// TensorLiteral is what [Tensor] accepts: a Go scalar, slice or nested slice
// of floats (a float tensor) or of ints (an int64 tensor).
type TensorLiteral interface {
	float64 | []float64 | [][]float64 | [][][]float64 |
		float32 | []float32 | [][]float32 | [][][]float32 |
		int | []int | [][]int | [][][]int
}

// Tensor is PyTorch's `tensor(...)` literal: Tensor([]int{0, 1, 0, 1, 1, 0})
// is `tensor([0,1,0,1,1,0])`, Tensor([][]float64{{0.6734, 0.2576}, ...}) a
// float matrix. Nested slices must be rectangular; a ragged one gives a
// tensor carrying the error.
func Tensor[V TensorLiteral](v V) *EagerTensor {
	switch x := any(v).(type) {
	case float64:
		return newFloat(nil, []float64{x})
	case float32:
		return newFloat(nil, []float64{float64(x)})
	case int:
		return &EagerTensor{shape: []int{}, data: []float64{float64(x)}, isInt: true}
	case []float64:
		return newFloat([]int{len(x)}, slices.Clone(x))
	case []float32:
		return newFloat([]int{len(x)}, widen(x))
	case []int:
		return &EagerTensor{shape: []int{len(x)}, data: intsToFloats(x), isInt: true}
	case [][]float64:
		return fromRows(x, false, func(r []float64) []float64 { return r })
	case [][]float32:
		return fromRows(x, false, widen)
	case [][]int:
		return fromRows(x, true, intsToFloats)
	case [][][]float64:
		return stack3(x, func(m [][]float64) *EagerTensor { return Tensor(m) })
	case [][][]float32:
		return stack3(x, func(m [][]float32) *EagerTensor { return Tensor(m) })
	case [][][]int:
		return stack3(x, func(m [][]int) *EagerTensor { return Tensor(m) })
	}
	panic("unreachable: TensorLiteral covers every case")
}

// TensorFromData is a float tensor with the given row-major data and shape
// (no shape means 1-D). The data is copied and rounded to float32.
func TensorFromData(data []float64, shape ...int) *EagerTensor {
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	if n, err := numel(shape); err != nil {
		return failed(fmt.Errorf("TensorFromData: %w", err))
	} else if n != len(data) {
		return failed(fmt.Errorf("TensorFromData: shape %v holds %d values but %d were given; pass a shape whose product is the data length", shape, n, len(data)))
	}
	return newFloat(slices.Clone(shape), slices.Clone(data))
}

// Randn is `torch.randn(shape)`: standard-normal float32 values from a
// generator seeded by seed (a PCG from math/rand/v2, not PyTorch's
// Mersenne Twister, so the numbers differ from torch.manual_seed's). The
// same seed always gives the same values.
func Randn(seed uint64, shape ...int) *EagerTensor {
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
func Range(n int) *EagerTensor {
	if n < 0 {
		return failed(fmt.Errorf("Range(%d): n must not be negative", n))
	}
	data := make([]float64, n)
	for i := range data {
		data[i] = float64(i)
	}
	return &EagerTensor{shape: []int{n}, data: data, isInt: true}
}

// Err is the first error met while computing this tensor, or nil.
func (t *EagerTensor) Err() error {
	if t == nil {
		return errNilTensor
	}
	return t.err
}

// Shape is a copy of the tensor's shape (empty for a scalar).
func (t *EagerTensor) Shape() []int {
	if t.Err() != nil {
		return nil
	}
	return slices.Clone(t.shape)
}

// Data is a copy of the values in row-major order.
func (t *EagerTensor) Data() []float64 {
	if t.Err() != nil {
		return nil
	}
	return slices.Clone(t.data)
}

// IsInt says whether this is an integer (int64) tensor.
func (t *EagerTensor) IsInt() bool { return t.Err() == nil && t.isInt }

// Item is `t.item()`: the value of a tensor holding exactly one element.
func (t *EagerTensor) Item() (float64, error) {
	if err := t.Err(); err != nil {
		return 0, err
	}
	if len(t.data) != 1 {
		return 0, fmt.Errorf("Item: tensor of shape %v has %d elements; only one-element tensors have an item", t.shape, len(t.data))
	}
	return t.data[0], nil
}

// Float is `t.float()`: the same values as a float tensor.
func (t *EagerTensor) Float() *EagerTensor { return t.mapFloat(func(v float64) float64 { return v }) }

// Neg is `-t`.
func (t *EagerTensor) Neg() *EagerTensor { return t.mapKeepInt(func(v float64) float64 { return -v }) }

// MulScalar is `t * s`. An int tensor times an integral s stays an int tensor.
func (t *EagerTensor) MulScalar(s float64) *EagerTensor {
	if s == math.Trunc(s) {
		return t.mapKeepInt(func(v float64) float64 { return v * s })
	}
	return t.mapFloat(func(v float64) float64 { return v * s })
}

// AddScalar is `t + s`. An int tensor plus an integral s stays an int tensor.
func (t *EagerTensor) AddScalar(s float64) *EagerTensor {
	if s == math.Trunc(s) {
		return t.mapKeepInt(func(v float64) float64 { return v + s })
	}
	return t.mapFloat(func(v float64) float64 { return v + s })
}

// Add is `t + o` for tensors of the same shape (or o a one-element tensor).
func (t *EagerTensor) Add(o *EagerTensor) *EagerTensor {
	return t.zip("Add", o, true, func(a, b float64) float64 { return a + b })
}

// Sub is `t - o` for tensors of the same shape (or o a one-element tensor).
func (t *EagerTensor) Sub(o *EagerTensor) *EagerTensor {
	return t.zip("Sub", o, true, func(a, b float64) float64 { return a - b })
}

// Mul is `t * o` element-wise, for tensors of the same shape (or o a
// one-element tensor).
func (t *EagerTensor) Mul(o *EagerTensor) *EagerTensor {
	return t.zip("Mul", o, true, func(a, b float64) float64 { return a * b })
}

// Div is `t / o` element-wise (true division: the result is float).
func (t *EagerTensor) Div(o *EagerTensor) *EagerTensor {
	return t.zip("Div", o, false, func(a, b float64) float64 { return a / b })
}

// Sigmoid is `t.sigmoid()`: 1/(1+e^-x) element-wise.
func (t *EagerTensor) Sigmoid() *EagerTensor { return t.mapFloat(sigmoid) }

// Exp is `t.exp()` (torch.exp).
func (t *EagerTensor) Exp() *EagerTensor { return t.mapFloat(math.Exp) }

// Log is `t.log()` (torch.log, the natural logarithm).
func (t *EagerTensor) Log() *EagerTensor { return t.mapFloat(math.Log) }

// Softmax is `torch.softmax(t, dim)`: exp(x)/sum(exp(x)) along dim
// (negative dims count from the end, -1 is the last).
func (t *EagerTensor) Softmax(dim int) *EagerTensor { return t.alongDim("Softmax", dim, false) }

// LogSoftmax is `torch.log_softmax(t, dim)` (F.log_softmax), computed as
// x - max - log(sum(exp(x - max))) so that it is exact where Softmax(dim).Log()
// would round small probabilities to 0.
func (t *EagerTensor) LogSoftmax(dim int) *EagerTensor { return t.alongDim("LogSoftmax", dim, true) }

// Sum is `t.sum()`: the sum of every element, as a scalar tensor.
func (t *EagerTensor) Sum() *EagerTensor {
	if t.Err() != nil {
		return failed(t.Err())
	}
	s := 0.0
	for _, v := range t.data {
		s += v
	}
	if t.isInt {
		return &EagerTensor{shape: []int{}, data: []float64{s}, isInt: true}
	}
	return newFloat([]int{}, []float64{s})
}

// Mean is `t.mean()`: the mean of every element, as a float scalar tensor
// (NaN for an empty tensor, as in PyTorch).
func (t *EagerTensor) Mean() *EagerTensor {
	if t.Err() != nil {
		return failed(t.Err())
	}
	if t.isInt {
		return failed(errors.New("Mean: PyTorch has no mean of an int tensor either; call Float() first"))
	}
	s := 0.0
	for _, v := range t.data {
		s += v
	}
	return newFloat([]int{}, []float64{s / float64(len(t.data))})
}

// Col is `t[:, j]`: column j of a 2-D tensor (negative j counts from the end).
func (t *EagerTensor) Col(j int) *EagerTensor {
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
	return &EagerTensor{shape: []int{rows}, data: data, isInt: t.isInt}
}

// Row is `t[i]`: the (n-1)-D sub-tensor at index i of the first dimension
// (negative i counts from the end).
func (t *EagerTensor) Row(i int) *EagerTensor {
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
	return &EagerTensor{shape: slices.Clone(t.shape[1:]), data: slices.Clone(t.data[ii*size : (ii+1)*size]), isInt: t.isInt}
}

// Index is `t[rows, cols]` for a 2-D t and two 1-D int tensors of the same
// length: element k of the result is t[rows[k], cols[k]]. It is how the
// chapter picks each item's probability of its target:
// `smActs.Index(learner.Range(6), targ)` is `sm_acts[range(6), targ]`.
func (t *EagerTensor) Index(rows, cols *EagerTensor) *EagerTensor {
	for _, x := range []*EagerTensor{t, rows, cols} {
		if x.Err() != nil {
			return failed(x.Err())
		}
	}
	if len(t.shape) != 2 {
		return failed(fmt.Errorf("Index: tensor of shape %v is not 2-D", t.shape))
	}
	if !rows.isInt || !cols.isInt || len(rows.shape) != 1 || len(cols.shape) != 1 || rows.shape[0] != cols.shape[0] {
		return failed(fmt.Errorf("Index: rows %v and cols %v must be 1-D int tensors of the same length (e.g. learner.Range(n) and the targets)", rows.shape, cols.shape))
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
	return &EagerTensor{shape: []int{len(data)}, data: data, isInt: t.isInt}
}

// NLLLoss is `F.nll_loss(input, targ, reduction=...)`: for input [N,C] and
// int targets [N] it is -input[i, targ[i]] per item, then reduced by
// reduction "none" (the N values), "mean" or "sum". Despite its name it
// takes no log: the chapter applies it to softmax outputs to show that, and
// to log-softmax outputs to get cross-entropy.
func NLLLoss(input, targ *EagerTensor, reduction string) *EagerTensor {
	for _, x := range []*EagerTensor{input, targ} {
		if x.Err() != nil {
			return failed(x.Err())
		}
	}
	if len(input.shape) != 2 {
		return failed(fmt.Errorf("NLLLoss: input of shape %v must be 2-D [items, classes]", input.shape))
	}
	if !targ.isInt || len(targ.shape) != 1 || targ.shape[0] != input.shape[0] {
		return failed(fmt.Errorf("NLLLoss: targets (shape %v) must be a 1-D int tensor with one class index per input row (%d rows)", targ.shape, input.shape[0]))
	}
	return reduce("NLLLoss", input.Index(Range(input.shape[0]), targ).Neg(), reduction)
}

// CrossEntropy is `F.cross_entropy(acts, targ, reduction=...)` and
// `nn.CrossEntropyLoss(reduction=...)(acts, targ)` for acts [N, C] and int
// targets [N]: NLLLoss(acts.LogSoftmax(1), targ, reduction). reduction is
// "mean" (PyTorch's default), "sum" or "none".
func CrossEntropy(acts, targ *EagerTensor, reduction string) *EagerTensor {
	return NLLLoss(acts.LogSoftmax(1), targ, reduction)
}

func reduce(op string, t *EagerTensor, reduction string) *EagerTensor {
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

var errNilTensor = errors.New("nil *EagerTensor: build tensors with learner.Tensor, Randn, Range or TensorFromData")

func failed(err error) *EagerTensor { return &EagerTensor{err: err} }

// newFloat rounds data to float32 in place and wraps it.
func newFloat(shape []int, data []float64) *EagerTensor {
	if shape == nil {
		shape = []int{}
	}
	for i, v := range data {
		data[i] = float64(float32(v))
	}
	return &EagerTensor{shape: shape, data: data}
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

func intsToFloats(x []int) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func fromRows[R any](rows []R, isInt bool, conv func(R) []float64) *EagerTensor {
	var data []float64
	cols := -1
	for i, r := range rows {
		vals := conv(r)
		if cols >= 0 && len(vals) != cols {
			return failed(fmt.Errorf("Tensor: row %d has %d values but row 0 has %d; rows must all have the same length", i, len(vals), cols))
		}
		cols = len(vals)
		data = append(data, vals...)
	}
	cols = max(cols, 0)
	if isInt {
		return &EagerTensor{shape: []int{len(rows), cols}, data: data, isInt: true}
	}
	return newFloat([]int{len(rows), cols}, data)
}

func stack3[M any](mats []M, build func(M) *EagerTensor) *EagerTensor {
	out := &EagerTensor{shape: []int{len(mats), 0, 0}, data: []float64{}}
	for i, m := range mats {
		t := build(m)
		if t.err != nil {
			return failed(fmt.Errorf("matrix %d: %w", i, t.err))
		}
		if i > 0 && !slices.Equal(t.shape, out.shape[1:]) {
			return failed(fmt.Errorf("Tensor: matrix %d has shape %v but matrix 0 has %v; they must match", i, t.shape, out.shape[1:]))
		}
		out.shape = append([]int{len(mats)}, t.shape...)
		out.data = append(out.data, t.data...)
		out.isInt = t.isInt
	}
	if len(mats) == 0 {
		var zero M
		out.isInt = build(zero).isInt
	}
	return out
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// mapFloat applies f element-wise; the result is a float tensor.
func (t *EagerTensor) mapFloat(f func(float64) float64) *EagerTensor {
	if t.Err() != nil {
		return failed(t.Err())
	}
	data := make([]float64, len(t.data))
	for i, v := range t.data {
		data[i] = f(v)
	}
	return newFloat(slices.Clone(t.shape), data)
}

// mapKeepInt applies f element-wise, keeping the tensor's kind; f must map
// integers to integers.
func (t *EagerTensor) mapKeepInt(f func(float64) float64) *EagerTensor {
	out := t.mapFloat(f)
	if out.err == nil && t.isInt {
		for i, v := range t.data {
			out.data[i] = f(v)
		}
		out.isInt = true
	}
	return out
}

// zip applies f to matching elements of t and o (o may be one element,
// broadcast). keepInt: two int tensors give an int tensor.
func (t *EagerTensor) zip(op string, o *EagerTensor, keepInt bool, f func(a, b float64) float64) *EagerTensor {
	if t.Err() != nil {
		return failed(t.Err())
	}
	if o.Err() != nil {
		return failed(o.Err())
	}
	if !slices.Equal(t.shape, o.shape) && len(o.data) != 1 {
		return failed(fmt.Errorf("%s: shapes %v and %v differ; use tensors of the same shape or a one-element tensor", op, t.shape, o.shape))
	}
	data := make([]float64, len(t.data))
	for i, a := range t.data {
		b := o.data[0]
		if len(o.data) == len(t.data) {
			b = o.data[i]
		}
		data[i] = f(a, b)
	}
	if keepInt && t.isInt && o.isInt {
		return &EagerTensor{shape: slices.Clone(t.shape), data: data, isInt: true}
	}
	return newFloat(slices.Clone(t.shape), data)
}

// alongDim computes softmax (or log-softmax) over dim.
func (t *EagerTensor) alongDim(op string, dim int, logOut bool) *EagerTensor {
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
