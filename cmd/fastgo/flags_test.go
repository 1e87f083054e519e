package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo/vision"
)

// TestFlagsSayWhatIsWrong: each subcommand refuses a bad flag value or a
// wrong number of arguments with exit status 2 and a line naming the flag
// and its value and saying what to give, before loading the model (the
// model path does not exist: reaching it would fail with status 1).
// Before, serve answered one sentence about five flags for any of them,
// and healthcheck printed only its usage.
func TestFlagsSayWhatIsWrong(t *testing.T) {
	const model = "no-such-model.learner"
	folder := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"serve -max-batch 0", []string{"serve", model, "-max-batch", "0"}, []string{"-max-batch 0: give a number ≥ 1"}},
		{"serve -k 0", []string{"serve", model, "-k", "0"}, []string{"-k 0: give a number ≥ 1"}},
		{"serve -max-wait -5ms", []string{"serve", model, "-max-wait", "-5ms"}, []string{"-max-wait -5ms: give a duration ≥ 0"}},
		{"serve -max-body 0", []string{"serve", model, "-max-body", "0"}, []string{"-max-body 0 bytes: give a size of at least 1 byte, e.g. 20MiB"}},
		{"serve -max-pixels -1", []string{"serve", model, "-max-pixels", "-1"}, []string{"-max-pixels -1: give a number of pixels ≥ 0", "0: no limit"}},
		{"serve, two bad flags", []string{"serve", model, "-k", "-2", "-max-batch", "0"}, []string{"-k -2: give", "-max-batch 0: give"}},
		{"serve, no model", []string{"serve"}, []string{"fastgo serve: give one MODEL", "got none", "Usage: fastgo serve"}},
		{"serve, two models", []string{"serve", model, "other"}, []string{"fastgo serve: give one MODEL", `got 2: "no-such-model.learner" "other"`}},
		{"predict -k 0", []string{"predict", model, "x.jpg", "-k", "0"}, []string{"-k 0: give a number ≥ 1"}},
		{"predict, no image", []string{"predict", model}, []string{"fastgo predict: give a MODEL and at least one IMAGE", `got 1: "no-such-model.learner"`}},
		{"export-onnx, one argument", []string{"export-onnx", model}, []string{"fastgo export-onnx: give MODEL and OUT.onnx", `got 1: "no-such-model.learner"`}},
		{"export-onnx into a folder", []string{"export-onnx", model, folder}, []string{folder + ": is a folder: give the ONNX file's path, e.g. " + filepath.Join(folder, "model.onnx")}},
		{"export-onnx, no such folder", []string{"export-onnx", model, filepath.Join(folder, "nope", "m.onnx")}, []string{filepath.Join(folder, "nope") + ": no such folder: create it first"}},
		{"healthcheck -timeout 0s", []string{"healthcheck", "-timeout", "0s"}, []string{"-timeout 0s: give a duration > 0, e.g. 3s"}},
		{"healthcheck extra", []string{"healthcheck", "extra"}, []string{"fastgo healthcheck: takes no arguments", `got 1: "extra"`, "-addr host:port"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			if got := run(c.args, &stdout, &stderr); got != 2 {
				t.Errorf("exit status %d, want 2; stderr %q", got, stderr.String())
			}
			for _, w := range c.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q\nwant it to say %q", stderr.String(), w)
				}
			}
			if strings.Contains(stderr.String(), "no such file") {
				t.Errorf("the model was loaded before the flags were checked: %q", stderr.String())
			}
		})
	}
}

// TestServeMaxPixelsZeroWarns: -max-pixels 0 turns the decompression-bomb
// limit off (vision.MaxPixels = 0); the help says so and serve warns at
// start (before: silent).
func TestServeMaxPixelsZeroWarns(t *testing.T) {
	defer func(old int) { vision.MaxPixels = old }(vision.MaxPixels)
	var stdout, stderr strings.Builder
	if got := run([]string{"serve", "no-such-model.learner", "-addr", "127.0.0.1:0", "-max-pixels", "0"}, &stdout, &stderr); got != 1 {
		t.Fatalf("exit status %d, want 1 (no such model); stderr %q", got, stderr.String())
	}
	if !strings.Contains(stderr.String(), "warning: -max-pixels 0: no limit on the image size") {
		t.Errorf("stderr %q: no warning that the limit is off", stderr.String())
	}
	stderr.Reset()
	run([]string{"serve", "-h"}, &stdout, &stderr)
	if !strings.Contains(stderr.String(), "0: no limit") {
		t.Errorf("serve -h does not say what -max-pixels 0 does:\n%s", stderr.String())
	}
}

// TestServeListensFirst: an -addr in use or invalid is reported before the
// (slow) model load, saying what to do; before, the model was loaded and
// warmed, then "listen tcp …: bind: address already in use".
func TestServeListensFirst(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	for _, c := range []struct {
		addr string
		want string
	}{
		{addr, "-addr " + addr + ": the address is in use: stop the other server or give another -addr, e.g. :8081"},
		{"nonsense", "-addr nonsense: cannot listen there"},
	} {
		var stdout, stderr strings.Builder
		if got := run([]string{"serve", "no-such-model.learner", "-addr", c.addr}, &stdout, &stderr); got != 1 {
			t.Errorf("-addr %s: exit status %d, want 1; stderr %q", c.addr, got, stderr.String())
		}
		if !strings.Contains(stderr.String(), c.want) {
			t.Errorf("-addr %s: stderr %q\nwant %q", c.addr, stderr.String(), c.want)
		}
		if strings.Contains(stderr.String(), "no-such-model") {
			t.Errorf("-addr %s: the model was loaded before listening: %q", c.addr, stderr.String())
		}
	}
	if _, err := os.Stat("no-such-model.learner"); err == nil {
		t.Fatal("no-such-model.learner exists")
	}
}
