package cnn

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// Trial 2: a diverged fit's NaN weights were written to the ONNX file
// ("wrote m/nan.onnx", exit 0) and an ONNX Runtime user got NaN
// probabilities. ExportONNX refuses them, naming the variable; nothing
// is written.
func TestExportONNXRefusesNonFiniteWeights(t *testing.T) {
	_, _, path := exportTinyPets(t)
	p, err := LoadPredictor(path)
	if err != nil {
		t.Fatal(err)
	}
	var poisoned string
	for v := range p.Learner.Store().IterVariables() {
		if strings.Contains(v.Path(), "head") && strings.HasSuffix(v.Path(), "weight") && poisoned == "" {
			val, err := v.Value()
			if err != nil {
				t.Fatal(err)
			}
			data := tensors.MustCopyFlatData[float32](val)
			data[1] = float32(math.Inf(1))
			if err := v.SetValue(tensors.FromFlatDataAndDimensions(data, val.Shape().Dimensions...)); err != nil {
				t.Fatal(err)
			}
			poisoned = v.Path()
		}
	}
	out := filepath.Join(t.TempDir(), "nan.onnx")
	err = p.ExportONNX(out)
	if err == nil {
		t.Fatal("ExportONNX of +Inf weights: no error")
	}
	for _, want := range []string{out, poisoned, "+Inf", "diverged", "lower learning rate"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("ExportONNX refused but wrote %s", out)
	}
}

// Trial 2: an existing folder as the output gave "rename …/.m.tmp… …/m:
// file exists".
func TestExportONNXToAFolder(t *testing.T) {
	_, _, path := exportTinyPets(t)
	p, err := LoadPredictor(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	err = p.ExportONNX(dir)
	if want := dir + ": is a folder: give a file path, e.g. " + filepath.Join(dir, "model.onnx"); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("ExportONNX to a folder: %v, want %q", err, want)
	}
}

// Trial 2: PredictFiles() with no path said "cnn.Predictor.Predict: no
// images", naming another method.
func TestPredictFilesWithoutPaths(t *testing.T) {
	_, _, path := exportTinyPets(t)
	p, err := LoadPredictor(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PredictFiles(); err == nil || !strings.HasPrefix(err.Error(), "cnn.Predictor.PredictFiles: no paths") {
		t.Errorf("PredictFiles(): %v, want an error from PredictFiles saying there is no path", err)
	}
}
