package models

import (
	"fmt"

	"github.com/fastgo-ml/fastgo/internal/ops"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Head is fastai's create_head(nf, nClasses) with its defaults (concat
// pooling, lin_ftrs [2·nf, 512, nClasses], ps 0.5, first BN): on the body's
// feature map [B,h,w,nf] it returns the logits [B,nClasses] of
//
//	AdaptiveConcatPool2d (max, then avg) → Flatten →
//	BatchNorm1d(2·nf) → Dropout(0.25) → Linear(2·nf, 512, no bias) → ReLU →
//	BatchNorm1d(512) → Dropout(0.5) → Linear(512, nClasses, no bias)
//
// Variables are created in scope under fastai's module indices, so that the
// head's state-dict key "1.4.weight" of a fastai learner is the variable
// "4/weight": BatchNorms "2" and "6" (weight 1, bias 1e-3, as fastai's
// BatchNorm), Linears "4" and "8" ([out,in], kaiming-normal std √(2/in)).
// Dropout draws its mask from the store's random generator (seed it with
// Store.SetRNGStateFromSeed for repeatable runs) and is off when !train.
func Head(scope *model.Scope, features *graph.Node, nClasses int, train bool) *graph.Node {
	if features.Rank() != 4 || nClasses < 1 {
		panic(fmt.Sprintf("models.Head: want features [B,h,w,nf] and nClasses ≥ 1, got %s and %d", features.Shape(), nClasses))
	}
	scope = scope.ResetVisited() // the same scope builds the head in every graph
	x := AdaptiveConcatPool(features)
	x = ops.BatchNormWith(scope.In("2"), x, train, ops.FastaiBatchNorm)
	x = Dropout(scope, x, 0.25, train)
	x = ops.ReLU(linear(scope.In("4"), x, 512))
	x = ops.BatchNormWith(scope.In("6"), x, train, ops.FastaiBatchNorm)
	x = Dropout(scope, x, 0.5, train)
	return linear(scope.In("8"), x, nClasses)
}

// AdaptiveConcatPool is fastai's AdaptiveConcatPool2d(1) followed by
// Flatten: the spatial maximum, then the spatial mean, of [B,h,w,nf]
// features, concatenated to [B,2·nf].
func AdaptiveConcatPool(features *graph.Node) *graph.Node {
	return graph.Concatenate([]*graph.Node{ops.AdaptiveMaxPool1x1(features), ops.AdaptiveAvgPool1x1(features)}, 1)
}

// linear is a bias-free Linear(in, out) with fastai's kaiming-normal init.
func linear(scope *model.Scope, x *graph.Node, out int) *graph.Node {
	w := ops.ParamFor(scope.WithInitializer(ops.KaimingNormal(scope, false)).
		VariableWithShape("weight", shapes.Make(ops.MasterDType(x.DType()), out, x.Shape().Dim(-1))), x)
	return ops.Linear(x, w)
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
