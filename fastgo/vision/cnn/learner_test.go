package cnn

import (
	"io"
	"math"
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
	"github.com/fastgo-ml/fastgo/internal/testutil/testpets"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// tinyCheckpointArch is tinyArch whose weight file is
// testdata/weights/tiny_resnet.pth (never downloaded: tests run offline).
// tinyArch is ResNet18 at a quarter of its width: a CNN learner that
// trains in seconds.
var tinyArch = models.ResNet18.Scaled(4)

func tinyCheckpointArch() models.Arch {
	a := tinyArch
	a.URL = "http://127.0.0.1:9/tiny_resnet.pth"
	return a
}

// petLoaders are the bundled pet images at 32 px, with augmentation, in
// batches of 4 unless opts say otherwise.
func petLoaders(t *testing.T, opts ...fastgo.LoaderOption) *fastgo.DataLoaders {
	return testpets.PetLoaders(t, vision.ImageBlock(), []fastgo.ItemTransform{vision.Resize(40)},
		[]fastgo.BatchTransform{augment.MustAugTransforms(32, augment.MinScale(0.75))}, opts...)
}

func TestCNNLearnerPretrainedTinyResNet(t *testing.T) {
	dls := petLoaders(t)
	learn, err := Learner(dls, tinyCheckpointArch(), WeightsFrom(models.PretrainedOptions{Dir: "../../../testdata/weights", Offline: true}),
		learner.Metrics(learner.ErrorRate), learner.WithBackend(testutil.Backend()), persist.Off())
	if err != nil {
		t.Fatal(err)
	}
	learn.Quiet = true
	// fastai's _add_norm: ImageNet statistics appended once, after the augmentation.
	if n := len(dls.BatchTfms); n != 2 || !strings.HasPrefix(dls.BatchTfms[1].Name(), "Normalize") {
		t.Fatalf("batch transforms after Learner: %d, last %q; want augmentation then Normalize", n, dls.BatchTfms[n-1].Name())
	}
	if learn.FrozenTo() != models.NumParamGroups-1 {
		t.Errorf("pretrained learner frozen to %d, want %d (body frozen)", learn.FrozenTo(), models.NumParamGroups-1)
	}
	// The loaded stem equals the checkpoint's.
	sd, _, err := models.ReadStateDict("../../../testdata/weights/tiny_resnet.pth")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := learn.GetPreds(nil); err != nil {
		t.Fatal(err)
	}
	v := learn.Store().GetVariable("/" + models.BodyScope + "/bn1/running_var")
	if v == nil {
		t.Fatal("no /body/bn1/running_var after building the model")
	}
	val, err := v.Value()
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](val)
	want := sd["bn1.running_var"].Data
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Fatalf("bn1.running_var[%d] = %v, checkpoint has %v", i, got[i], want[i])
		}
	}
	if err := learn.FineTune(1, learner.FreezeEpochs(1)); err != nil {
		t.Fatal(err)
	}
	if rows := learn.Recorder.Rows; len(rows) != 1 || math.IsNaN(rows[0].TrainLoss) {
		t.Errorf("FineTune(1): rows %+v, want one finite row (the unfrozen stage)", rows)
	}
}

func TestCNNLearnerMissingWeightsSaysWhere(t *testing.T) {
	dir := t.TempDir()
	_, err := Learner(petLoaders(t), tinyCheckpointArch(), WeightsFrom(models.PretrainedOptions{Dir: dir, Offline: true}),
		learner.WithBackend(testutil.Backend()), persist.Off())
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Learner without the weight file: err = %v, want one naming %s", err, dir)
	}
}

func TestCNNLearnerFromScratchNeitherFreezesNorNormalizes(t *testing.T) {
	dls := petLoaders(t)
	learn, err := Learner(dls, tinyArch, Pretrained(false), learner.WithBackend(testutil.Backend()), persist.Off())
	if err != nil {
		t.Fatal(err)
	}
	if learn.FrozenTo() != 0 || len(dls.BatchTfms) != 1 {
		t.Errorf("from scratch: frozen to %d with %d batch transforms; want 0 and 1", learn.FrozenTo(), len(dls.BatchTfms))
	}
}

func TestIsBatchNormVariable(t *testing.T) {
	for path, want := range map[string]bool{
		"/body/bn1/weight":                   true,
		"/body/layer2/0/bn2/running_mean":    true,
		"/body/layer2/0/downsample/1/weight": true,
		"/body/layer2/0/downsample/0/weight": false,
		"/body/conv1/weight":                 false,
		"/head/2/weight":                     true,
		"/head/6/bias":                       true,
		"/head/4/weight":                     false,
		"/head/8/weight":                     false,
	} {
		if got := isBatchNormVariable(path); got != want {
			t.Errorf("isBatchNormVariable(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestWeightsCached(t *testing.T) {
	t.Setenv("FASTGO_HOME", t.TempDir())
	if models.WeightsCached(models.ResNet34) {
		t.Fatal("WeightsCached in an empty FASTGO_HOME: want false")
	}
	if err := os.MkdirAll(models.ModelsDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(models.ModelsDir(), models.ResNet34.File()), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !models.WeightsCached(models.ResNet34) || models.WeightsCached(models.ResNet18) {
		t.Error("WeightsCached: want true for the file present, false for the other")
	}
}

// Mixed precision keeps float32 master weights and statistics, trains to a
// finite loss, and can follow a float32 fit (existing float32 variables
// meet a bfloat16 batch).
func TestCNNLearnerToFP16KeepsFloat32Weights(t *testing.T) {
	learn, err := Learner(petLoaders(t), tinyArch, Pretrained(false),
		learner.WithBackend(testutil.Backend()), persist.Off())
	if err != nil {
		t.Fatal(err)
	}
	learn.Quiet = true
	if err := learn.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	learn.ToFP16()
	if err := learn.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	if rows := learn.Recorder.Rows; len(rows) != 1 || math.IsNaN(rows[0].TrainLoss) || math.IsInf(rows[0].TrainLoss, 0) {
		t.Fatalf("bf16 fit rows %+v, want one finite row", rows)
	}
	for _, path := range []string{"/body/conv1/weight", "/body/bn1/running_var", "/head/8/weight"} {
		v := learn.Store().GetVariable(path)
		if v == nil {
			t.Fatalf("no variable %s", path)
		}
		if dt := v.Shape().DType; dt != dtypes.Float32 {
			t.Errorf("%s is %s after a bf16 fit, want float32 master weights", path, dt)
		}
	}
}

// captureStdout runs f and returns what it printed.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	f()
	os.Stdout = old
	w.Close()
	out, _ := io.ReadAll(r)
	return string(out)
}

// TestPretrainedIfCachedSaysRandomOnce: without the weight file the
// learner starts from random weights and says so once per process, with
// what it does to the error rate.
func TestPretrainedIfCachedSaysRandomOnce(t *testing.T) {
	t.Setenv("FASTGO_HOME", t.TempDir()) // no weights there
	arch := tinyArch
	arch.Name = "tiny-ifcached"
	dls := petLoaders(t)
	out := captureStdout(t, func() {
		for range 2 {
			if _, err := Learner(dls, arch, PretrainedIfCached(), learner.WithBackend(testutil.Backend()), persist.Off()); err != nil {
				t.Fatal(err)
			}
		}
	})
	if n := strings.Count(out, "starts from random weights"); n != 1 || !strings.Contains(out, "error rate stays far higher") {
		t.Errorf("said %d times (want once, with the cost):\n%s", n, out)
	}
}

// W5 (trial 1): cnn.Metrics and learner.Metrics passed through
// cnn.LearnerOptions overrode each other silently (only accuracy was
// left). Learner takes one list of learner options now: both metrics
// are there, in order.
func TestLearnerTakesOneListOfOptions(t *testing.T) {
	learn, err := Learner(petLoaders(t), tinyArch, learner.Metrics(learner.ErrorRate), Pretrained(false),
		learner.Metrics(learner.Accuracy), learner.WithBackend(testutil.Backend()), persist.Off(), learner.Seed(3))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range learn.Metrics {
		names = append(names, m.Name)
	}
	if strings.Join(names, ",") != "error_rate,accuracy" {
		t.Errorf("metrics %v, want error_rate and accuracy", names)
	}
	if learn.FrozenTo() != 0 {
		t.Errorf("Pretrained(false) among learner options: frozen to %d, want 0", learn.FrozenTo())
	}
}

// Learner's own settings given where only learner options apply are
// refused, naming the setting and where it belongs.
func TestCNNSettingsRefusedElsewhere(t *testing.T) {
	for _, o := range []learner.Option{Pretrained(false), PretrainedIfCached(), WithHead(models.HeadSpec{Bias: true}), WeightsFrom(models.PretrainedOptions{})} {
		_, err := learner.New(learner.Data{Vocab: []string{"a", "b"}}, Model(tinyArch, 2), learner.WithBackend(testutil.Backend()), o)
		if err == nil || !strings.Contains(err.Error(), "is a setting of cnn.Learner") || !strings.Contains(err.Error(), "cnn.") {
			t.Errorf("learner.New with %v: err = %v, want one naming the cnn.Learner setting", o, err)
		}
	}
	_, err := LoadPredictor("../../../testdata/fastai/resnet34_aug.pkl", Pretrained(false))
	if err == nil || !strings.Contains(err.Error(), "cnn.Pretrained(false) is a setting of cnn.Learner") {
		t.Errorf("LoadPredictor with cnn.Pretrained: err = %v, want it refused by name", err)
	}
}
