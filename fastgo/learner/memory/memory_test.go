package memory

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo/backend"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/internal/testutil/tinylearn"
)

// ResNet50 at batch 96 under a 4 GB limit ended in 2,297 lines of
// goroutine stacks (#21.4). A fit whose estimated peak is above what the
// machine has is refused before any step, naming the batch size that fits.
func TestFitRefusesABatchMemoryCannotHold(t *testing.T) {
	defer func(f func() (backend.Memory, bool)) { availableMemory = f }(availableMemory)
	availableMemory = func() (backend.Memory, bool) { return backend.Memory{Bytes: 1 << 50, Where: "plenty"}, true }
	check := &checker{}
	l := tinylearn.New(t, learner.Callbacks(check))
	if err := l.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	est := check.est
	if est.BatchSize != 16 || est.PerImage <= 0 || est.Fixed <= memRuntimeBytes {
		t.Fatalf("estimate %+v: want batch 16, a positive per-image share, weights above the runtime", est)
	}
	before := tinylearn.Weights(t, l)
	losses := slices.Clone(l.Recorder.Losses)

	// Room for 5 images and a half: a fresh graph is built for the new
	// learner's first step, and refused.
	l2 := tinylearn.New(t, learner.Callbacks(Check()))
	availableMemory = func() (backend.Memory, bool) {
		return backend.Memory{Bytes: est.Fixed + 5*est.PerImage + est.PerImage/2, Where: "RAM: test"}, true
	}
	err := l2.Fit(1, 1e-3)
	var me *Error
	if !errors.As(err, &me) {
		t.Fatalf("Fit = %v, want a *memory.Error", err)
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
	if got := tinylearn.Weights(t, l); !reflect.DeepEqual(got, before) || !slices.Equal(l.Recorder.Losses, losses) {
		t.Error("another learner's refused fit changed this one")
	}
	// On a GPU the same shortfall is a warning: XLA reports its own
	// out-of-memory, and the estimate there is rougher.
	var out bytes.Buffer
	l3 := tinylearn.New(t, learner.Callbacks(Check()), learner.Output(&out))
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
	e := Estimate{BatchSize: 96, Fixed: 500 << 20, PerImage: 50 << 20}
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
	check := &checker{}
	if err := check.BeforeFit(nil); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	reportKilledFit(&out, path)
	if out.Len() != 0 {
		t.Errorf("a running fit reported as killed: %q", out.String())
	}
	check.CleanUp()
	if _, err := os.Stat(filepath.Join(dir, killedFitFileName)); !os.IsNotExist(err) {
		t.Error("a finished fit left its note")
	}
	// A real fit leaves no note behind.
	if err := tinylearn.New(t, learner.Callbacks(Check())).Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, killedFitFileName)); !os.IsNotExist(err) {
		t.Error("a finished fit left its note")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// longBatchHelperEnv makes the test binary act as TestLongBatchHelper's child.
const longBatchHelperEnv = "FASTGO_TEST_LONG_BATCH_HELPER"

// TestLongBatchHelper is not a test: a fit in a notebook whose batch 5
// takes far longer than GoNB's 5 s between the stop button and its kill.
func TestLongBatchHelper(t *testing.T) {
	dir := os.Getenv(longBatchHelperEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	t.Setenv("GONB_TMP_DIR", dir)
	l := tinylearn.New(t, learner.Callbacks(Check()), learner.Output(os.Stdout))
	if err := l.Fit(5, 1e-3, learner.WithCallbacks(slowBatch(5))); err != nil {
		t.Fatal(err)
	}
}

type slowBatch int

func (n slowBatch) AfterBatch(f *learner.FitState) error {
	if f.Training && f.Iter == int(n) {
		os.Stdout.WriteString("TRAINING\n")
		time.Sleep(30 * time.Second) // a long batch: the parent kills it
	}
	return nil
}

// A stop during a batch longer than GoNB's 5 s grace ended in a SIGKILL,
// which the next cell then reported as a lack of memory (found by a user
// trial with ResNet34 at 224 px on a CPU). The stop is noted at once, the
// cell says it will stop, and the next cell reports a stop.
func TestStopDuringALongBatchIsNotReportedAsMemory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLongBatchHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), longBatchHelperEnv+"="+dir, "FASTGO_DISPLAY=terminal", "FASTGO_PROGRESS=final")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stdout)
	said := false
	for sc.Scan() {
		switch {
		case sc.Text() == "TRAINING":
			cmd.Process.Signal(syscall.SIGINT)
		case strings.HasPrefix(sc.Text(), "Stopping:"):
			said = true
			cmd.Process.Kill() // what GoNB does 5 s after the stop button
		}
		if said {
			break
		}
	}
	cmd.Wait()
	if !said {
		t.Fatal("the cell did not say it was stopping")
	}
	var out bytes.Buffer
	reportKilledFit(&out, filepath.Join(dir, killedFitFileName))
	if !strings.Contains(out.String(), "was stopped in the middle of a batch") || strings.Contains(out.String(), "memory") {
		t.Errorf("the next cell says %q, want a stop, not a lack of memory", out.String())
	}
}
