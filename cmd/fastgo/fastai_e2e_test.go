package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision/cnn"
)

// fastaiTestdata is the folder of fastai-made test files (testdata/fastai).
const fastaiTestdata = "../../testdata/fastai"

// TestFastaiExportEndToEnd: the CGO_ENABLED=0 binary predicts with and
// serves a fastai learn.export() file named as fastai names it
// (export.pkl, a tiny ResNet34 trained with aug_transforms), giving what
// the library's cnn.LoadPredictor gives, writes it as ONNX, and refuses a
// learner it cannot reproduce by naming the class.
func TestFastaiExportEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "export.pkl")
	writeFile(t, model, readFile(t, filepath.Join(fastaiTestdata, "resnet34_aug.pkl")))
	files, _ := filepath.Glob(filepath.Join(images, "*.jpg"))
	const k = 3 // every class
	got := predictJSON(t, model, k, files...)
	p, err := cnn.LoadPredictor(model, learner.Output(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	preds, err := p.PredictFiles(files...)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		if want := roundProbs(p.TopK(preds[i], k)); !sameProbs(got[filepath.Base(f)], want) {
			t.Errorf("%s: fastgo predict gave %v, cnn.LoadPredictor %v", f, got[filepath.Base(f)], want)
		}
	}

	srv := startServe(t, model, "-k", "3")
	info := getModel(t, srv.url)
	if info.Arch != "resnet34-w1" || strings.Join(info.Classes, ",") != "Abyssinian,Bengal,pug" || len(info.Inputs.BatchTfms) != 2 ||
		info.InputSize != 48 || info.ApplyEXIF || len(info.Inputs.ItemTfms) != 1 || info.Inputs.ItemTfms[0].Settings["method"] != "crop" {
		t.Errorf("GET /model: %+v", info)
	}
	var r predictResponse
	if status := post(t, srv.url+"/predict", "image/jpeg", bytes.NewReader(readFile(t, filepath.Join(images, "pug_166.jpg"))), &r); status != 200 ||
		!sameProbs(r.Predictions, got["pug_166.jpg"]) {
		t.Errorf("served %d %+v, predict gave %v", status, r, got["pug_166.jpg"])
	}
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-srv.exited:
		if err != nil {
			t.Errorf("after SIGTERM: %v\n%s", err, srv.out)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("still running 30 s after SIGTERM:\n%s", srv.out)
	}

	onnxFile := filepath.Join(dir, "pets.onnx")
	out, errOut, status := runFastgo(t, "export-onnx", model, onnxFile)
	if status != 0 || !strings.Contains(out, "input uint8 [batch, 48, 48, 3]") {
		t.Errorf("export-onnx: status %d\nstdout %q\nstderr %q", status, out, errOut)
	}
	if b, err := os.ReadFile(onnxFile); err != nil || len(b) < 1000 || !bytes.HasPrefix(b, []byte{0x08, 0x08}) { // ir_version 8
		t.Errorf("export-onnx wrote %d bytes (%v), want a ModelProto", len(b), err)
	}

	// Files given where the model belongs say what they are (once "cut
	// short in a copy?" and, for a folder, "empty").
	for model, want := range map[string]string{onnxFile: "is an ONNX model", dir: "is a folder", filepath.Join(images, "pug_166.jpg"): "is an image (JPEG)"} {
		_, errOut, status := runFastgo(t, "predict", model, filepath.Join(images, "pug_166.jpg"))
		if status != 1 || !strings.Contains(errOut, want) || strings.Contains(errOut, "cut short") {
			t.Errorf("predict with MODEL %s: status %d, stderr %q; want 1 and %q", model, status, errOut, want)
		}
	}

	// A symbolic link to nothing (git-annex content not fetched) is
	// explained as vision.LoadImage explains it, not a bare ENOENT.
	dangling := filepath.Join(dir, "dangling.jpg")
	if err := os.Symlink(filepath.Join(dir, "annex", "pug.jpg"), dangling); err == nil {
		_, errOut, status := runFastgo(t, "predict", model, dangling)
		if status != 1 || !strings.Contains(errOut, "symbolic link to") || !strings.Contains(errOut, "git annex get") {
			t.Errorf("predict of a dangling link: status %d, stderr %q", status, errOut)
		}
	}

	for _, args := range [][]string{
		{"predict", filepath.Join(fastaiTestdata, "refuse_y_range.pkl"), filepath.Join(images, "pug_166.jpg")},
		{"export-onnx", filepath.Join(fastaiTestdata, "refuse_y_range.pkl"), filepath.Join(dir, "no.onnx")},
	} {
		_, errOut, status := runFastgo(t, args...)
		if status != 1 || !strings.Contains(errOut, "fastai.layers.SigmoidRange") || !strings.Contains(errOut, "y_range") {
			t.Errorf("%s of a y_range learner: status %d, stderr %q; want 1 and the class named", args[0], status, errOut)
		}
	}
	if _, errOut, status := runFastgo(t, "export-onnx", model); status != 2 || !strings.Contains(errOut, "Usage: fastgo export-onnx") {
		t.Errorf("export-onnx without OUT: status %d, stderr %q", status, errOut)
	}
}
