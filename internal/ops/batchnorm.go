package ops

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// BatchNormConfig holds a batch normalisation's constants.
type BatchNormConfig struct {
	// Eps is added to the variance before the square root (torch: 1e-5).
	Eps float64
	// Momentum is the weight of the batch statistics in the running
	// statistics update (torch: 0.1).
	Momentum float64
	// BiasInit is the initial value of the bias (torch: 0; fastai's BatchNorm: 1e-3).
	BiasInit float64
}

// TorchBatchNorm is torch's BatchNorm2d/BatchNorm1d: eps 1e-5, momentum 0.1, bias 0.
var TorchBatchNorm = BatchNormConfig{Eps: 1e-5, Momentum: 0.1}

// FastaiBatchNorm is fastai's BatchNorm (used in its heads): torch's with bias 1e-3.
var FastaiBatchNorm = BatchNormConfig{Eps: 1e-5, Momentum: 0.1, BiasInit: 1e-3}

// Variable names, as in torch's state dict.
const (
	BNWeight      = "weight"
	BNBias        = "bias"
	BNRunningMean = "running_mean"
	BNRunningVar  = "running_var"
)

// BatchNorm is [BatchNormWith] using [TorchBatchNorm].
func BatchNorm(scope *model.Scope, x *graph.Node, train bool) *graph.Node {
	return BatchNormWith(scope, x, train, TorchBatchNorm)
}

// BatchNormWith normalises x per channel (its last axis: NHWC images or
// [B,C] features) with torch's semantics. In training it uses the batch
// mean and biased variance and updates the running statistics
// (running = (1-momentum)·running + momentum·batch, with the unbiased
// variance n/(n-1)·var as torch does); in evaluation it uses the running
// statistics.
//
// Variables, in scope: weight (init 1) and bias (init cfg.BiasInit),
// trainable; running_mean (0) and running_var (1), not trainable.
//
// Training on one value per channel (a batch of one item through a
// [B,C] batch norm) panics with an *[InputError] carrying PyTorch's
// message, "expected more than 1 value per channel when training": the
// batch variance would be 0 and the running variance would drift to 0.
//
// In training the variance is computed in two passes, as PyTorch's CPU
// kernel does: mean = Σx/n, then var = Σ(x-mean)²/n, and y = (x-mean)·scale
// + bias with per-channel scale = weight/√(var+eps). (The one-pass
// E[x²]-E[x]² cancels catastrophically in float32: against torchvision's
// resnet18 it put the loss 10× further from float64 than PyTorch float32
// and some gradients 1e-1 off.) In evaluation y = x·scale + shift with
// shift = bias - running_mean·scale, one multiply-add per element. The
// per-channel sums and operations are those of channel.go. The gradient is GoMLX's automatic one through
// these expressions (1/Sqrt rather than Rsqrt, which has no gradient in
// GoMLX).
func BatchNormWith(scope *model.Scope, x *graph.Node, train bool, cfg BatchNormConfig) *graph.Node {
	return batchNorm(Auto, scope, x, train, cfg)
}

func batchNorm(l Lowering, scope *model.Scope, x *graph.Node, train bool, cfg BatchNormConfig) *graph.Node {
	if x.Rank() < 2 {
		panic(fmt.Sprintf("ops.BatchNorm(%s): want x with a batch and a channel axis, got %s", scope.Scope(), x.Shape()))
	}
	// In mixed precision the statistics and parameters stay float32 (half
	// precision loses too much in the variance); the output returns to x's dtype.
	outDType, dims := x.DType(), x.Shape().Dimensions
	if master := MasterDType(outDType); master != outDType {
		x = graph.ConvertDType(x, master)
	}
	g := x.Graph()
	c := x.Shape().Dim(-1)
	n := x.Shape().Size() / c
	if train && n == 1 {
		// The batch variance of one value is 0: the output would be the
		// bias alone and the running variance would drift to 0 (NaN weights
		// later). PyTorch refuses it with the same words.
		panic(&InputError{Op: fmt.Sprintf("ops.BatchNorm(%s)", scope.Scope()),
			Msg: fmt.Sprintf("expected more than 1 value per channel when training, got input of shape %v (a training batch of one item): use a batch size of at least 2 (fastgo.WithBatchSize)", x.Shape().Dimensions)})
	}
	rows := graph.Reshape(x, n, c)
	vars := BatchNormVariables(scope, x.DType(), c, cfg)
	gamma, beta := vars[0].NodeValue(g), vars[1].NodeValue(g)
	runMean, runVar := vars[2], vars[3]

	var y *graph.Node
	if train {
		// Two passes, as PyTorch's CPU kernel: the mean, then the mean of
		// the squared deviations. The one-pass E[x²]-E[x]² loses most of
		// float32's digits when the mean is large against the spread, and
		// its error reaches the gradients through ReLUs that flip.
		mean := graph.DivScalar(channelSum(l, rows), float64(n))
		centered := channelSub(l, rows, mean)
		variance := graph.DivScalar(channelSum(l, graph.Square(centered)), float64(n))
		unbiased := graph.StopGradient(variance)
		if n > 1 {
			unbiased = graph.MulScalar(unbiased, float64(n)/float64(n-1))
		}
		m := cfg.Momentum
		runMean.SetNodeValue(graph.Add(graph.MulScalar(runMean.NodeValue(g), 1-m), graph.MulScalar(graph.StopGradient(mean), m)))
		runVar.SetNodeValue(graph.Add(graph.MulScalar(runVar.NodeValue(g), 1-m), graph.MulScalar(unbiased, m)))
		scale := graph.Div(gamma, graph.Sqrt(graph.AddScalar(variance, cfg.Eps)))
		y = channelAdd(l, channelMul(l, centered, scale), beta)
	} else {
		mean, variance := runMean.NodeValue(g), runVar.NodeValue(g)
		scale := graph.Div(gamma, graph.Sqrt(graph.AddScalar(variance, cfg.Eps)))
		shift := graph.Sub(beta, graph.Mul(mean, scale))
		y = channelAdd(l, channelMul(l, rows, scale), shift)
	}
	y = graph.Reshape(y, dims...)
	if y.DType() != outDType {
		y = graph.ConvertDType(y, outDType)
	}
	return y
}

// BatchNormVariables creates (or returns) the four variables of a batch
// normalisation over c channels in scope: weight, bias, running_mean,
// running_var, in that order.
func BatchNormVariables(scope *model.Scope, dtype dtypes.DType, c int, cfg BatchNormConfig) [4]*model.Variable {
	shape := shapes.Make(dtype, c)
	return [4]*model.Variable{
		scope.WithInitializer(ConstantInit(1)).VariableWithShape(BNWeight, shape),
		scope.WithInitializer(ConstantInit(cfg.BiasInit)).VariableWithShape(BNBias, shape),
		scope.WithInitializer(ConstantInit(0)).VariableWithShape(BNRunningMean, shape).SetTrainable(false),
		scope.WithInitializer(ConstantInit(1)).VariableWithShape(BNRunningVar, shape).SetTrainable(false),
	}
}

// ConstantInit is a variable initializer that fills the variable with v.
func ConstantInit(v float64) model.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		return graph.BroadcastToDims(graph.Scalar(g, shape.DType, v), shape.Dimensions...)
	}
}
