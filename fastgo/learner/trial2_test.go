package learner

import (
	"errors"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/gomlx/gomlx/core/tensors"
)

// poison sets element i of the model variable path to v, as a diverged
// fit leaves its weights.
func poison(t *testing.T, l *Learner, path string, i int, v float32) {
	t.Helper()
	variable := l.store.GetVariable(path)
	if variable == nil {
		t.Fatalf("no variable %s", path)
	}
	val, err := variable.Value()
	if err != nil {
		t.Fatal(err)
	}
	data := tensors.MustCopyFlatData[float32](val)
	data[i] = v
	if err := variable.SetValue(tensors.FromFlatDataAndDimensions(data, val.Shape().Dimensions...)); err != nil {
		t.Fatal(err)
	}
}

// Trial 2: after a diverged fit (NaN weights) Export wrote the NaNs and
// returned nil; a server then answered NaN probabilities. Export refuses,
// naming the variable and what to do; Save (for resuming, or looking into
// the divergence) still writes them.
func TestExportRefusesNonFiniteWeights(t *testing.T) {
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(-1))} {
		l := newTiny(t)
		if err := l.Fit(1, 1e-3); err != nil {
			t.Fatal(err)
		}
		poison(t, l, "/head/weight", 3, bad)
		dir := t.TempDir()
		path := filepath.Join(dir, "nan.learner")
		err := l.Export(path)
		if err == nil {
			t.Fatalf("Export of a learner with a %v weight: no error", bad)
		}
		for _, want := range []string{path, "/head/weight", "diverged", "lower learning rate", "earlier"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Export error %q does not say %q", err, want)
			}
		}
		if _, serr := os.Stat(path); serr == nil {
			t.Errorf("Export refused but wrote %s", path)
		}
		if err := l.Save(filepath.Join(dir, "nan-state.learner")); err != nil {
			t.Errorf("Save of a diverged learner (for resuming or a look): %v", err)
		}
	}
}

// Trial 2: Save and Export to an existing folder failed with
// "rename …/.m.tmp… …/m: file exists" after writing the whole file.
func TestSaveToAFolderSaysGiveAFilePath(t *testing.T) {
	l := newTiny(t)
	dir := t.TempDir()
	for name, write := range map[string]func(string) error{"save": l.Save, "export": l.Export} {
		err := write(dir)
		if err == nil {
			t.Fatalf("%s to the folder %s: no error", name, dir)
		}
		want := name + " " + dir + ": is a folder: give a file path, e.g. " + filepath.Join(dir, "model.learner")
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %q, want %q", name, err, want)
		}
		if strings.Contains(err.Error(), "rename") {
			t.Errorf("%s: error %q still tells of the rename", name, err)
		}
		if temps, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".*.tmp*")); len(temps) > 0 {
			t.Errorf("%s left temporaries %v", name, temps)
		}
		// Trial 3: a new folder's name with a final slash made the folder,
		// then failed at the rename; an empty path failed at the rename.
		newDir := filepath.Join(dir, name+"-new") + "/"
		if err := write(newDir); err == nil || !strings.Contains(err.Error(), "ends in a path separator: give a file path") {
			t.Errorf("%s to %s: error %v, want one asking for a file path", name, newDir, err)
		}
		if _, err := os.Stat(newDir); err == nil {
			t.Errorf("%s to %s made the folder", name, newDir)
		}
		if err := write(""); err == nil || !strings.Contains(err.Error(), "no file path given") {
			t.Errorf("%s to \"\": error %v, want one asking for a file path", name, err)
		}
	}
}

// Trial 2: a 0-image batch reached the graph and failed with
// "ops.channelBroadcast: want v [C] and n ≥ 1…".
func TestPredictAndGetPredsRefuseEmptyBatches(t *testing.T) {
	l := newTiny(t)
	empty := fastgo.ByteTensor{Shape: []int{0, 4, 4, 3}}
	if _, err := l.Predict(empty); err == nil || !strings.Contains(err.Error(), "no images") || strings.Contains(err.Error(), "ops.") {
		t.Errorf("Predict of 0 images: err = %v, want one saying there are no images", err)
	}
	if _, err := l.PredictFloat(nil, []int{0, 4, 4, 3}); err == nil || !strings.Contains(err.Error(), "no images") || strings.Contains(err.Error(), "ops.") {
		t.Errorf("PredictFloat of 0 images: err = %v, want one saying there are no images", err)
	}
	_, err := l.GetPreds(SliceSource{{X: empty, Y: []int{}}})
	if err == nil || !strings.Contains(err.Error(), "batch 0") || !strings.Contains(err.Error(), "no images") || strings.Contains(err.Error(), "ops.") {
		t.Errorf("GetPreds of a 0-image batch: err = %v, want batch 0 named, with no images", err)
	}
}

// Trial 2: GetPreds over no batch returned a nil error and a (0, 0)
// tensor, although the learner knows its classes.
func TestGetPredsOfNoBatchIsAnError(t *testing.T) {
	l := newTiny(t)
	if p, err := l.GetPreds(SliceSource{}); err == nil || !strings.Contains(err.Error(), "no batch") {
		t.Errorf("GetPreds(SliceSource{}) = %+v, %v; want an error saying there is no batch", p, err)
	}
	l.Data.Valid = SliceSource{}
	if p, err := l.GetPreds(nil); err == nil || !strings.Contains(err.Error(), "validation set is empty") {
		t.Errorf("GetPreds(nil) on an empty validation set = %+v, %v; want an error saying it is empty", p, err)
	}
}

// Trial 2: GetPreds on unlabelled images said only "batch has 4 images
// but 0 labels".
func TestGetPredsWithoutLabelsPointsToPredict(t *testing.T) {
	l := newTiny(t)
	b := firstBatch(t, l.Data.Valid)
	_, err := l.GetPreds(SliceSource{{X: b.X}})
	if err == nil {
		t.Fatal("GetPreds of unlabelled images: no error")
	}
	for _, want := range []string{"no labels", "losses", "Predict", "cnn.Predictor"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// Trial 2: an error of the model's graph code (ops.BatchNorm's "use a
// batch size of at least 2") reached the user behind GoMLX's
// "failed during graph construction/compilation: compilation failed for
// Exec "Store.Exec:…func39": graphFn for … panicked:" prefix.
func TestGraphBuildErrorsWithoutGoMLXPrefix(t *testing.T) {
	m := tinyModel(4)
	m.Build = func(*model.Scope, *graph.Node, bool) *graph.Node {
		panic(errors.New("mymodel: use a batch size of at least 2"))
	}
	l := newTinyOf(t, m)
	_, err := l.Predict(firstBatch(t, l.Data.Valid).X)
	if err == nil || !strings.Contains(err.Error(), "mymodel: use a batch size of at least 2") {
		t.Fatalf("Predict: %v, want the model's error", err)
	}
	for _, noise := range []string{"compilation failed for Exec", "graphFn for", "Store.Exec"} {
		if strings.Contains(err.Error(), noise) {
			t.Errorf("Predict: %q still holds GoMLX's %q", err, noise)
		}
	}
}

// Trial 3: AccumMetric("", fn) was accepted and made a blank, misaligned
// column in the epoch table; two metrics of one name, two columns alike.
func TestMetricsNeedDistinctNames(t *testing.T) {
	fn := func([]float32, int, []int) float64 { return 0 }
	for _, tc := range []struct {
		metrics []Metric
		want    string
	}{
		{[]Metric{AccumMetric("", fn)}, "a metric has no name"},
		{[]Metric{Accuracy, AccumMetric("  ", fn)}, "a metric has no name"},
		{[]Metric{AccumMetric("f1", fn), AccumMetric("f1", fn)}, `metric "f1" is given twice`},
	} {
		l := newTiny(t)
		l.Metrics = tc.metrics
		if err := l.Fit(1, 1e-3); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Fit with metrics %v: err = %v, want %q", tc.metrics, err, tc.want)
		}
	}
}
