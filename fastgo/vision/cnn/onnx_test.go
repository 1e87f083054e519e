package cnn

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/learner/persist"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
	"github.com/fastgo-ml/fastgo/internal/testutil"
)

// checkONNX exports learn as ONNX, runs it with ONNX Runtime on PyTorch's
// prepared images for ref, and checks its outputs against PyTorch's and
// its probabilities against fastgo's Predict, all with the parity rule (at
// most 2× PyTorch float32's distance from float64).
func checkONNX(t *testing.T, refs *testutil.Parity, export func(string) error, predict func(fastgo.ByteTensor) ([]learner.Prediction, error), ref, label string) {
	t.Helper()
	modelFile := filepath.Join(t.TempDir(), ref+".onnx")
	if err := export(modelFile); err != nil {
		t.Fatal(err)
	}
	_, x := prepared(t, refs, ref)
	got := testutil.RunONNX(t, modelFile, x.Data, x.Shape)
	for _, out := range []string{"logits", "probs"} {
		ref64, _ := refs.F64(t, out+"64_"+ref)
		ref32, _ := refs.F64(t, out+"32_"+ref)
		refs.Compare(t, "ONNX Runtime "+out+" of "+label, testutil.RelErr(got[out], ref64), testutil.RelErr(ref32, ref64))
	}
	preds, err := predict(x)
	if err != nil {
		t.Fatal(err)
	}
	asRef := asFloat64(probsOf(preds))
	ref64, _ := refs.F64(t, "probs64_"+ref)
	ref32, _ := refs.F64(t, "probs32_"+ref)
	refs.Compare(t, "ONNX Runtime vs fastgo Predict, probs of "+label, testutil.RelErr(got["probs"], asRef), testutil.RelErr(ref32, ref64))
}

// ExportONNX writes models ONNX Runtime runs as fastgo and PyTorch do:
// predictors loaded from fastai exports, the same model through a fastgo
// file, and a cnn.Learner holding a fastai 1 learn.save's weights.
func TestONNXRuntimeMatchesPredict(t *testing.T) {
	testutil.ONNXRuntime(t) // skip early without ONNX Runtime
	refs := fastaiRefs(t)
	for _, c := range []struct{ file, ref string }{
		{"resnet18_archive.pkl", "resnet18"}, {"resnet34_aug.pkl", "resnet34_aug"}, {"resnet50_pad.pkl", "resnet50_pad"},
	} {
		t.Run(c.file, func(t *testing.T) {
			p, err := LoadPredictor(fastaiFile(c.file), quietBackend()...)
			if err != nil {
				t.Fatal(err)
			}
			checkONNX(t, refs, p.ExportONNX, p.Learner.Predict, c.ref, "fastai "+c.file)
		})
	}
	t.Run("fastgo file", func(t *testing.T) {
		q := viaFastgoFile(t, "resnet34_aug.pkl")
		checkONNX(t, refs, q.ExportONNX, q.Learner.Predict, "resnet34_aug", "fastai resnet34_aug.pkl via a fastgo file")
	})
	t.Run("cnn.Learner", func(t *testing.T) {
		learn, err := Learner(catsAndDogs(t), models.ResNet34.Scaled(1),
			append(quietBackend(), Pretrained(false), WithHead(models.HeadSpec{Bias: true}), persist.Off())...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := LoadFastaiWeights(learn, fastaiFile("resnet34_save_v1.pth")); err != nil {
			t.Fatal(err)
		}
		export := func(path string) error { return ExportONNX(learn, path) }
		checkONNX(t, refs, export, learn.Predict, "resnet34_v1", "a cnn.Learner with fastai 1 weights")
	})
}

// Where fastai's validation resize shrinks more than 2× (Resize(100) then
// aug_transforms(size=32): d = 100/64 > 1), the ONNX graph area-averages
// 100 → 64 before its bilinear Resize, as fastgo's Predict does: on three
// photos ONNX Runtime's probabilities equal Predict's within 16 float32
// steps (normwise; they differ by 0.08 with the area step left out of
// the graph).
func TestONNXAreaStepMatchesPredict(t *testing.T) {
	testutil.ONNXRuntime(t) // skip early without ONNX Runtime
	p, err := LoadFastai(fastaiFile("resnet34_aug.pkl"), quietBackend()...)
	if err != nil {
		t.Fatal(err)
	}
	p.ItemTfms = []fastgo.ItemTransform{vision.Resize(100)}
	p.Learner.Data.ItemTfms = p.ItemTfms
	if h, w, ok := augment.ValidPreShrink(100, 100, 32); !ok || h != 64 || w != 64 {
		t.Fatalf("ValidPreShrink(100, 100, 32) = %d, %d, %v; want 64, 64, true", h, w, ok)
	}
	var images []vision.Image
	var x fastgo.ByteTensor
	for _, name := range []string{"Abyssinian_1.jpg", "pug_166.jpg", "Sphynx_247.jpg"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "images", name))
		if err != nil {
			t.Fatal(err)
		}
		m, err := p.Prepare(data, name)
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, m)
		x.Data = append(x.Data, m.Pix...)
	}
	x.Shape = []int{len(images), 100, 100, 3}
	model := filepath.Join(t.TempDir(), "area.onnx")
	if err := p.ExportONNX(model); err != nil {
		t.Fatal(err)
	}
	got := testutil.RunONNX(t, model, x.Data, x.Shape)
	preds, err := p.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	if d := testutil.RelErr(got["probs"], asFloat64(probsOf(preds))); d > 16*testutil.ParityFloor {
		t.Errorf("ONNX Runtime vs Predict: probabilities %.3g apart (normwise), want at most %.3g", d, 16*testutil.ParityFloor)
	} else {
		t.Logf("ONNX Runtime vs Predict: %.3g", d)
	}
}

// What the ONNX graph cannot describe is refused, naming it.
func TestExportONNXRefuses(t *testing.T) {
	p, err := LoadFastai(fastaiFile("resnet18_archive.pkl"), quietBackend()...)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	noResize, err := learner.New(learner.Data{Vocab: []string{"a", "b"}}, Model(models.ResNet18.Scaled(1), 2), quietBackend()...)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := learner.New(learner.Data{Vocab: []string{"a", "b"}, ItemTfms: []fastgo.ItemTransform{vision.Resize(32)}},
		Model(models.ResNet18.Scaled(1), 2), quietBackend()...)
	if err != nil {
		t.Fatal(err)
	}
	mlp, err := learner.New(p.Learner.Data, learner.Model{Name: "mlp", Build: Model(models.ResNet18, 3).Build}, quietBackend()...)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		learn *learner.Learner
		want  string
	}{
		"no Resize":     {noResize, "no vision.Resize"},
		"no weights":    {fresh, "no weights yet"},
		"not a cnn net": {mlp, `model "mlp" is not one cnn.Learner builds`},
	} {
		out := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".onnx")
		if err := ExportONNX(c.learn, out); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), out) {
			t.Errorf("%s: %v, want an error naming %s and saying %q", name, err, out, c.want)
		}
	}
}
