package models

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/internal/ops"
	"github.com/fastgo-ml/fastgo/internal/testutil"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The parity suite (make parity): fastgo against torchvision and Pillow on
// references written by scripts/parity_torch.py. Each quantity's relative
// error against PyTorch float64 must be within testutil.ParityFactor of
// PyTorch float32's own (see testutil.Parity).

// torchvisionResNet loads a torchvision state dict (body and fc) into a
// new store: the body under /body, fc.weight and fc.bias under /fc.
func torchvisionResNet(t *testing.T, arch Arch, file string) *model.Store {
	t.Helper()
	store := model.NewStore()
	if _, err := LoadWeightsFile(store.RootScope().In(BodyScope), arch, file); err != nil {
		t.Fatal(err)
	}
	sd, _, err := ReadStateDict(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"fc.weight", "fc.bias"} {
		v := sd[k]
		if _, err := store.CreateVariable("/"+VariablePath(k), tensors.FromFlatDataAndDimensions(v.Data, v.Shape...)); err != nil {
			t.Fatal(err)
		}
	}
	return store
}

// resnetLogits is torchvision's ResNet forward: body, global average pool,
// fc. x is NHWC.
func resnetLogits(scope *model.Scope, arch Arch, x *graph.Node, train bool) *graph.Node {
	g := x.Graph()
	feats := ops.AdaptiveAvgPool1x1(arch.Body(scope.In(BodyScope), x, train))
	fc := scope.In("fc")
	w := fc.GetVariable("weight").NodeValue(g)
	b := fc.GetVariable("bias").NodeValue(g)
	return graph.Add(ops.Linear(feats, w), graph.ExpandAxes(b, 0))
}

func TestParityResNetEval(t *testing.T) {
	p := testutil.LoadParity(t)
	for _, arch := range []Arch{ResNet18, ResNet34, ResNet50} {
		store := torchvisionResNet(t, arch, filepath.Join(p.Dir, arch.Name+".pth"))
		x, shape := p.F32(t, "eval_"+arch.Name+"_x")
		n, c, h, w := shape[0], shape[1], shape[2], shape[3]
		xt := tensors.FromFlatDataAndDimensions(ops.OIHWToOHWI(x, n, c, h, w), n, h, w, c)
		exec, err := learner.NewExec(modelTestBackend(), store, func(scope *model.Scope, in []*graph.Node) []*graph.Node {
			return []*graph.Node{resnetLogits(scope, arch, in[0], false)}
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec(xt)
		if err != nil {
			t.Fatal(err)
		}
		got := tensors.MustCopyFlatData[float32](out[0])
		ref64, _ := p.F64(t, "eval_"+arch.Name+"_logits64")
		ref32, _ := p.F64(t, "eval_"+arch.Name+"_logits32")
		p.Compare(t, arch.Name+" eval logits (state_dict with running stats), 2×64 px", testutil.RelErr(got, ref64), testutil.RelErr(ref32, ref64))

		// The inference graph of cnn's learners: batch norms folded into
		// the convolutions (ops.FoldBatchNormAfter), fc as is.
		folded := foldedStore(t, store, func(scope *model.Scope, g *graph.Graph, into map[string]*graph.Node) {
			arch.FoldBatchNorms(scope.In(BodyScope), g, into)
			fc := scope.In("fc")
			for _, name := range []string{"weight", "bias"} {
				into["/fc/"+name] = fc.GetVariable(name).NodeValue(g)
			}
		})
		out = model.MustCallOnceN(modelTestBackend(), folded, func(scope *model.Scope, x *graph.Node) []*graph.Node {
			g := x.Graph()
			feats := ops.AdaptiveAvgPool1x1(arch.BodyFolded(scope.In(BodyScope), x))
			fc := scope.In("fc")
			return []*graph.Node{graph.Add(ops.Linear(feats, fc.GetVariable("weight").NodeValue(g)), graph.ExpandAxes(fc.GetVariable("bias").NodeValue(g), 0))}
		}, xt)
		p.Compare(t, arch.Name+" eval logits, batch norm folded (inference graph), 2×64 px",
			testutil.RelErr(tensors.MustCopyFlatData[float32](out[0]), ref64), testutil.RelErr(ref32, ref64))
	}
}

func TestParityResNetTrain(t *testing.T) {
	p := testutil.LoadParity(t)
	arch := ResNet18
	store := torchvisionResNet(t, arch, filepath.Join(p.Dir, "resnet18_train.pth"))
	x, shape := p.F32(t, "train_x")
	n, c, h, w := shape[0], shape[1], shape[2], shape[3]
	yRef, _ := p.F64(t, "train_y")
	labels := make([]int32, len(yRef))
	for i, v := range yRef {
		labels[i] = int32(v)
	}
	names := testutil.ReadFields(t, filepath.Join(p.Dir, "train_params.txt"))
	vars := torchParams(t, store, names)
	exec, err := learner.NewExec(modelTestBackend(), store, func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		loss := crossEntropy(resnetLogits(scope, arch, in[0], true), in[1])
		return append([]*graph.Node{loss}, gradients(loss, vars)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Exec(tensors.FromFlatDataAndDimensions(ops.OIHWToOHWI(x, n, c, h, w), n, h, w, c), labels)
	if err != nil {
		t.Fatal(err)
	}
	loss := tensors.MustCopyFlatData[float32](out[0])
	l64, _ := p.F64(t, "train_loss64")
	l32, _ := p.F64(t, "train_loss32")
	// Logged, not judged: one scalar on one input is a lottery (PyTorch
	// float32 happens to be 1.2e-8 from float64 here, 0.05 of a float32
	// step). TestParityManyInputs judges the loss's mean error over 40 inputs.
	t.Logf("resnet18 train-mode loss on this input (not judged, see TestParityManyInputs): fastgo %.3g, PyTorch float32 %.3g from float64",
		testutil.RelErr(loss, l64), testutil.RelErr(l32, l64))

	worstGo, worstTorch, worstRatio, worstName := 0.0, 0.0, 0.0, ""
	for i, name := range names {
		got := tensors.MustCopyFlatData[float32](out[1+i])
		r64, gshape := p.F64(t, "train_grad64_"+name)
		r32, _ := p.F64(t, "train_grad32_"+name)
		if len(gshape) == 4 { // OIHW → fastgo's OHWI
			r64 = ops.OIHWToOHWI(r64, gshape[0], gshape[1], gshape[2], gshape[3])
			r32 = ops.OIHWToOHWI(r32, gshape[0], gshape[1], gshape[2], gshape[3])
		}
		eGo, eTorch := testutil.RelErr(got, r64), testutil.RelErr(r32, r64)
		worstGo, worstTorch = math.Max(worstGo, eGo), math.Max(worstTorch, eTorch)
		if r := eGo / math.Max(eTorch, testutil.ParityFloor); r > worstRatio {
			worstRatio, worstName = r, fmt.Sprintf("%s (%.3g vs %.3g)", name, eGo, eTorch)
		}
	}
	// Not judged here: on this one input PyTorch float32 rounds one ReLU's
	// input to the other side of zero (its largest error is 3e-3, against
	// fastgo's 7e-6), which would make any limit taken from it too loose to
	// catch a real gradient bug. TestParityManyInputs judges the gradients
	// over 40 inputs instead.
	t.Logf("gradients on this input (not judged, see TestParityManyInputs): largest relative error fastgo %.3g, PyTorch float32 %.3g; largest per-tensor ratio %.2f× for %s",
		worstGo, worstTorch, worstRatio, worstName)

	// The running statistics the training forward left behind.
	worstGo, worstTorch = 0, 0
	count := 0
	for v := range store.IterVariables() {
		key := TorchKey(strings.TrimPrefix(v.Path(), "/"+BodyScope+"/"))
		if !strings.HasSuffix(key, ops.BNRunningMean) && !strings.HasSuffix(key, ops.BNRunningVar) {
			continue
		}
		got := tensors.MustCopyFlatData[float32](v.MustValue())
		r64, _ := p.F64(t, "train_stat64_"+key)
		r32, _ := p.F64(t, "train_stat32_"+key)
		worstGo, worstTorch = math.Max(worstGo, testutil.RelErr(got, r64)), math.Max(worstTorch, testutil.RelErr(r32, r64))
		count++
	}
	if count != 40 {
		t.Errorf("compared %d running statistics, want resnet18's 40", count)
	}
	p.Compare(t, fmt.Sprintf("resnet18 batch-norm running statistics after one training batch (%d tensors)", count), worstGo, worstTorch)
}

// torchParams returns the variables holding torchvision's parameters names.
func torchParams(t *testing.T, store *model.Store, names []string) []*model.Variable {
	t.Helper()
	vars := make([]*model.Variable, len(names))
	for i, name := range names {
		if vars[i] = store.GetVariable("/" + strings.TrimPrefix(varPathOf(name), "/")); vars[i] == nil {
			t.Fatalf("no variable for torch parameter %s", name)
		}
	}
	return vars
}

// crossEntropy is torch's F.cross_entropy of logits [B, classes] and int
// labels [B] (mean over the batch).
func crossEntropy(logits, labels *graph.Node) *graph.Node {
	onehot := graph.OneHot(labels, logits.Shape().Dim(1), dtypes.Float32)
	return graph.Neg(graph.ReduceAllMean(graph.ReduceSum(graph.Mul(onehot, graph.LogSoftmax(logits, -1)), -1)))
}

// gradients returns the gradient of loss for each variable.
func gradients(loss *graph.Node, vars []*model.Variable) []*graph.Node {
	nodes := make([]*graph.Node, len(vars))
	for i, v := range vars {
		nodes[i] = v.NodeValue(loss.Graph())
	}
	return graph.Gradient(loss, nodes...)
}

// varPathOf maps a torchvision parameter name to the variable holding it.
func varPathOf(torchName string) string {
	if strings.HasPrefix(torchName, "fc.") {
		return VariablePath(torchName)
	}
	return BodyScope + "/" + VariablePath(torchName)
}
