package learner

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as TestSaveHelper's child.
const helperEnv = "FASTGO_TEST_SAVE_HELPER"

// TestSaveHelper is not a test: run by TestInterruptDuringSaveKeepsTheFile
// as a child process, it saves a learner and pauses in the middle of the
// save so that the parent can interrupt it there.
func TestSaveHelper(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process only")
	}
	l := newTiny(t)
	if err := l.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	midSave = func() {
		os.Stdout.WriteString("SAVING\n")
		time.Sleep(2 * time.Second) // the parent interrupts now
	}
	if err := l.Save(path); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("SURVIVED\n") // only reached if the interrupt was lost
}

// An interrupt in the middle of a save (the notebook's stop button) waits
// for the save, then ends the program: the file is complete, no temporary
// is left (#21: they stayed forever and the epoch was lost).
func TestInterruptDuringSaveKeepsTheFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send")
	}
	path := filepath.Join(t.TempDir(), "a.learner")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSaveHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var rest bytes.Buffer
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if sc.Text() == "SAVING" {
			cmd.Process.Signal(syscall.SIGINT)
			break
		}
	}
	for sc.Scan() {
		rest.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	if err == nil || strings.Contains(rest.String(), "SURVIVED") {
		t.Errorf("the child ended with %v and printed %q: the interrupt was lost", err, rest.String())
	}
	if temps := staleTemps(path); len(temps) != 0 {
		t.Errorf("temporary files left: %v", temps)
	}
	l := newTiny(t)
	if err := l.Load(path); err != nil {
		t.Errorf("the file saved under the interrupt does not load: %v", err)
	}
}

// Temporaries of a killed save are removed by the next save, and a
// restore says the last save was cut short.
func TestStaleTempsAreCleaned(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	l, out := captured(t, Persist("stale"))
	if err := l.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	p := l.persistPath()
	stale := filepath.Join(filepath.Dir(p), tempPrefix(p)+"123")
	if err := os.WriteFile(stale, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, out2 := captured(t, Resume("stale"))
	_ = r
	if !strings.Contains(out2.String(), "was cut short") {
		t.Errorf("restore said %q, want a note on the cut-short save", out2.String())
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("the restore left the stale temporary")
	}
	os.WriteFile(stale, []byte("half"), 0o644)
	if err := l.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("the next save left the stale temporary")
	}
	_ = out
}

// fitHelperEnv makes the test binary act as TestFitHelper's child.
const fitHelperEnv = "FASTGO_TEST_FIT_HELPER"

// TestFitHelper is not a test: run by TestInterruptDuringFit as a child,
// it trains a persisted learner and says when batch 5 is done.
func TestFitHelper(t *testing.T) {
	dir := os.Getenv(fitHelperEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	t.Setenv(EnvCacheDir, dir)
	l := newTiny(t, Persist("interrupted"))
	l.Quiet = false
	if err := l.Fit(50, 1e-3, WithCallbacks(announceBatch(5))); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("SURVIVED\n")
}

type announceBatch int

func (n announceBatch) AfterBatch(f *FitState) error {
	if f.Training && f.Iter == int(n) {
		os.Stdout.WriteString("TRAINING\n")
		time.Sleep(time.Second) // the parent interrupts now
	}
	return nil
}

// The stop button during a fit: the fit stops at the next batch, its bars
// end, it says where it stopped and what was kept, the state is saved for
// Resume, and the program ends as interrupted (#20.6, #21.3).
func TestInterruptDuringFit(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFitHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), fitHelperEnv+"="+dir, "FASTGO_DISPLAY=terminal", "FASTGO_PROGRESS=final")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var rest bytes.Buffer
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if sc.Text() == "TRAINING" {
			cmd.Process.Signal(syscall.SIGINT)
			break
		}
	}
	for sc.Scan() {
		rest.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	out := rest.String()
	if err == nil || strings.Contains(out, "SURVIVED") {
		t.Fatalf("child ended with %v, output:\n%s\nwant it interrupted", err, out)
	}
	want := `Interrupted at epoch 0, training batch 5 of 16: the weights trained up to there are kept and saved (learner.Resume("interrupted") restores them).`
	if !strings.Contains(out, want) || strings.Count(out, "Interrupted at") != 1 {
		t.Errorf("output:\n%s\nwant once %q", out, want)
	}
	t.Setenv(EnvCacheDir, dir)
	r, msg := captured(t, Resume("interrupted"))
	if !strings.Contains(msg.String(), `Restored learner "interrupted"`) || !r.hasWeights() {
		t.Errorf("Resume after the interrupt: %q", msg.String())
	}
}

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
	l := newTiny(t, Output(os.Stdout))
	if err := l.Fit(5, 1e-3, WithCallbacks(slowBatch(5))); err != nil {
		t.Fatal(err)
	}
}

type slowBatch int

func (n slowBatch) AfterBatch(f *FitState) error {
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
