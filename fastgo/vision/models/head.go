package models

import (
	"fmt"

	"github.com/fastgo-ml/fastgo/internal/ops"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// HeadSpec is the layout of fastai's classifier head: create_head with
// concat pooling and one hidden layer, whose width and biases vary between
// fastai versions and learners (lin_ftrs). The zero value is fastai 2's
// default, [DefaultHead].
type HeadSpec struct {
	// Hidden is the hidden layer's width (fastai's lin_ftrs=[Hidden]);
	// 0 means 512, create_head's default.
	Hidden int
	// Bias gives the Linear layers biases, as fastai 1's head has them
	// (bn_drop_lin); fastai 2's LinBnDrop leaves them out after a batch
	// norm.
	Bias bool
}

// DefaultHead is fastai 2's create_head: hidden width 512, no biases.
var DefaultHead = HeadSpec{Hidden: 512}

// HiddenWidth is the hidden layer's width (Hidden, or 512 when 0).
func (h HeadSpec) HiddenWidth() int {
	if h.Hidden == 0 {
		return DefaultHead.Hidden
	}
	return h.Hidden
}

// IsDefault says whether h is [DefaultHead].
func (h HeadSpec) IsDefault() bool { return h.HiddenWidth() == DefaultHead.Hidden && !h.Bias }

// String describes the layout: "head(hidden 512)", "head(hidden 512, bias)".
func (h HeadSpec) String() string {
	s := fmt.Sprintf("head(hidden %d", h.HiddenWidth())
	if h.Bias {
		s += ", bias"
	}
	return s + ")"
}

// The head's layers that hold weights, by their index in fastai's
// create_head nn.Sequential (and so their state-dict keys, "4.weight", and
// their scopes in the head's scope, "4/weight").
const (
	HeadBN1     = "2" // BatchNorm1d(2·nf)
	HeadLinear1 = "4" // Linear(2·nf, Hidden)
	HeadBN2     = "6" // BatchNorm1d(Hidden)
	HeadLinear2 = "8" // Linear(Hidden, nClasses)
)

// Head is [DefaultHead]'s Build: fastai's create_head(nf, nClasses) with
// its defaults.
func Head(scope *model.Scope, features *graph.Node, nClasses int, train bool) *graph.Node {
	return DefaultHead.Build(scope, features, nClasses, train)
}

// Build is fastai's create_head(nf, nClasses, lin_ftrs=[Hidden]) with
// concat pooling, ps 0.5 and the first batch norm: on the body's feature
// map [B,h,w,nf] it returns the logits [B,nClasses] of
//
//	AdaptiveConcatPool2d (max, then avg) → Flatten →
//	BatchNorm1d(2·nf) → Dropout(0.25) → Linear(2·nf, Hidden) → ReLU →
//	BatchNorm1d(Hidden) → Dropout(0.5) → Linear(Hidden, nClasses)
//
// Variables are created in scope under fastai's module indices, so that the
// head's state-dict key "1.4.weight" of a fastai learner is the variable
// "4/weight": BatchNorms "2" and "6" (weight 1, bias 1e-3, as fastai's
// BatchNorm), Linears "4" and "8" ([out,in], kaiming-normal std √(2/in);
// with Bias, a zero-initialised "bias" [out] each, as fastai 1's
// init_default). Dropout draws its mask from the store's random generator
// (seed it with Store.SetRNGStateFromSeed for repeatable runs) and is off
// when !train.
func (h HeadSpec) Build(scope *model.Scope, features *graph.Node, nClasses int, train bool) *graph.Node {
	if features.Rank() != 4 || nClasses < 1 || h.Hidden < 0 {
		panic(fmt.Sprintf("models.Head: want features [B,h,w,nf], nClasses ≥ 1 and a hidden width ≥ 0, got %s, %d and %d", features.Shape(), nClasses, h.Hidden))
	}
	scope = scope.ResetVisited() // the same scope builds the head in every graph
	x := AdaptiveConcatPool(features)
	x = ops.BatchNormWith(scope.In(HeadBN1), x, train, ops.FastaiBatchNorm)
	x = Dropout(scope, x, 0.25, train)
	x = ops.ReLU(linear(scope.In(HeadLinear1), x, h.HiddenWidth(), h.Bias))
	x = ops.BatchNormWith(scope.In(HeadBN2), x, train, ops.FastaiBatchNorm)
	x = Dropout(scope, x, 0.5, train)
	return linear(scope.In(HeadLinear2), x, nClasses, h.Bias)
}

// StateDict lists the head's tensors for nf body features and nClasses
// outputs, keyed as the head's own state_dict() (fastai's learn.model[1]:
// "2.weight" … "8.weight"), in PyTorch's order, without num_batches_tracked.
func (h HeadSpec) StateDict(nf, nClasses int) []TensorSpec {
	var specs []TensorSpec
	lin := func(key string, in, out int) {
		specs = append(specs, TensorSpec{key + ".weight", []int{out, in}})
		if h.Bias {
			specs = append(specs, TensorSpec{key + ".bias", []int{out}})
		}
	}
	specs = append(specs, batchNormSpecs(HeadBN1, 2*nf)...)
	lin(HeadLinear1, 2*nf, h.HiddenWidth())
	specs = append(specs, batchNormSpecs(HeadBN2, h.HiddenWidth())...)
	lin(HeadLinear2, h.HiddenWidth(), nClasses)
	return specs
}

// AdaptiveConcatPool is fastai's AdaptiveConcatPool2d(1) followed by
// Flatten: the spatial maximum, then the spatial mean, of [B,h,w,nf]
// features, concatenated to [B,2·nf].
func AdaptiveConcatPool(features *graph.Node) *graph.Node {
	return graph.Concatenate([]*graph.Node{ops.AdaptiveMaxPool1x1(features), ops.AdaptiveAvgPool1x1(features)}, 1)
}

// linear is Linear(in, out) with fastai's kaiming-normal init, and a
// zero-initialised bias when bias is set.
func linear(scope *model.Scope, x *graph.Node, out int, bias bool) *graph.Node {
	w, b := linearVariables(scope, ops.MasterDType(x.DType()), x.Shape().Dim(-1), out, bias)
	y := ops.Linear(x, ops.ParamFor(w, x))
	if bias {
		y = graph.Add(y, graph.ExpandAxes(ops.ParamFor(b, x), 0))
	}
	return y
}

// linearVariables creates (or returns) a Linear's weight [out, in] and,
// when bias is set, its bias [out] (nil otherwise).
func linearVariables(scope *model.Scope, dtype dtypes.DType, in, out int, bias bool) (w, b *model.Variable) {
	w = scope.WithInitializer(ops.KaimingNormal(scope, false)).VariableWithShape("weight", shapes.Make(dtype, out, in))
	if bias {
		b = scope.WithInitializer(ops.ConstantInit(0)).VariableWithShape("bias", shapes.Make(dtype, out))
	}
	return w, b
}

// FoldBatchNorms derives the head's inference weights from its variables
// in scope (the scope given to Build) for nf body features and nClasses
// outputs: each batch norm is folded into the Linear after it
// (ops.FoldBatchNormBefore; the dropout between them does nothing in
// evaluation), giving the Linears "4" and "8" a weight ([in, out]: see
// ops.LinearFolded) and a bias, keyed by variable path ("/head/4/weight",
// "/head/4/bias", …) and added to into. Variables that do not exist yet are created as Build creates
// them, in the same order. [HeadSpec.BuildFolded] reads the result.
func (h HeadSpec) FoldBatchNorms(scope *model.Scope, g *graph.Graph, nf, nClasses int, into map[string]*graph.Node) {
	scope = scope.ResetVisited()
	in := 2 * nf
	for _, l := range []struct {
		bn, linear string
		out        int
	}{{HeadBN1, HeadLinear1, h.HiddenWidth()}, {HeadBN2, HeadLinear2, nClasses}} {
		var bn [4]*graph.Node
		for i, v := range ops.BatchNormVariables(scope.In("%s", l.bn), dtypes.Float32, in, ops.FastaiBatchNorm) {
			bn[i] = v.NodeValue(g)
		}
		ls := scope.In("%s", l.linear)
		w, b := linearVariables(ls, dtypes.Float32, in, l.out, h.Bias)
		var bias *graph.Node
		if b != nil {
			bias = b.NodeValue(g)
		}
		weight, shift := ops.FoldBatchNormBefore(bn, ops.FastaiBatchNorm.Eps, w.NodeValue(g), bias)
		into[ls.Scope()+"/"+FoldedWeight], into[ls.Scope()+"/"+FoldedBias] = weight, shift
		in = l.out
	}
}

// BuildFolded is [HeadSpec.Build] in evaluation mode on the weights of
// [HeadSpec.FoldBatchNorms], held in scope (of another store, under the
// same paths): concat pooling, Linear with bias, ReLU, Linear with bias.
func (h HeadSpec) BuildFolded(scope *model.Scope, features *graph.Node, nClasses int) *graph.Node {
	if features.Rank() != 4 || nClasses < 1 {
		panic(fmt.Sprintf("models.Head: want features [B,h,w,nf] and nClasses ≥ 1, got %s and %d", features.Shape(), nClasses))
	}
	scope = scope.ResetVisited()
	dense := func(name string, x *graph.Node) *graph.Node {
		s := scope.In("%s", name)
		w, b := foldedVariable(s, FoldedWeight), foldedVariable(s, FoldedBias)
		return ops.LinearFolded(x, ops.ParamFor(w, x), ops.ParamFor(b, x))
	}
	x := ops.ReLU(dense(HeadLinear1, AdaptiveConcatPool(features)))
	return dense(HeadLinear2, x)
}

// Dropout zeroes each element of x with probability p and scales the rest
// by 1/(1-p) when train is true; otherwise it returns x. The mask comes from
// the store's random generator, so it is the same for the same seed.
func Dropout(scope *model.Scope, x *graph.Node, p float64, train bool) *graph.Node {
	if !train || p == 0 {
		return x
	}
	if p < 0 || p >= 1 {
		panic(fmt.Sprintf("models.Dropout: probability must be in [0,1), got %g", p))
	}
	u := scope.RandomUniform(x.Graph(), x.Shape())
	keep := graph.ConvertDType(graph.GreaterOrEqual(u, graph.Scalar(x.Graph(), x.DType(), p)), x.DType())
	return graph.Mul(x, graph.MulScalar(keep, 1/(1-p)))
}
