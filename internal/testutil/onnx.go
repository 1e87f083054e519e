package testutil

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// ONNXRuntimeEnv names the node_modules folder holding npm's
// onnxruntime-node (scripts/deps-onnxruntime.sh installs it in
// build/onnxruntime and prints the folder; make parity sets the variable).
const ONNXRuntimeEnv = "FASTGO_ONNXRUNTIME"

// repoRoot is the checkout's root folder.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// ONNXRuntime returns the node_modules folder of onnxruntime-node:
// $FASTGO_ONNXRUNTIME, else build/onnxruntime/node_modules of the
// checkout when scripts/deps-onnxruntime.sh has installed it there. It
// skips the test when there is none (make parity installs it and runs the
// ONNX tests).
func ONNXRuntime(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv(ONNXRuntimeEnv); dir != "" {
		return dir
	}
	dir := filepath.Join(repoRoot(), "build", "onnxruntime", "node_modules")
	if _, err := os.Stat(filepath.Join(dir, "onnxruntime-node", "package.json")); err == nil {
		if _, err := exec.LookPath("node"); err == nil {
			return dir
		}
	}
	t.Skipf("%s is not set and build/onnxruntime has no onnxruntime-node: `make parity` installs ONNX Runtime (scripts/deps-onnxruntime.sh) and runs this test", ONNXRuntimeEnv)
	return ""
}

// RunONNX runs the ONNX model file with ONNX Runtime (scripts/onnx_run.js
// under node) on uint8 NHWC images of shape [N,H,W,3] and returns each
// output by name, row-major. It skips the test when ONNX Runtime is not
// installed (see [ONNXRuntime]) and fails it when the run fails.
func RunONNX(t testing.TB, model string, pixels []uint8, shape []int) map[string][]float64 {
	t.Helper()
	modules := ONNXRuntime(t)
	images := filepath.Join(t.TempDir(), "images.bin")
	if err := os.WriteFile(images, pixels, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{filepath.Join(repoRoot(), "scripts", "onnx_run.js"), model, images}
	for _, d := range shape[:3] {
		args = append(args, strconv.Itoa(d))
	}
	cmd := exec.Command("node", args...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("onnxruntime-node on %s: %v: %s", model, err, stderr.String())
	}
	var res map[string]struct {
		Dims []int     `json:"dims"`
		Data []float64 `json:"data"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	values := map[string][]float64{}
	for k, v := range res {
		values[k] = v.Data
	}
	return values
}
