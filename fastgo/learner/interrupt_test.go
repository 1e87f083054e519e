package learner

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
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

// fitHelperEnv makes the test binary act as TestFitHelper's child.
const fitHelperEnv = "FASTGO_TEST_FIT_HELPER"

// TestFitHelper is not a test: run by TestInterruptDuringFit as a child,
// it trains a learner with a Keeper and says when batch 5 is done.
func TestFitHelper(t *testing.T) {
	dir := os.Getenv(fitHelperEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	l := newTiny(t, KeepWith(fileKeeper{path: filepath.Join(dir, "interrupted.learner")}))
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
	out, err := interruptAtTraining(t, cmd)
	if err == nil || strings.Contains(out, "SURVIVED") {
		t.Fatalf("child ended with %v, output:\n%s\nwant it interrupted", err, out)
	}
	want := `Interrupted at epoch 0, training batch 5 of 16: the weights trained up to there are kept and saved in interrupted.learner.`
	if !strings.Contains(out, want) || strings.Count(out, "Interrupted at") != 1 {
		t.Errorf("output:\n%s\nwant once %q", out, want)
	}
	r := newTiny(t, KeepWith(fileKeeper{path: filepath.Join(dir, "interrupted.learner"), restore: true}))
	if !r.hasWeights() {
		t.Error("the state the interrupted fit kept was not restored")
	}
}

// fileKeeper keeps the state in one file, as notebook persistence does in
// its cache, and restores it at New when restore is set.
type fileKeeper struct {
	path    string
	restore bool
}

func (k fileKeeper) Restore(l *Learner) error {
	if !k.restore {
		return nil
	}
	return l.Load(k.path)
}
func (k fileKeeper) Keep(l *Learner, what string) error { return l.SaveState(k.path, what) }
func (k fileKeeper) Forget(*Learner) error              { return os.Remove(k.path) }
func (k fileKeeper) Where(*Learner) string              { return "saved in " + filepath.Base(k.path) }

// interruptAt sends the process SIGINT after training batch n, as
// Ctrl-C in a terminal or `kill -INT` from a supervisor would.
type interruptAt int

func (n interruptAt) AfterBatch(f *FitState) error {
	if f.Training && f.Iter == int(n) {
		p, _ := os.FindProcess(os.Getpid())
		p.Signal(os.Interrupt)
		time.Sleep(100 * time.Millisecond) // the watch receives it
	}
	return nil
}

// W2 (trial 1): a program that handles SIGINT itself (a server's graceful
// shutdown) survives the interrupt the fit delivers again; Fit returned
// nil, and the program went on as if training had finished. An
// interrupted fit returns an error that errors.Is ErrInterrupted, and
// the program's own handler still gets the signal.
func TestInterruptedFitReturnsErrInterrupted(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send")
	}
	own := make(chan os.Signal, 1)
	signal.Notify(own, os.Interrupt)
	defer signal.Stop(own)

	l := newTiny(t)
	var out bytes.Buffer
	l.out = &out
	err := l.Fit(5, 1e-3, WithCallbacks(interruptAt(3)))
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("Fit interrupted at batch 3: err = %v, want one that errors.Is ErrInterrupted", err)
	}
	if want := "epoch 0, training batch 3 of 16"; !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "SIGINT") {
		t.Errorf("err = %q, want it to name the signal and where the fit stopped (%q)", err, want)
	}
	if n := len(l.Recorder.Losses); n != 3 {
		t.Errorf("%d training losses recorded, want the 3 batches trained before the stop", n)
	}
	select {
	case <-own:
	case <-time.After(2 * time.Second):
		t.Error("the program's own SIGINT handler never got the signal")
	}

	// FineTune stops at the interrupted stage rather than going on to the next.
	err = l.FineTune(2, WithCallbacks(interruptAt(2)))
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "frozen stage") {
		t.Errorf("FineTune interrupted in its frozen stage: err = %v, want ErrInterrupted from that stage", err)
	}
	<-own
	if got := l.FrozenTo(); got != 1 {
		t.Errorf("after FineTune's interrupted first stage the learner is frozen to %d, want 1 (the second stage never started)", got)
	}

	// LRFind gives no suggestions from an interrupted sweep.
	l.Cbs = []Callback{interruptAt(5)} // LRFind has no per-fit callbacks
	r, err := l.LRFind(NumIt(30))
	l.Cbs = nil
	if !errors.Is(err, ErrInterrupted) || r != nil {
		t.Errorf("LRFind interrupted: (%v, %v), want (nil, ErrInterrupted)", r, err)
	}
	<-own

	// A fit with no interrupt still returns nil.
	if err := l.Fit(1, 1e-3); err != nil {
		t.Errorf("a later, uninterrupted fit: %v", err)
	}
}

// ignoredHelperEnv makes the test binary act as TestIgnoredInterruptHelper.
const ignoredHelperEnv = "FASTGO_TEST_IGNORED_SIGINT_HELPER"

// TestIgnoredInterruptHelper is not a test: run with SIGINT ignored (as
// `prog &` in a non-interactive shell starts it), it fits and prints
// what Fit returned.
func TestIgnoredInterruptHelper(t *testing.T) {
	if os.Getenv(ignoredHelperEnv) == "" {
		t.Skip("helper process only")
	}
	l := newTiny(t)
	err := l.Fit(50, 1e-3, WithCallbacks(announceBatch(5)))
	fmt.Printf("FIT RETURNED: %v\nIS INTERRUPTED: %v\n", err, errors.Is(err, ErrInterrupted))
}

// The trial's second case: a program started with SIGINT ignored
// (`bash -c 'prog & wait'`) survives the interrupt too.
func TestInterruptWithSIGINTIgnoredAtStart(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to start the child with SIGINT ignored")
	}
	cmd := exec.Command(sh, "-c", `trap "" INT; exec "$0" "$@"`, os.Args[0], "-test.run=^TestIgnoredInterruptHelper$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), ignoredHelperEnv+"=1")
	if out, _ := interruptAtTraining(t, cmd); !strings.Contains(out, "IS INTERRUPTED: true") {
		t.Errorf("child output:\n%s\nwant Fit to return ErrInterrupted", out)
	}
}

// interruptAtTraining starts a helper child, sends it SIGINT when it
// prints TRAINING (announceBatch), and returns what it printed after that
// and how it ended.
func interruptAtTraining(t *testing.T, cmd *exec.Cmd) (string, error) {
	t.Helper()
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
	return rest.String(), err
}
