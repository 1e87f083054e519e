package tensor_test

import (
	"fmt"
	"math"

	"github.com/fastgo-ml/fastgo/fastgo/tensor"
)

// bookActs are the activations the chapter prints after
// `acts = torch.randn((6,2))*2` (rounded to 4 decimals by the print).
// Randn cannot reproduce them: it is not PyTorch's generator.
var bookActs = [][]float64{
	{0.6734, 0.2576},
	{0.4689, 0.4607},
	{-2.2457, -0.3727},
	{4.4164, -1.2760},
	{0.9233, 0.5347},
	{1.0698, 1.6187},
}

// The chapter's cross-entropy walk-through, cell by cell. The book computed
// on the unrounded activations, so three values differ from its print in the
// last decimal: row 1's softmax 0.5020/0.4980 (book 0.5021/0.4979; the
// difference of the rounded activations, 0.0082, puts the sigmoid at
// 0.50205, on the rounding boundary), item 2's loss 2.0159 (book 2.0160)
// and the mean 1.8044 (book 1.8045).
func Example_crossEntropyChapter() {
	acts := tensor.New(bookActs) // acts = torch.randn((6,2))*2
	fmt.Println(acts)
	fmt.Println(acts.Sigmoid())                         // acts.sigmoid()
	fmt.Println(acts.Col(0).Sub(acts.Col(1)).Sigmoid()) // (acts[:,0]-acts[:,1]).sigmoid()
	smActs := acts.Softmax(1)                           // sm_acts = torch.softmax(acts, dim=1)
	fmt.Println(smActs)
	targ := tensor.New([]int{0, 1, 0, 1, 1, 0}) // targ = tensor([0,1,0,1,1,0])
	fmt.Println(targ)
	idx := tensor.Range(6)                     // idx = range(6)
	fmt.Println(smActs.Index(idx, targ))       // sm_acts[idx, targ]
	fmt.Println(smActs.Index(idx, targ).Neg()) // -sm_acts[idx, targ]
	fmt.Println(tensor.NLLLoss(smActs, targ, "none"))
	fmt.Println(tensor.CrossEntropy(acts, targ, "mean")) // nn.CrossEntropyLoss()(acts, targ)
	fmt.Println(tensor.CrossEntropy(acts, targ, "none")) // nn.CrossEntropyLoss(reduction='none')(acts, targ)
	// Output:
	// tensor([[ 0.6734,  0.2576],
	//         [ 0.4689,  0.4607],
	//         [-2.2457, -0.3727],
	//         [ 4.4164, -1.2760],
	//         [ 0.9233,  0.5347],
	//         [ 1.0698,  1.6187]])
	// tensor([[0.6623, 0.5640],
	//         [0.6151, 0.6132],
	//         [0.0957, 0.4079],
	//         [0.9881, 0.2182],
	//         [0.7157, 0.6306],
	//         [0.7446, 0.8346]])
	// tensor([0.6025, 0.5020, 0.1332, 0.9966, 0.5959, 0.3661])
	// tensor([[0.6025, 0.3975],
	//         [0.5020, 0.4980],
	//         [0.1332, 0.8668],
	//         [0.9966, 0.0034],
	//         [0.5959, 0.4041],
	//         [0.3661, 0.6339]])
	// tensor([0, 1, 0, 1, 1, 0])
	// tensor([0.6025, 0.4980, 0.1332, 0.0034, 0.4041, 0.3661])
	// tensor([-0.6025, -0.4980, -0.1332, -0.0034, -0.4041, -0.3661])
	// tensor([-0.6025, -0.4980, -0.1332, -0.0034, -0.4041, -0.3661])
	// tensor(1.8044)
	// tensor([0.5067, 0.6973, 2.0159, 5.6958, 0.9062, 1.0048])
}

// Log-softmax mixes magnitudes from 0.0034 to 5.7, over PyTorch's 1000×
// ratio, so it prints in scientific notation as PyTorch would.
func ExampleTensor_LogSoftmax() {
	acts := tensor.New(bookActs)
	fmt.Println(acts.LogSoftmax(1).Row(3))
	fmt.Println(acts.Softmax(1).Log().Row(0)) // torch.log(sm_acts)[0]
	// Output:
	// tensor([-3.3658e-03, -5.6958e+00])
	// tensor([-0.5067, -0.9225])
}

// Randn is seeded; multiply it by 2 as the chapter does. Its values are not
// torch.randn's.
func ExampleRandn() {
	acts := tensor.Randn(42, 6, 2).MulScalar(2)
	fmt.Println(acts.Shape())
	again := tensor.Randn(42, 6, 2).MulScalar(2)
	fmt.Println(acts.String() == again.String())
	// Output:
	// [6 2]
	// true
}

// Errors travel along a chain and show where the tensor is printed.
func ExampleTensor_Err() {
	acts := tensor.New(bookActs)
	bad := acts.Col(2).Sigmoid()
	fmt.Println(bad.Err())
	fmt.Println(bad)
	// Output:
	// Col(2): index out of range for 2 columns
	// tensor(error: Col(2): index out of range for 2 columns)
}

// The chapter's softmax written by hand, `exp(x)/exp(x).sum(dim=1,
// keepdim=True)`: a reduction that keeps its dimension, then broadcasting
// division. Outputs are PyTorch 1.13's prints of the same expressions.
func ExampleTensor_SumDim() {
	acts := tensor.New(bookActs)
	fmt.Println(acts.Exp().SumDim(1, true))
	fmt.Println(acts.Exp().Div(acts.Exp().SumDim(1, true)))
	fmt.Println(acts.SumDim(0, false))
	// Output:
	// tensor([[ 3.2547],
	//         [ 3.1834],
	//         [ 0.7947],
	//         [83.0768],
	//         [ 4.2245],
	//         [ 7.9613]])
	// tensor([[0.6025, 0.3975],
	//         [0.5020, 0.4980],
	//         [0.1332, 0.8668],
	//         [0.9966, 0.0034],
	//         [0.5959, 0.4041],
	//         [0.3661, 0.6339]])
	// tensor([5.3061, 1.2230])
}

// The binary loss of the chapter's text, `torch.where(targ==1, 1-inputs,
// inputs)`: a comparison gives a bool tensor, Where picks per element,
// and a 0-d tensor broadcasts against a vector.
func ExampleWhere() {
	acts := tensor.New(bookActs)
	targ := tensor.New([]int{0, 1, 0, 1, 1, 0})
	inputs := acts.Softmax(1).Col(0)
	isOne := targ.Eq(tensor.New(1))
	fmt.Println(isOne)
	loss := tensor.Where(isOne, tensor.New(1.0).Sub(inputs), inputs)
	fmt.Println(loss)
	fmt.Println(loss.Mean())
	fmt.Println(isOne.Sum())
	fmt.Println(acts.Gt(tensor.New(0.0)))
	// Output:
	// tensor([False,  True, False,  True,  True, False])
	// tensor([0.6025, 0.4980, 0.1332, 0.0034, 0.4041, 0.3661])
	// tensor(0.3345)
	// tensor(3)
	// tensor([[ True,  True],
	//         [ True,  True],
	//         [False, False],
	//         [ True, False],
	//         [ True,  True],
	//         [ True,  True]])
}

// nn.CrossEntropyLoss() is an object you call; F.cross_entropy a function.
func ExampleCrossEntropyLoss() {
	acts := tensor.New(bookActs)
	targ := tensor.New([]int{0, 1, 0, 1, 1, 0})
	lossFunc := tensor.CrossEntropyLoss{} // nn.CrossEntropyLoss()
	fmt.Println(lossFunc.Call(acts, targ))
	fmt.Println(tensor.CrossEntropy(acts, targ, "mean")) // F.cross_entropy(acts, targ)
	fmt.Println(tensor.New([]int{1, 2, 3}).Add(tensor.New([][]int{{10}, {20}})))
	// Output:
	// tensor(1.8044)
	// tensor(1.8044)
	// tensor([[11, 12, 13],
	//         [21, 22, 23]])
}

// FormatRepr prints a float as Python's print(x) does (the values below
// were printed by python3).
func ExampleFormatRepr() {
	for _, v := range []float64{0, 100000, 0.27313947677612305, 1e-05, 0.0001, 1.5e16, 123456789, math.Copysign(0, -1), math.NaN(), math.Inf(-1), 1.0 / 3} {
		fmt.Println(tensor.FormatRepr(v))
	}
	// Output:
	// 0.0
	// 100000.0
	// 0.27313947677612305
	// 1e-05
	// 0.0001
	// 1.5e+16
	// 123456789.0
	// -0.0
	// nan
	// -inf
	// 0.3333333333333333
}
