package models

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/fastgo-ml/fastgo/internal/ops"
	"github.com/gomlx/compute/dtypes"
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

// Layers is the number of residual blocks of each stage (layer1…layer4):
// [2 2 2 2] for ResNet18, [3 4 6 3] for ResNet34 and ResNet50.
func (a Arch) Layers() [4]int { return a.layers }

// Bottleneck says whether the blocks are torchvision's Bottleneck (1×1,
// 3×3, 1×1 convolutions, ResNet50) rather than BasicBlock (two 3×3).
func (a Arch) Bottleneck() bool { return a.bottleneck }

// Width is the stem's channel count (64; [Arch.Scaled] changes it).
func (a Arch) Width() int { return a.width }

// Body builds the network up to layer4 — torchvision's children before
// avgpool and fc, fastai's cut=-2 — on x, a normalised NHWC float batch
// [B,H,W,3], and returns the feature map [B,H/32,W/32,NumFeatures].
// Variables are created in scope (see [Arch] for their names). In training
// the batch-norm layers use batch statistics and update their running ones.
// The layers are those of [Arch.Stem] and [Arch.Blocks].
func (a Arch) Body(scope *model.Scope, x *graph.Node, train bool) *graph.Node {
	if x.Rank() != 4 || x.Shape().Dim(3) != 3 {
		panic(fmt.Sprintf("models.%s.Body: want a [B,H,W,3] batch, got %s", a.Name, x.Shape()))
	}
	// A fresh visit record: the same scope builds the body in every graph
	// (training, evaluation) a learner compiles.
	scope = scope.ResetVisited()
	x = ops.ReLU(a.Stem().build(scope, x, train))
	x = ops.MaxPool2D(x, MaxPool.Kernel, MaxPool.Stride, MaxPool.Padding)
	for _, b := range a.Blocks() {
		x = b.build(scope.At("layer%d", b.Stage).In("%d", b.Index), x, train)
	}
	return x
}

// FoldBatchNorms derives the body's inference weights from its variables
// in scope (the scope given to Body): every convolution's kernel and a
// bias with the batch norm after it folded in (ops.FoldBatchNormAfter),
// keyed by variable path ("/body/layer1/0/conv1/weight" and ".../bias"),
// added to into. Computed in g; variables that do not exist yet are
// created as Body creates them, in the same order, so a fresh model gets
// the same initial weights. [Arch.BodyFolded] reads the result, put in a
// store of its own: the inference graphs of cnn's learners (Predict,
// GetPreds, validation) run on it.
func (a Arch) FoldBatchNorms(scope *model.Scope, g *graph.Graph, into map[string]*graph.Node) {
	scope = scope.ResetVisited()
	a.Stem().fold(scope, g, into)
	for _, b := range a.Blocks() {
		bs := scope.At("layer%d", b.Stage).In("%d", b.Index)
		for _, c := range b.Convs {
			c.fold(bs, g, into)
		}
		if b.Downsample != nil {
			b.Downsample.fold(bs, g, into)
		}
	}
}

// BodyFolded is [Arch.Body] in evaluation mode on the weights of
// [Arch.FoldBatchNorms], held in scope (of another store, under the same
// paths): each convolution and its batch norm are one convolution with a
// bias. Same input and output as Body; it differs from Body's evaluation
// mode by float32 rounding only (TestBodyFoldedMatchesBody; make parity's
// folded eval-logits rows).
func (a Arch) BodyFolded(scope *model.Scope, x *graph.Node) *graph.Node {
	if x.Rank() != 4 || x.Shape().Dim(3) != 3 {
		panic(fmt.Sprintf("models.%s.BodyFolded: want a [B,H,W,3] batch, got %s", a.Name, x.Shape()))
	}
	scope = scope.ResetVisited()
	x = ops.ReLU(a.Stem().buildFolded(scope, x))
	x = ops.MaxPool2D(x, MaxPool.Kernel, MaxPool.Stride, MaxPool.Padding)
	for _, b := range a.Blocks() {
		x = b.buildFolded(scope.At("layer%d", b.Stage).In("%d", b.Index), x)
	}
	return x
}

// ConvBN is a bias-free convolution followed by a batch norm, as a ResNet
// uses them: Conv and BN are their state-dict names within the enclosing
// module ("conv1" and "bn1"; in a block's shortcut "downsample.0" and
// "downsample.1").
type ConvBN struct {
	Conv, BN                string
	In, Out                 int
	Kernel, Stride, Padding int
}

// Block is one residual block of an architecture's plan (torchvision's
// _make_layer): the main path's convolutions, each followed by a ReLU but
// the last, plus the shortcut — Downsample when the shape changes, else
// the identity — then a ReLU of the sum.
type Block struct {
	// Stage (1…4) and Index place the block: state-dict prefix
	// "layer<Stage>.<Index>".
	Stage, Index int
	// Bottleneck is true for torchvision's Bottleneck, false for BasicBlock.
	Bottleneck bool
	// Convs is the main path: BasicBlock conv1 (3×3, the block's stride),
	// conv2 (3×3); Bottleneck conv1 (1×1), conv2 (3×3, the stride: ResNet
	// v1.5), conv3 (1×1).
	Convs []ConvBN
	// Downsample is the shortcut's 1×1 convolution (with the stride) and
	// batch norm; nil when the shortcut is the identity.
	Downsample *ConvBN
}

// Key is the block's state-dict prefix, e.g. "layer1.0".
func (b Block) Key() string { return fmt.Sprintf("layer%d.%d", b.Stage, b.Index) }

// MaxPool is the stem's max pooling (torchvision's maxpool, fastai's
// body[3]): 3×3, stride 2, padding 1.
var MaxPool = struct{ Kernel, Stride, Padding int }{3, 2, 1}

// Stem is the first convolution (torchvision's conv1 and bn1): 7×7,
// stride 2, padding 3, from RGB to Width channels. A ReLU and [MaxPool]
// follow it.
func (a Arch) Stem() ConvBN {
	return ConvBN{Conv: "conv1", BN: "bn1", In: 3, Out: a.width, Kernel: 7, Stride: 2, Padding: 3}
}

// Blocks is the plan of residual blocks, in order — what Body builds, what
// StateDict lists and what exporters write: torchvision's _make_layer.
func (a Arch) Blocks() []Block {
	var plan []Block
	in := a.width
	for s, n := range a.layers {
		planes := a.width << s
		out := planes * a.expansion()
		for i := range n {
			stride := 1
			if i == 0 && s > 0 {
				stride = 2
			}
			b := Block{Stage: s + 1, Index: i, Bottleneck: a.bottleneck}
			conv := func(k, cin, cout, stride int) {
				n := len(b.Convs) + 1
				b.Convs = append(b.Convs, ConvBN{Conv: fmt.Sprintf("conv%d", n), BN: fmt.Sprintf("bn%d", n),
					In: cin, Out: cout, Kernel: k, Stride: stride, Padding: k / 2})
			}
			if a.bottleneck {
				conv(1, in, planes, 1)
				conv(3, planes, planes, stride)
				conv(1, planes, out, 1)
			} else {
				conv(3, in, planes, stride)
				conv(3, planes, planes, 1)
			}
			if stride != 1 || in != out {
				b.Downsample = &ConvBN{Conv: "downsample.0", BN: "downsample.1", In: in, Out: out, Kernel: 1, Stride: stride}
			}
			plan = append(plan, b)
			in = out
		}
	}
	return plan
}

func (b Block) build(scope *model.Scope, x *graph.Node, train bool) *graph.Node {
	return b.connect(x, func(c ConvBN, y *graph.Node) *graph.Node { return c.build(scope, y, train) })
}

// buildFolded is build in evaluation mode on folded weights (see
// [Arch.BodyFolded]).
func (b Block) buildFolded(scope *model.Scope, x *graph.Node) *graph.Node {
	return b.connect(x, func(c ConvBN, y *graph.Node) *graph.Node { return c.buildFolded(scope, y) })
}

// connect wires the block's layers, each built by layer: the main path
// with a ReLU after every layer but the last, the shortcut, the ReLU of
// the sum.
func (b Block) connect(x *graph.Node, layer func(ConvBN, *graph.Node) *graph.Node) *graph.Node {
	y := x
	for i, c := range b.Convs {
		y = layer(c, y)
		if i < len(b.Convs)-1 {
			y = ops.ReLU(y)
		}
	}
	identity := x
	if b.Downsample != nil {
		identity = layer(*b.Downsample, x)
	}
	return ops.ReLU(graph.Add(y, identity))
}

// build is the convolution and its batch norm, their variables in scope
// under the state-dict names (dots become scopes).
func (c ConvBN) build(scope *model.Scope, x *graph.Node, train bool) *graph.Node {
	c.checkInput(x)
	cs, bs := c.scopes(scope)
	w := ops.ParamFor(c.kernel(cs, ops.MasterDType(x.DType())), x)
	return ops.BatchNorm(bs, ops.Conv2D(x, w, c.Stride, c.Padding), train)
}

// fold adds the convolution's kernel and bias with its batch norm folded
// in (ops.FoldBatchNormAfter) to into, keyed by the variable paths
// buildFolded reads: the kernel's own path ("…/conv1/weight", HWIO: see
// ops.Conv2DFolded) and "bias" beside it ("…/conv1/bias", [Out]). It creates the variables as
// build does, in the same order, when they do not exist.
func (c ConvBN) fold(scope *model.Scope, g *graph.Graph, into map[string]*graph.Node) {
	cs, bs := c.scopes(scope)
	w := c.kernel(cs, dtypes.Float32).NodeValue(g)
	var bn [4]*graph.Node
	for i, v := range ops.BatchNormVariables(bs, dtypes.Float32, c.Out, ops.TorchBatchNorm) {
		bn[i] = v.NodeValue(g)
	}
	kernel, bias := ops.FoldBatchNormAfter(w, nil, bn, ops.TorchBatchNorm.Eps)
	into[cs.Scope()+"/"+FoldedWeight], into[cs.Scope()+"/"+FoldedBias] = kernel, bias
}

// buildFolded is the convolution with its batch norm folded in, on the
// weights fold derived: one convolution and a bias.
func (c ConvBN) buildFolded(scope *model.Scope, x *graph.Node) *graph.Node {
	c.checkInput(x)
	cs, _ := c.scopes(scope)
	w, b := foldedVariable(cs, FoldedWeight), foldedVariable(cs, FoldedBias)
	return ops.Conv2DFolded(x, ops.ParamFor(w, x), ops.ParamFor(b, x), c.Stride, c.Padding)
}

func (c ConvBN) checkInput(x *graph.Node) {
	if in := x.Shape().Dim(3); in != c.In {
		panic(fmt.Sprintf("models: %s expects %d channels, got %s", c.Conv, c.In, x.Shape()))
	}
}

// scopes returns the convolution's and the batch norm's scopes in scope.
// A module both names share ("downsample") is entered once: GoMLX
// refuses to enter a scope twice in one graph.
func (c ConvBN) scopes(scope *model.Scope) (conv, bn *model.Scope) {
	cp, bp := strings.Split(c.Conv, "."), strings.Split(c.BN, ".")
	for len(cp) > 1 && len(bp) > 1 && cp[0] == bp[0] {
		scope, cp, bp = scope.In("%s", cp[0]), cp[1:], bp[1:]
	}
	conv, bn = scope, scope
	for _, p := range cp {
		conv = conv.In("%s", p)
	}
	for _, p := range bp {
		bn = bn.In("%s", p)
	}
	return conv, bn
}

// kernel creates (or returns) the convolution's OHWI kernel in cs, with
// torchvision's initialisation, kaiming_normal_(mode="fan_out").
func (c ConvBN) kernel(cs *model.Scope, dtype dtypes.DType) *model.Variable {
	return cs.WithInitializer(ops.KaimingNormal(cs, true)).
		VariableWithShape("weight", shapes.Make(dtype, c.Out, c.Kernel, c.Kernel, c.In))
}

// Names of a folded layer's variables in the store of inference weights
// (see [Arch.FoldBatchNorms]): its weight, with the batch norm folded in,
// and its bias.
const (
	FoldedWeight = "weight"
	FoldedBias   = "bias"
)

// foldedVariable returns the folded weight name in scope, panicking with
// what to do when the inference weights lack it.
func foldedVariable(scope *model.Scope, name string) *model.Variable {
	v := scope.GetVariable(name)
	if v == nil {
		panic(fmt.Sprintf("models: no folded weight %s/%s: build inference graphs on the weights FoldBatchNorms derives", scope.Scope(), name))
	}
	return v
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
	add := func(prefix string, c ConvBN) {
		specs = append(specs, TensorSpec{prefix + c.Conv + ".weight", []int{c.Out, c.In, c.Kernel, c.Kernel}})
		specs = append(specs, batchNormSpecs(prefix+c.BN, c.Out)...)
	}
	add("", a.Stem())
	for _, b := range a.Blocks() {
		for _, c := range b.Convs {
			add(b.Key()+".", c)
		}
		if b.Downsample != nil {
			add(b.Key()+".", *b.Downsample)
		}
	}
	return specs
}

// batchNormSpecs are a batch norm's four tensors of c channels, in
// PyTorch's order.
func batchNormSpecs(prefix string, c int) []TensorSpec {
	var specs []TensorSpec
	for _, n := range []string{ops.BNWeight, ops.BNBias, ops.BNRunningMean, ops.BNRunningVar} {
		specs = append(specs, TensorSpec{prefix + "." + n, []int{c}})
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

// Archs lists the architectures fastgo builds: ResNet18, ResNet34,
// ResNet50.
func Archs() []Arch { return []Arch{ResNet18, ResNet34, ResNet50} }

// ArchByName returns the architecture named like torchvision's function
// (resnet18, resnet34, resnet50; case-insensitive), or as [Arch.Scaled]
// names a narrower one ("resnet18-w4": stem width 4, test models).
func ArchByName(name string) (Arch, error) {
	base, width, scaled := strings.Cut(name, "-w")
	for _, a := range Archs() {
		if !strings.EqualFold(a.Name, base) {
			continue
		}
		if !scaled {
			return a, nil
		}
		if w, err := strconv.Atoi(width); err == nil && w >= 1 && w <= 1024 && strconv.Itoa(w) == width {
			return a.Scaled(w), nil
		}
	}
	return Arch{}, fmt.Errorf("unknown architecture %q: use resnet18, resnet34 or resnet50", name)
}
