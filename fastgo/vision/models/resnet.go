package models

import (
	"fmt"
	"path"
	"strings"

	"github.com/fastgo-ml/fastgo/internal/ops"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Arch is a torchvision ResNet architecture: what fastai's vision_learner
// calls the "arch" (resnet18, resnet34, resnet50). Use the predefined
// [ResNet18], [ResNet34], [ResNet50] values.
//
// Its variables are named so that torchvision's state-dict keys map
// one-to-one onto scope paths below the scope given to [Arch.Body]: the key
// "layer1.0.conv1.weight" is the variable "weight" in the sub-scope
// "layer1/0/conv1" (see [VariablePath] and [TorchKey]). Convolution kernels
// are stored OHWI ([out, kh, kw, in], torchvision: OIHW); everything else
// has torchvision's shape.
type Arch struct {
	// Name is torchvision's name, e.g. "resnet34".
	Name string
	// URL is where torchvision's ImageNet weights are downloaded from; its
	// file name carries the first hex digits of the file's SHA-256.
	URL string

	bottleneck bool   // Bottleneck blocks (ResNet50) rather than BasicBlocks
	layers     [4]int // blocks per stage
	width      int    // channels of the stem; stages have width·{1,2,4,8} planes
}

// torchvision's weight files (torchvision ≥ 0.13 "DEFAULT" weights).
const modelsURL = "https://download.pytorch.org/models/"

var (
	// ResNet18 is torchvision's resnet18 (IMAGENET1K_V1 weights).
	ResNet18 = Arch{Name: "resnet18", URL: modelsURL + "resnet18-f37072fd.pth", layers: [4]int{2, 2, 2, 2}, width: 64}
	// ResNet34 is torchvision's resnet34 (IMAGENET1K_V1 weights), the
	// chapter's model.
	ResNet34 = Arch{Name: "resnet34", URL: modelsURL + "resnet34-b627a593.pth", layers: [4]int{3, 4, 6, 3}, width: 64}
	// ResNet50 is torchvision's resnet50 v1.5 (stride on the 3×3 convolution)
	// with its default IMAGENET1K_V2 weights.
	ResNet50 = Arch{Name: "resnet50", URL: modelsURL + "resnet50-11ad3fa6.pth", bottleneck: true, layers: [4]int{3, 4, 6, 3}, width: 64}
	// ResNet50V1 is [ResNet50] with the IMAGENET1K_V1 weights the book used.
	ResNet50V1 = Arch{Name: "resnet50", URL: modelsURL + "resnet50-0676ba61.pth", bottleneck: true, layers: [4]int{3, 4, 6, 3}, width: 64}
)

// String returns the architecture's name.
func (a Arch) String() string { return a.Name }

// File is the base name of the weight file, as cached on disk.
func (a Arch) File() string { return path.Base(a.URL) }

// NumFeatures is the number of channels of the body's output: 512 for
// ResNet18/34, 2048 for ResNet50.
func (a Arch) NumFeatures() int { return 8 * a.width * a.expansion() }

func (a Arch) expansion() int {
	if a.bottleneck {
		return 4
	}
	return 1
}

// Scaled returns the architecture with stem width w instead of 64 (every
// stage scales with it) and the same topology and names: tiny networks for
// tests, such as the one in testdata/weights/tiny_resnet.pth. Its URL is
// unchanged; point it elsewhere before loading weights.
func (a Arch) Scaled(w int) Arch {
	a.width = w
	a.Name = fmt.Sprintf("%s-w%d", a.Name, w)
	return a
}

// Body builds the network up to layer4 — torchvision's children before
// avgpool and fc, fastai's cut=-2 — on x, a normalised NHWC float batch
// [B,H,W,3], and returns the feature map [B,H/32,W/32,NumFeatures].
// Variables are created in scope (see [Arch] for their names). In training
// the batch-norm layers use batch statistics and update their running ones.
func (a Arch) Body(scope *model.Scope, x *graph.Node, train bool) *graph.Node {
	if x.Rank() != 4 || x.Shape().Dim(3) != 3 {
		panic(fmt.Sprintf("models.%s.Body: want a [B,H,W,3] batch, got %s", a.Name, x.Shape()))
	}
	// A fresh visit record: the same scope builds the body in every graph
	// (training, evaluation) a learner compiles.
	scope = scope.ResetVisited()
	x = convBN(scope, "conv1", "bn1", x, a.width, 7, 2, 3, train)
	x = ops.ReLU(x)
	x = ops.MaxPool2D(x, 3, 2, 1)
	for _, b := range a.blocks(x.Shape().Dim(3)) {
		x = b.build(scope.At("layer%d", b.stage).In("%d", b.index), x, train)
	}
	return x
}

// block is one BasicBlock or Bottleneck of the plan.
type block struct {
	stage, index         int // layer<stage>.<index>
	in, planes, out      int
	stride               int
	bottleneck, downsamp bool
}

// key is the block's state-dict prefix, e.g. "layer1.0".
func (b block) key() string { return fmt.Sprintf("layer%d.%d", b.stage, b.index) }

// blocks is the plan of residual blocks shared by Body and the state-dict
// layout: torchvision's _make_layer.
func (a Arch) blocks(in int) []block {
	var plan []block
	for s, n := range a.layers {
		planes := a.width << s
		for i := range n {
			stride := 1
			if i == 0 && s > 0 {
				stride = 2
			}
			out := planes * a.expansion()
			plan = append(plan, block{stage: s + 1, index: i, in: in, planes: planes, out: out, stride: stride,
				bottleneck: a.bottleneck, downsamp: stride != 1 || in != out})
			in = out
		}
	}
	return plan
}

func (b block) build(scope *model.Scope, x *graph.Node, train bool) *graph.Node {
	identity := x
	var y *graph.Node
	if b.bottleneck {
		y = ops.ReLU(convBN(scope, "conv1", "bn1", x, b.planes, 1, 1, 0, train))
		y = ops.ReLU(convBN(scope, "conv2", "bn2", y, b.planes, 3, b.stride, 1, train))
		y = convBN(scope, "conv3", "bn3", y, b.out, 1, 1, 0, train)
	} else {
		y = ops.ReLU(convBN(scope, "conv1", "bn1", x, b.planes, 3, b.stride, 1, train))
		y = convBN(scope, "conv2", "bn2", y, b.planes, 3, 1, 1, train)
	}
	if b.downsamp {
		identity = convBN(scope.In("downsample"), "0", "1", x, b.out, 1, b.stride, 0, train)
	}
	return ops.ReLU(graph.Add(y, identity))
}

// convBN is a bias-free convolution named convName followed by a batch norm
// named bnName, both in scope.
func convBN(scope *model.Scope, convName, bnName string, x *graph.Node, out, k, stride, padding int, train bool) *graph.Node {
	in := x.Shape().Dim(3)
	cs := scope.In("%s", convName)
	// torchvision initialises its convolutions with kaiming_normal_(mode="fan_out").
	w := ops.ParamFor(cs.WithInitializer(ops.KaimingNormal(cs, true)).
		VariableWithShape("weight", shapes.Make(ops.MasterDType(x.DType()), out, k, k, in)), x)
	return ops.BatchNorm(scope.In("%s", bnName), ops.Conv2D(x, w, stride, padding), train)
}

// TensorSpec is one entry of a state dict: torchvision's key and its shape
// in the checkpoint (OIHW for convolution kernels).
type TensorSpec struct {
	Key   string
	Shape []int
}

// StateDict lists the tensors of torchvision's state dict for the body
// (every key except fc.* and the num_batches_tracked counters), in
// torchvision's order.
func (a Arch) StateDict() []TensorSpec {
	var specs []TensorSpec
	conv := func(prefix string, out, in, k int) {
		specs = append(specs, TensorSpec{prefix + ".weight", []int{out, in, k, k}})
	}
	bn := func(prefix string, c int) {
		for _, n := range []string{ops.BNWeight, ops.BNBias, ops.BNRunningMean, ops.BNRunningVar} {
			specs = append(specs, TensorSpec{prefix + "." + n, []int{c}})
		}
	}
	conv("conv1", a.width, 3, 7)
	bn("bn1", a.width)
	for _, b := range a.blocks(a.width) {
		p := b.key() + "."
		if b.bottleneck {
			conv(p+"conv1", b.planes, b.in, 1)
			bn(p+"bn1", b.planes)
			conv(p+"conv2", b.planes, b.planes, 3)
			bn(p+"bn2", b.planes)
			conv(p+"conv3", b.out, b.planes, 1)
			bn(p+"bn3", b.out)
		} else {
			conv(p+"conv1", b.planes, b.in, 3)
			bn(p+"bn1", b.planes)
			conv(p+"conv2", b.planes, b.planes, 3)
			bn(p+"bn2", b.planes)
		}
		if b.downsamp {
			conv(p+"downsample.0", b.out, b.in, 1)
			bn(p+"downsample.1", b.out)
		}
	}
	return specs
}

// VariablePath maps a torchvision state-dict key to the variable path,
// relative to the body's scope, that holds it: "layer1.0.conv1.weight" →
// "layer1/0/conv1/weight". [TorchKey] is its inverse.
func VariablePath(torchKey string) string { return strings.ReplaceAll(torchKey, ".", "/") }

// TorchKey maps a variable path relative to the body's scope (with or
// without a leading "/") to torchvision's state-dict key:
// "layer1/0/conv1/weight" → "layer1.0.conv1.weight".
func TorchKey(variablePath string) string {
	return strings.ReplaceAll(strings.TrimPrefix(variablePath, "/"), "/", ".")
}

// Scope names under which a CNN learner keeps its body and its head; the
// parameter groups of [Arch.ParamGroup] are defined on them.
const (
	BodyScope = "body"
	HeadScope = "head"
)

// NumParamGroups is the number of parameter groups of [Arch.ParamGroup].
const NumParamGroups = 3

// ParamGroup returns the parameter group of the variable at the absolute
// path p, for discriminative learning rates — fastai's _resnet_split: 0 for
// the stem, layer1 and layer2 (body[:6]); 1 for layer3 and layer4; 2 for
// the head and anything that is not part of the body.
// The body must live in the scope "/body" and the head in "/head".
func (a Arch) ParamGroup(p string) int {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if len(parts) < 2 || parts[0] != BodyScope {
		return 2
	}
	if parts[1] == "layer3" || parts[1] == "layer4" {
		return 1
	}
	return 0
}

// ArchByName returns the architecture named like torchvision's function
// (resnet18, resnet34, resnet50; case-insensitive).
func ArchByName(name string) (Arch, error) {
	for _, a := range []Arch{ResNet18, ResNet34, ResNet50} {
		if strings.EqualFold(a.Name, name) {
			return a, nil
		}
	}
	return Arch{}, fmt.Errorf("unknown architecture %q: use resnet18, resnet34 or resnet50", name)
}
