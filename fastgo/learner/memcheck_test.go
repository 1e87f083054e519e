package learner

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo/backend"
)

// ResNet50 at batch 96 under a 4 GB limit ended in 2,297 lines of
// goroutine stacks (#21.4). A fit whose estimated peak is above what the
// machine has is refused before any step, naming the batch size that fits.
func TestFitRefusesABatchMemoryCannotHold(t *testing.T) {
	defer func(f func() (backend.Memory, bool)) { availableMemory = f }(availableMemory)
	availableMemory = func() (backend.Memory, bool) { return backend.Memory{Bytes: 1 << 50, Where: "plenty"}, true }
	l := newTiny(t)
	if err := l.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	est := l.memEstimate
	if est.BatchSize != 16 || est.PerImage <= 0 || est.Fixed <= memRuntimeBytes {
		t.Fatalf("estimate %+v: want batch 16, a positive per-image share, weights above the runtime", est)
	}
	before := modelValues(t, l)
	losses := slices.Clone(l.Recorder.Losses)

	// Room for 5 images and a half: a fresh graph is built for the new
	// learner's first step, and refused.
	l2 := newTiny(t)
	availableMemory = func() (backend.Memory, bool) {
		return backend.Memory{Bytes: est.Fixed + 5*est.PerImage + est.PerImage/2, Where: "RAM: test"}, true
	}
	err := l2.Fit(1, 1e-3)
	var me *MemoryError
	if !errors.As(err, &me) {
		t.Fatalf("Fit = %v, want a *MemoryError", err)
	}
	if !strings.HasPrefix(err.Error(), "fit: training at batch size 16") {
		t.Errorf("error %q: want it to start with what the fit needs, not a batch position", err)
	}
	for _, want := range []string{"batch size 16 needs about", "RAM: test", "batch size 5 fits", "fastgo.WithBatchSize(5)", "Nothing was trained", envMemoryCheck + "=off"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if len(l2.Recorder.Losses) != 0 {
		t.Errorf("a refused fit recorded losses %v", l2.Recorder.Losses)
	}
	// The first learner is untouched, and the check can be turned off.
	if got := modelValues(t, l); !reflect.DeepEqual(got, before) || !slices.Equal(l.Recorder.Losses, losses) {
		t.Error("another learner's refused fit changed this one")
	}
	// On a GPU the same shortfall is a warning: XLA reports its own
	// out-of-memory, and the estimate there is rougher.
	var out bytes.Buffer
	l3 := newTiny(t, Output(&out))
	l3.Quiet = false
	availableMemory = func() (backend.Memory, bool) {
		return backend.Memory{Bytes: est.Fixed + 5*est.PerImage, Where: "a test GPU", GPU: true}, true
	}
	if err := l3.Fit(1, 1e-3); err != nil {
		t.Errorf("on a GPU: %v, want a warning only", err)
	}
	if !strings.Contains(out.String(), "if XLA runs out of memory, batch size 5 should fit") {
		t.Errorf("on a GPU: no warning in %q", out.String())
	}
	t.Setenv(envMemoryCheck, "off")
	if err := l2.Fit(1, 1e-3); err != nil {
		t.Errorf("%s=off: %v", envMemoryCheck, err)
	}
}

func TestMemoryEstimateFits(t *testing.T) {
	e := MemoryEstimate{BatchSize: 96, Fixed: 500 << 20, PerImage: 50 << 20}
	if got := e.Total(); got != (500+96*50)<<20 {
		t.Errorf("Total = %d", got)
	}
	for _, tc := range []struct {
		have int64
		want int
	}{{4 << 30, 71}, {500 << 20, 0}, {100 << 20, 0}, {(500 + 50) << 20, 1}} {
		if got := e.Fits(tc.have); got != tc.want {
			t.Errorf("Fits(%d MiB) = %d, want %d", tc.have>>20, got, tc.want)
		}
	}
}

// A cell killed by the out-of-memory killer shows only "signal: killed";
// the next cell says what most likely happened, once.
func TestKilledFitIsReportedByTheNextCell(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GONB_TMP_DIR", dir)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no `true` command:", err)
	}
	path := fitRunningPath()
	if err := os.WriteFile(path, []byte(strings.Join([]string{itoa(dead.Process.Pid), "96", itoa(5 << 30)}, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	reportKilledFit(&out, path)
	for _, want := range []string{"batch size 96", "5.00G", "most likely for lack of memory", "fastgo.WithBatchSize"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report %q does not say %q", out.String(), want)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("the note is still there: the next cell would say it again")
	}
	// A fit running in a live process (this one) is not reported.
	l := newTiny(t)
	remove := l.markFitRunning()
	out.Reset()
	reportKilledFit(&out, path)
	if out.Len() != 0 {
		t.Errorf("a running fit reported as killed: %q", out.String())
	}
	remove()
	if _, err := os.Stat(filepath.Join(dir, killedFitFileName)); !os.IsNotExist(err) {
		t.Error("a finished fit left its note")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
