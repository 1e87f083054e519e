package fastai

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
	tf "github.com/fastgo-ml/fastgo/internal/torchfile"
)

// testFile is a file of testdata/fastai (written by
// scripts/fastai_files.py tiny).
func testFile(name string) string {
	return filepath.Join("..", "..", "..", "..", "testdata", "fastai", name)
}

func TestReadExportLayouts(t *testing.T) {
	want := map[string]struct {
		layout         tf.Layout
		folder, device string
	}{
		"resnet18_archive.pkl": {tf.Zip, "archive", "cpu"},
		"resnet18_named.pkl":   {tf.Zip, "resnet18_named", "cuda:0"},
		"resnet18_legacy.pkl":  {tf.Legacy, "", "cpu"},
	}
	var first *Export
	for name, w := range want {
		e, err := ReadExport(testFile(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f, err := tf.Load(testFile(name))
		if err != nil {
			t.Fatal(err)
		}
		if e.Layout != w.layout || f.Folder != w.folder || e.Device != w.device {
			t.Errorf("%s: layout %v, folder %q, device %q; want %v, %q, %q", name, e.Layout, f.Folder, e.Device, w.layout, w.folder, w.device)
		}
		if got := e.Model.Arch; got.Name != "resnet18-w2" || got.Layers() != [4]int{2, 2, 2, 2} || got.Width() != 2 || got.Bottleneck() {
			t.Errorf("%s: body %v", name, got)
		}
		if m := e.Model; m.Head != (models.HeadSpec{Hidden: 512}) || m.Classes != 3 || m.Dropout != [2]float64{0.25, 0.5} {
			t.Errorf("%s: head %v, %d classes, dropout %v", name, m.Head, m.Classes, m.Dropout)
		}
		if !reflect.DeepEqual(e.Vocab, []string{"Abyssinian", "Bengal", "pug"}) {
			t.Errorf("%s: vocab %q", name, e.Vocab)
		}
		if !reflect.DeepEqual(e.ItemTfms, []Transform{Resize{Size: 64, Method: "crop", PadMode: "reflection"}}) {
			t.Errorf("%s: item transforms %+v", name, e.ItemTfms)
		}
		norm := Normalize{Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225}}
		if !reflect.DeepEqual(e.BatchTfms, []Transform{IntToFloat{Div: 255}, norm}) {
			t.Errorf("%s: batch transforms %+v", name, e.BatchTfms)
		}
		if e.Loss != "fastai.losses.CrossEntropyLossFlat" {
			t.Errorf("%s: loss %s", name, e.Loss)
		}
		// 20 convolutions, 20 batch norms (4 tensors), 2 BatchNorm1d, 2 Linear.
		if n := len(e.Model.Keys); n != 20+20*4+2*4+2 {
			t.Errorf("%s: %d weights", name, n)
		}
		if first == nil {
			first = e
		} else if !reflect.DeepEqual(first.Model.Weights, e.Model.Weights) {
			t.Errorf("%s: weights differ from another layout's", name)
		}
	}
}

func TestReadExportAugTransforms(t *testing.T) {
	e, err := ReadExport(testFile("resnet34_aug.pkl"))
	if err != nil {
		t.Fatal(err)
	}
	// aug_transforms(size=32, min_scale=0.75)'s defaults.
	want := AugTransforms{Size: 32, MinScale: 0.75, DoFlip: true, MaxRotate: 10, MinZoom: 1, MaxZoom: 1.1,
		MaxLighting: 0.2, MaxWarp: 0.2, PAffine: 0.75, PLighting: 0.75}
	if len(e.BatchTfms) != 3 || e.BatchTfms[1] != want {
		t.Errorf("batch transforms %+v, want IntToFloat, %+v, Normalize", e.BatchTfms, want)
	}
	if e.Model.Arch.Name != "resnet34-w1" || e.Device != "cuda:0" {
		t.Errorf("body %v on %s", e.Model.Arch, e.Device)
	}
}

func TestReadExportBottleneckPad(t *testing.T) {
	e, err := ReadExport(testFile("resnet50_pad.pkl"))
	if err != nil {
		t.Fatal(err)
	}
	if b := e.Model.Arch; b.Name != "resnet50-w1" || !b.Bottleneck() || b.Layers() != [4]int{3, 4, 6, 3} || b.NumFeatures() != 32 {
		t.Errorf("body %v", b)
	}
	if !reflect.DeepEqual(e.ItemTfms, []Transform{Resize{Size: 40, Method: "pad", PadMode: "zeros"}}) {
		t.Errorf("item transforms %+v", e.ItemTfms)
	}
	// Normalize's statistics as TensorImage values (fastai's _rebuild_from_type).
	n, ok := e.BatchTfms[1].(Normalize)
	if !ok || n.Mean != [3]float32{0.47, 0.44, 0.39} || n.Std != [3]float32{0.27, 0.26, 0.27} {
		t.Errorf("normalize %+v", e.BatchTfms[1])
	}
	if !reflect.DeepEqual(e.Vocab, []string{"cat", "dog"}) {
		t.Errorf("vocab %q", e.Vocab)
	}
}

func TestReadExportRefuses(t *testing.T) {
	for _, c := range []struct{ file, where, class, why string }{
		{"refuse_vgg_body.pkl", "model[0]", "0.0.weight", "another architecture"},
		{"refuse_custom_tfm.pkl", "dls.valid.after_item[1]", "__main__.Grayscale", "Resize and ToTensor"},
		{"refuse_tabular.pkl", "learner", "fastai.tabular.learner.TabularLearner", "tabular"},
		{"refuse_text.pkl", "learner", "fastai.text.learner.TextLearner", "text learner"},
		{"refuse_y_range.pkl", "model[1][9]", "fastai.layers.SigmoidRange", "y_range"},
		{"refuse_custom_loss.pkl", "loss_func", "__main__.FocalLoss", "activation"},
		{"refuse_multi_label.pkl", "dls.valid.dataset.tls[1].tfms[0]", "fastai.data.transforms.MultiCategorize", "multi-label"},
		{"refuse_grayscale.pkl", "dls.valid.dataset.tls[0].tfms[0]", "fastai.vision.core.PILImageBW.create", "grayscale"},
	} {
		_, err := ReadExport(testFile(c.file))
		var u *UnsupportedError
		if !errors.As(err, &u) {
			t.Errorf("%s: error %v, want an UnsupportedError", c.file, err)
			continue
		}
		if u.Where != c.where || u.Class != c.class || !strings.Contains(u.Why, c.why) || !strings.Contains(err.Error(), c.file) {
			t.Errorf("%s: %v; want %s is %s: …%s…", c.file, err, c.where, c.class, c.why)
		}
	}
}

func TestReadExportOfOtherFiles(t *testing.T) {
	for file, want := range map[string]string{
		"resnet18_save_v2.pth":  "a learn.save",
		"refuse_exec.pkl":       `calls posix.system("touch /tmp/fastgo-pickle-executed")`,
		"../images/pug_166.jpg": "not a PyTorch file",
	} {
		_, err := ReadExport(testFile(file))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one saying %q", file, err, want)
		}
	}
}

// A pickle that calls os.system when Python loads it is only read.
func TestReadNeverExecutes(t *testing.T) {
	const marker = "/tmp/fastgo-pickle-executed" // the command in refuse_exec.pkl
	os.Remove(marker)
	_, err1 := ReadExport(testFile("refuse_exec.pkl"))
	_, err2 := ReadWeights(testFile("refuse_exec.pkl"))
	if err1 == nil || err2 == nil || !strings.Contains(err2.Error(), "posix.system") {
		t.Errorf("errors %v and %v, want refusals naming posix.system", err1, err2)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("reading the file ran its command")
	}
}

func TestReadWeights(t *testing.T) {
	export, err := ReadExport(testFile("resnet18_archive.pkl"))
	if err != nil {
		t.Fatal(err)
	}
	for file, format := range map[string]string{
		"resnet18_save_v2.pth":    "fastai 2 learn.save with optimizer state",
		"resnet18_save_plain.pth": "state dict",
	} {
		w, err := ReadWeights(testFile(file))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if w.Format != format || (w.Optimizer != "") != strings.Contains(format, "optimizer") {
			t.Errorf("%s: format %q, optimizer %q", file, w.Format, w.Optimizer)
		}
		if w.Model.Arch != export.Model.Arch || !reflect.DeepEqual(w.Model.Weights, export.Model.Weights) {
			t.Errorf("%s: not the exported model's weights", file)
		}
	}
	v1, err := ReadWeights(testFile("resnet34_save_v1.pth"))
	if err != nil {
		t.Fatal(err)
	}
	if v1.Format != "fastai 1 learn.save with optimizer state" || v1.Layout != tf.Legacy || !v1.Model.Head.Bias ||
		v1.Model.Classes != 2 || v1.Model.Arch.Name != "resnet34-w1" {
		t.Errorf("v1: %s, %v, head %v, %d classes, body %v", v1.Format, v1.Layout, v1.Model.Head, v1.Model.Classes, v1.Model.Arch)
	}
	if _, ok := v1.Model.Weights["1.8.bias"]; !ok {
		t.Error("v1: no 1.8.bias")
	}
}

func TestReadWeightsRefusesExports(t *testing.T) {
	_, err := ReadWeights(testFile("resnet18_archive.pkl"))
	if err == nil || !strings.Contains(err.Error(), "ReadExport") {
		t.Errorf("error %v, want one pointing to ReadExport", err)
	}
}

// The state dict check catches a tensor of another shape.
func TestRecognizeShapeMismatch(t *testing.T) {
	e, err := ReadExport(testFile("resnet18_archive.pkl"))
	if err != nil {
		t.Fatal(err)
	}
	shapes := map[string][]int{}
	for k, w := range e.Model.Weights {
		shapes[k] = w.Shape
	}
	shapes["0.5.0.conv2.weight"] = []int{4, 4, 3, 1}
	_, err = recognize("f.pth", shapes, e.Model.Keys)
	var u *UnsupportedError
	if !errors.As(err, &u) || !strings.Contains(u.Why, "0.5.0.conv2.weight has shape [4 4 3 1], want [4 4 3 3]") {
		t.Errorf("error %v", err)
	}
	delete(shapes, "0.5.0.conv2.weight")
	shapes["1.9.weight"] = []int{3}
	_, err = recognize("f.pth", shapes, append(e.Model.Keys, "1.9.weight"))
	if err == nil || !strings.Contains(err.Error(), "missing 0.5.0.conv2.weight") || !strings.Contains(err.Error(), "unexpected 1.9.weight") {
		t.Errorf("error %v", err)
	}
}

func TestNumpyScalarsInV1(t *testing.T) {
	f, err := tf.Load(testFile("resnet34_save_v1.pth"))
	if err != nil {
		t.Fatal(err)
	}
	opt, _ := tf.Get(f.Root, "opt")
	groups, _ := tf.Get(opt, "param_groups")
	g, _ := tf.Seq(groups)
	lr, _ := tf.Get(g[0], "lr")
	v, ok := tf.Float(lr)
	if !ok || math.Abs(v-3e-3) > 1e-18 {
		t.Errorf("lr %v (%s) read as %v, %v; want 0.003", lr, tf.ClassName(lr), v, ok)
	}
}

// FuzzReadExport: any file gives an Export or an error, never a panic;
// ReadWeights likewise.
func FuzzReadExport(f *testing.F) {
	for _, name := range []string{"small_zip.pth", "refuse_exec.pkl", "resnet18_legacy.pkl"} {
		data, err := os.ReadFile(testFile(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "export.pkl")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if e, err := ReadExport(p); err == nil && (e == nil || len(e.Vocab) != e.Model.Classes) {
			t.Fatalf("export %+v without an error", e)
		}
		if w, err := ReadWeights(p); err == nil && w == nil {
			t.Fatal("no weights and no error")
		}
	})
}
