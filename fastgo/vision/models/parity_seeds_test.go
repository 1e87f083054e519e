package models

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/internal/ops"
	"github.com/fastgo-ml/fastgo/internal/testutil"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestParityManyInputs: resnet18's training step (train mode, batch 4,
// 64 px, 10 classes) on the many inputs of scripts/parity_torch.py
// (seeds_*), layer by layer. On one input a ReLU whose input float32 rounds
// to the other side of zero moves a gradient far more than rounding does —
// PyTorch float32 on one input, fastgo on another — so each quantity is
// judged over all the inputs:
//   - forward activations (after bn1, after each residual block, the
//     logits; a sample of channels) and the loss: the mean over inputs of
//     fastgo's distance from PyTorch float64 must be within
//     testutil.ParityFactor of the mean of PyTorch float32's, for every
//     layer;
//   - gradients (every parameter; the first rows of each kernel): the median
//     over inputs, per parameter tensor, within the same factor; the table
//     shows the tensor with the largest ratio.
func TestParityManyInputs(t *testing.T) {
	p := testutil.LoadParity(t)
	if !p.Has("seeds_x") {
		t.Fatal("the references have no seeds_* tensors: scripts/parity_torch.py is older than this test")
	}
	xs, xshape := p.F32(t, "seeds_x") // [S, 4, 3, 64, 64]
	ys, _ := p.F64(t, "seeds_y")
	seeds, n, c, h, w := xshape[0], xshape[1], xshape[2], xshape[3], xshape[4]
	layers := testutil.ReadFields(t, filepath.Join(p.Dir, "seeds_layers.txt"))
	names := testutil.ReadFields(t, filepath.Join(p.Dir, "train_params.txt"))
	actErr32, aeShape := p.F64(t, "seeds_act_err32")
	gradErr32, geShape := p.F64(t, "seeds_grad_err32")
	if !slices.Equal(aeShape, []int{seeds, len(layers)}) || !slices.Equal(geShape, []int{seeds, len(names)}) {
		t.Fatalf("error tables %v and %v, want [%d %d] and [%d %d]", aeShape, geShape, seeds, len(layers), seeds, len(names))
	}
	keep := p.Int(t, "seeds_x", "keep")
	gradRows := p.Int(t, "seeds_x", "grad_rows")

	store := torchvisionResNet(t, ResNet18, filepath.Join(p.Dir, "resnet18_train.pth"))
	vars := torchParams(t, store, names)
	exec, err := learner.NewExec(modelTestBackend(), store, func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		acts, logits := resnetActivations(scope, ResNet18, in[0])
		for i, a := range acts {
			acts[i] = graph.Slice(a, graph.AxisRange(), graph.AxisRange(), graph.AxisRange(), graph.AxisRange(0, keep))
		}
		loss := crossEntropy(logits, in[1])
		return append(append(acts, logits, loss), gradients(loss, vars)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 11 || layers[10] != "loss" {
		t.Fatalf("seeds_layers.txt names %v, want bn1, 8 blocks, fc and loss", layers)
	}

	actRefs := make([][]float64, len(layers))
	actShapes := make([][]int, len(layers))
	for i, l := range layers {
		actRefs[i], actShapes[i] = p.F64(t, "seeds_act64_"+l)
	}
	gradRefs := make([][]float64, len(names))
	gradShapes := make([][]int, len(names))
	for i, name := range names {
		gradRefs[i], gradShapes[i] = p.F64(t, "seeds_grad64_"+name)
	}
	actErrGo := make([][]float64, len(layers)) // [layer][seed]
	gradErrGo := make([][]float64, len(names))
	per := n * c * h * w
	for s := range seeds {
		x := ops.OIHWToOHWI(xs[s*per:(s+1)*per], n, c, h, w)
		labels := make([]int32, n)
		for i := range labels {
			labels[i] = int32(ys[s*n+i])
		}
		out, err := exec.Exec(tensors.FromFlatDataAndDimensions(x, n, h, w, c), labels)
		if err != nil {
			t.Fatal(err)
		}
		for i := range layers {
			got := tensors.MustCopyFlatData[float32](out[i])
			ref := seedSlice(actRefs[i], actShapes[i], s)
			if d := actShapes[i]; len(d) == 5 { // [S, N, C, H, W] → NHWC
				ref = ops.OIHWToOHWI(ref, d[1], d[2], d[3], d[4])
			}
			actErrGo[i] = append(actErrGo[i], testutil.RelErr(got, ref))
		}
		for i := range names {
			got := tensors.MustCopyFlatData[float32](out[len(layers)+i])
			ref := seedSlice(gradRefs[i], gradShapes[i], s)
			d := gradShapes[i]
			if len(d) == 5 { // [S, rows, I, kh, kw] → OHWI
				ref = ops.OIHWToOHWI(ref, d[1], d[2], d[3], d[4])
			}
			if len(d) >= 3 { // the first rows of fastgo's OHWI kernel or [out, in] weight
				if d[1] != gradRows {
					t.Fatalf("seeds_grad64_%s has %d rows per input, want %d", names[i], d[1], gradRows)
				}
				got = got[:len(ref)]
			}
			gradErrGo[i] = append(gradErrGo[i], testutil.RelErr(got, ref))
		}
	}

	for i, l := range layers {
		what := "activations after " + l
		if l == "loss" {
			what = "cross-entropy loss"
		}
		goErr, torchErr := mean(actErrGo[i]), mean(column(actErr32, len(layers), i))
		p.Compare(t, fmt.Sprintf("resnet18 train-mode %s, mean over %d inputs", what, seeds), goErr, torchErr)
	}
	worst, worstRatio := 0, -1.0
	medGo, medTorch := make([]float64, len(names)), make([]float64, len(names))
	for i := range names {
		medGo[i], medTorch[i] = median(gradErrGo[i]), median(column(gradErr32, len(names), i))
		if r := medGo[i] / math.Max(medTorch[i], testutil.ParityFloor); r > worstRatio {
			worst, worstRatio = i, r
		}
	}
	t.Logf("gradients: largest ratio of medians %.2f× for %s", worstRatio, names[worst])
	p.Compare(t, fmt.Sprintf("resnet18 gradients, %d tensors, median of %d inputs (worst: %s)", len(names), seeds, names[worst]),
		medGo[worst], medTorch[worst])
}

// resnetActivations is resnetLogits in train mode, also returning the
// activations after bn1 (before its ReLU) and after each residual block,
// the layers scripts/parity_torch.py hooks.
func resnetActivations(scope *model.Scope, arch Arch, x *graph.Node) (acts []*graph.Node, logits *graph.Node) {
	body := scope.In(BodyScope).ResetVisited()
	y := arch.Stem().build(body, x, true)
	acts = append(acts, y)
	y = ops.MaxPool2D(ops.ReLU(y), MaxPool.Kernel, MaxPool.Stride, MaxPool.Padding)
	for _, b := range arch.Blocks() {
		y = b.build(body.At("layer%d", b.Stage).In("%d", b.Index), y, true)
		acts = append(acts, y)
	}
	fc := scope.In("fc")
	g := x.Graph()
	logits = graph.Add(ops.Linear(ops.AdaptiveAvgPool1x1(y), fc.GetVariable("weight").NodeValue(g)),
		graph.ExpandAxes(fc.GetVariable("bias").NodeValue(g), 0))
	return acts, logits
}

// seedSlice returns input s of a reference stacked over inputs ([S, ...]).
func seedSlice(v []float64, shape []int, s int) []float64 {
	per := len(v) / shape[0]
	return v[s*per : (s+1)*per]
}

// column returns column j of a row-major table with `width` columns.
func column(table []float64, width, j int) []float64 {
	out := make([]float64, 0, len(table)/width)
	for i := j; i < len(table); i += width {
		out = append(out, table[i])
	}
	return out
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
