package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision/cnn"
)

// exportONNXCmd is `fastgo export-onnx MODEL OUT.onnx`: the model (a
// fastgo export or a fastai export.pkl) as ONNX (cnn.ExportONNX).
func exportONNXCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fastgo export-onnx", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: fastgo export-onnx MODEL OUT.onnx

Writes the model (a file written by learner.Export, or fastai's learn.export
export.pkl) as an ONNX model (opset 17) that ONNX Runtime runs: input "image",
uint8 RGB NHWC [batch, S, S, 3] resized as the model's item transforms say
(S is printed); outputs "logits" and "probs", float32 [batch, classes]; the
class names in the metadata ("vocab").`)
		fs.PrintDefaults()
	}
	pos, ok, status := parseArgs(fs, args)
	if !ok {
		return status
	}
	if len(pos) != 2 {
		return badArgs(fs, stderr, "give MODEL and OUT.onnx", pos)
	}
	if problem := checkOutPath(pos[1]); problem != "" {
		fmt.Fprintf(stderr, "%s: %s\n", fs.Name(), problem)
		return 2
	}
	p, err := cnn.LoadPredictor(pos[0], learner.Output(stderr))
	if err != nil {
		fmt.Fprintf(stderr, "fastgo: %v\n", err)
		return 1
	}
	if err := p.ExportONNX(pos[1]); err != nil {
		fmt.Fprintf(stderr, "fastgo: %v\n", err)
		return 1
	}
	size := p.InputSize()
	fmt.Fprintf(stdout, "fastgo: wrote %s (%s, %d classes; input uint8 [batch, %d, %d, 3])\n", pos[1], p.Arch.Name, len(p.Vocab), size, size)
	return 0
}

// checkOutPath says what is wrong with out as the path of a file to write,
// before the model is loaded: out is a folder, or its folder is missing or
// not a folder. "" when none of these.
func checkOutPath(out string) string {
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return fmt.Sprintf("%s: is a folder: give the ONNX file's path, e.g. %s", out, filepath.Join(out, "model.onnx"))
	}
	dir := filepath.Dir(out)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Sprintf("%s: no such folder: create it first (mkdir -p %s), or give a path in an existing folder", dir, dir)
	case err == nil && !st.IsDir():
		return fmt.Sprintf("%s: is a file, not a folder: give a path in an existing folder", dir)
	}
	return ""
}
