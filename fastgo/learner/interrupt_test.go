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
