package display

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeClock makes progress bars see step more time on every reading.
func fakeClock(step time.Duration) func() {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	calls := 0
	orig := now
	now = func() time.Time {
		calls++
		return t0.Add(time.Duration(calls) * step)
	}
	return func() { now = orig }
}

// manualClock is a clock moved by hand.
type manualClock struct{ t time.Time }

func (c *manualClock) install() func() {
	orig := now
	c.t = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now = func() time.Time { return c.t }
	return func() { now = orig }
}

func TestProgressBarStart(t *testing.T) {
	defer fakeClock(time.Second)()
	buf := captureTerminal(t)
	b := NewProgressBar(10, "")
	if got, want := b.Text(), "|----------------------------------------| 0.00% [0/10 00:00<00:00]"; got != want {
		t.Errorf("initial text %q, want %q", got, want)
	}
	if !strings.HasPrefix(buf.String(), "\r|---") {
		t.Errorf("terminal got %q, want a \\r line", buf.String())
	}
	if got := NewProgressBar(0, "").Text(); !strings.HasSuffix(got, "| 100% [0/0]") {
		t.Errorf("empty bar text %q", got)
	}
}

var frameValue = regexp.MustCompile(`\[(\d+)/`)

// drawnValues parses the values of the frames written to a terminal.
func drawnValues(out string) []int {
	var vs []int
	for _, frame := range strings.Split(out, "\r") {
		if m := frameValue.FindStringSubmatch(frame); m != nil {
			v, _ := strconv.Atoi(m[1])
			vs = append(vs, v)
		}
	}
	return vs
}

func TestProgressBarThrottle(t *testing.T) {
	// 10 ms per item: after the first 5, fastprogress redraws every
	// int(0.2/(0.01+1e-8)) = 19 items, and always at the total.
	var clock manualClock
	defer clock.install()()
	buf := captureTerminal(t)
	b := NewProgressBar(100, "")
	for i := 1; i <= 100; i++ {
		clock.t = clock.t.Add(10 * time.Millisecond)
		b.Update(i, "")
	}
	got := fmt.Sprint(drawnValues(buf.String()))
	if want := "[0 1 2 3 4 5 24 43 62 81 100]"; got != want {
		t.Errorf("drawn values %s, want %s", got, want)
	}
}

func TestProgressBarDone(t *testing.T) {
	for _, leave := range []bool{true, false} {
		t.Run(fmt.Sprint("leave=", leave), func(t *testing.T) {
			var clock manualClock
			defer clock.install()()
			buf := captureTerminal(t)
			b := NewProgressBar(100, "").SetLeave(leave)
			for i := 1; i <= 50; i++ {
				clock.t = clock.t.Add(10 * time.Millisecond)
				b.Update(i, "x")
			}
			b.Done()
			b.Done()             // no-op
			b.Update(60, "late") // ignored after Done
			out := buf.String()
			vs := drawnValues(out)
			if vs[len(vs)-1] != 50 {
				t.Errorf("last frame shows %d, want the last update (50); output %q", vs[len(vs)-1], out)
			}
			if leave {
				if !strings.HasSuffix(out, "50.00% [50/100 00:00<00:00 x]\n") {
					t.Errorf("leave=true should end with the final frame and a newline, got %q", out[max(len(out)-60, 0):])
				}
			} else if last := out[strings.LastIndex(out[:len(out)-1], "\r"):]; strings.Trim(last, "\r ") != "" {
				t.Errorf("leave=false should blank the line, ends with %q", last)
			}
		})
	}
}

func TestTerminalClearsBarBeforeText(t *testing.T) {
	buf := captureTerminal(t)
	b := NewProgressBar(10, "")
	ShowText("hello")
	b.Done()
	out := buf.String()
	// The bar line is blanked, then the text printed on its own line; the
	// bar is not redrawn over it.
	if !strings.Contains(out, "\r"+strings.Repeat(" ", len([]rune(b.Text())))+"\rhello\n") {
		t.Errorf("text not printed on a cleared line: %q", out)
	}
}

func TestFormatDuration(t *testing.T) {
	for s, want := range map[float64]string{0: "00:00", 65.9: "01:05", 3599: "59:59", 3725: "1:02:05", -3: "00:00"} {
		if got := FormatDuration(s); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", s, got, want)
		}
	}
}

func TestMasterBarTerminal(t *testing.T) {
	defer fakeClock(time.Millisecond)()
	buf := captureTerminal(t)
	mb := NewMasterBar(2, []string{"epoch", "train_loss", "time"})
	for e := range 2 {
		c := mb.NewChild(3)
		if !strings.HasPrefix(c.Text(), fmt.Sprintf("Epoch %d/2 : |", e+1)) {
			t.Errorf("child bar text %q lacks the epoch prefix", c.Text())
		}
		for i := 1; i <= 3; i++ {
			c.Update(i, "0.1")
		}
		c.Done()
		mb.Append([]string{strconv.Itoa(e), "0.500000", "00:01"})
		mb.Update(e + 1)
	}
	mb.Done()
	// Once the `\r` frames (blanked by each child's Done) are dropped, only
	// the table remains.
	var lines []string
	for _, l := range strings.Split(buf.String(), "\n") {
		if i := strings.LastIndex(l, "\r"); i >= 0 {
			l = l[i+1:]
		}
		lines = append(lines, l)
	}
	want := "epoch     train_loss  time\n0         0.500000    00:01\n1         0.500000    00:01\n"
	if got := strings.Join(lines, "\n"); got != want {
		t.Errorf("terminal shows\n%q\nwant\n%q", got, want)
	}
}

func TestConcurrentUse(t *testing.T) {
	r := notebookMode(t)
	mb := NewMasterBar(4, []string{"epoch"})
	done := make(chan bool)
	for g := range 4 {
		go func() {
			c := mb.NewChild(50)
			for i := 1; i <= 50; i++ {
				c.Update(i, "")
			}
			c.Done()
			mb.Append([]string{strconv.Itoa(g)})
			mb.Update(g + 1)
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
	mb.Done()
	if got := len(mb.Table().Rows); got != 4 {
		t.Errorf("%d rows after 4 concurrent appends", got)
	}
	if last := r.html(t, len(r.msgs)-1); strings.Count(last, "<tr>") != 4 {
		t.Errorf("final output lacks rows: %s", last)
	}
}

func TestProgressBarRestart(t *testing.T) {
	var clock manualClock
	defer clock.install()()
	_ = captureTerminal(t)
	b := NewProgressBar(10, "")
	clock.t = clock.t.Add(100 * time.Second)
	b.Update(0, "") // restarts the clock
	clock.t = clock.t.Add(time.Second)
	b.Update(1, "")
	if got := b.Text(); !strings.HasSuffix(got, "10.00% [1/10 00:01<00:09]") {
		t.Errorf("after restart: %q", got)
	}
}

// TestProgressFinalOnlyInLogs: with FASTGO_PROGRESS=final (the default when
// stdout is a file or a pipe, e.g. `make demo > log`) a bar writes only its
// finished line, never `\r` redraws, and a bar that erases itself writes
// nothing; a MasterBar's table rows still appear.
func TestProgressFinalOnlyInLogs(t *testing.T) {
	t.Setenv(EnvDisplay, "terminal")
	t.Setenv(EnvProgress, "final")
	var buf bytes.Buffer
	SetOutput(&buf)
	defer SetOutput(nil)
	b := NewProgressBar(50, "load")
	for i := range 51 {
		b.Update(i, "")
	}
	b.Done()
	m := NewMasterBar(2, []string{"epoch", "train_loss"})
	for e := range 2 {
		c := m.NewChild(10)
		for i := range 11 {
			c.Update(i, "0.5")
		}
		c.Done()
		m.Append([]string{fmt.Sprint(e), "0.500000"})
		m.Update(e + 1)
	}
	m.Done()
	out := buf.String()
	if strings.Contains(out, "\r") {
		t.Errorf("a log got \\r redraws:\n%q", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "load |") || !strings.Contains(lines[0], "100.00% [50/50") ||
		!strings.HasPrefix(lines[1], "epoch") || !strings.HasPrefix(lines[2], "0 ") || !strings.HasPrefix(lines[3], "1 ") {
		t.Errorf("log lines %q; want the finished bar, the table header and its two rows", lines)
	}
}

// A bar drawn on a writer of the caller's (a download's progress) ends
// there as one kept line, whatever the display mode, and leaves the
// display's own output alone.
func TestProgressBarTo(t *testing.T) {
	defer fakeClock(time.Second)()
	t.Setenv(EnvDisplay, "notebook")
	display := captureTerminal(t)
	var w bytes.Buffer
	b := NewProgressBarTo(&w, 10, "pets.tgz")
	b.Update(4, "")
	b.Update(10, "")
	b.Done()
	got := w.String()
	if !strings.HasPrefix(got, "\rpets.tgz |") || !strings.HasSuffix(got, "100.00% [10/10 00:02<00:00]\n") {
		t.Errorf("writer got %q, want \\r lines ending in the kept final one", got)
	}
	if display.Len() != 0 {
		t.Errorf("the display's own output got %q", display.String())
	}
	NewProgressBarTo(nil, 3, "none").Done() // draws nothing, does not panic
}

// A MasterBar drawn on a writer of the caller's (a learner's Output) puts
// its table there, as terminal text, in every mode, and nothing on the
// display's own output.
func TestMasterBarTo(t *testing.T) {
	defer fakeClock(time.Millisecond)()
	own := captureTerminal(t)
	var w bytes.Buffer
	mb := NewMasterBarTo(&w, 1, []string{"epoch", "train_loss"})
	c := mb.NewChild(2)
	c.Update(1, "0.5")
	c.Update(2, "0.5")
	c.Done()
	mb.Append([]string{"0", "0.500000"})
	mb.Update(1)
	mb.Done()
	if got := w.String(); !strings.Contains(got, "epoch     train_loss\n0         0.500000\n") {
		t.Errorf("the writer got %q, want the table", got)
	}
	if own.Len() != 0 {
		t.Errorf("the display's output got %q, want nothing", own.String())
	}
	// Nil draws nothing.
	NewMasterBarTo(nil, 1, []string{"epoch"}).Done()
	r := notebookMode(t)
	var nb bytes.Buffer
	m := NewMasterBarTo(&nb, 1, []string{"epoch"})
	m.Append([]string{"0"})
	m.Done()
	if len(r.msgs) != 0 || !strings.Contains(nb.String(), "epoch\n0") {
		t.Errorf("in a notebook: %d outputs sent, writer got %q; want none and the table", len(r.msgs), nb.String())
	}
}

// A display that ends before its first row (a fit refused at its first
// step, trial 1's P4) leaves no empty table: in a terminal the header is
// printed with the first row, in a notebook the output is emptied.
func TestMasterBarWithoutRowsLeavesNothing(t *testing.T) {
	defer fakeClock(time.Millisecond)()
	buf := captureTerminal(t)
	mb := NewMasterBar(2, []string{"epoch", "train_loss"})
	c := mb.NewChild(3)
	c.Update(1, "")
	mb.Done()
	c.Done()
	var kept []string
	for _, l := range strings.Split(buf.String(), "\n") {
		if i := strings.LastIndex(l, "\r"); i >= 0 {
			l = l[i+1:]
		}
		if strings.TrimSpace(l) != "" {
			kept = append(kept, l)
		}
	}
	if len(kept) != 0 {
		t.Errorf("a terminal display with no row left %q", kept)
	}
	r := notebookMode(t)
	nb := NewMasterBar(2, []string{"epoch", "train_loss"})
	nb.Done()
	if last := r.html(t, len(r.msgs)-1); strings.Contains(last, "train_loss") {
		t.Errorf("a notebook display with no row ends as %q, want it empty", last)
	}
}

// Trial 2: with the output a file or a pipe nothing was shown during an
// epoch, and fastai's per-epoch bars, which erase themselves, left
// nothing: a log of an hour-long CPU fit held only the table. In the
// "log" mode (the default there) each finished bar is one line, and a bar
// running longer than 30 s writes its line every 30 s; short bars write
// only their final line; no `\r` redraws.
func TestProgressLogLines(t *testing.T) {
	t.Setenv(EnvDisplay, "terminal")
	t.Setenv(EnvProgress, "log")
	var clock manualClock
	defer clock.install()()
	var buf bytes.Buffer
	SetOutput(&buf)
	defer SetOutput(nil)
	m := NewMasterBar(1, []string{"epoch", "train_loss"})
	long := m.NewChild(100) // 1 s a batch: 100 s
	for i := 1; i <= 100; i++ {
		clock.t = clock.t.Add(time.Second)
		long.Update(i, "0.5")
	}
	long.Done()
	short := m.NewChild(10) // 0.1 s a batch
	for i := 1; i <= 10; i++ {
		clock.t = clock.t.Add(100 * time.Millisecond)
		short.Update(i, "")
	}
	short.Done()
	m.Append([]string{"0", "0.500000"})
	m.Update(1)
	m.Done()
	out := buf.String()
	if strings.Contains(out, "\r") {
		t.Errorf("a log got \\r redraws:\n%q", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 {
		t.Fatalf("log lines:\n%s\nwant 3 lines of the running 100 s bar, its final line, the short bar's final line and the table", strings.Join(lines, "\n"))
	}
	for i, want := range []string{"[30/100 00:30<01:10 0.5]", "[60/100 01:00<00:40 0.5]", "[90/100 01:30<00:10 0.5]", "100.00% [100/100 01:40<00:00 0.5]", "100.00% [10/10 00:01<00:00]"} {
		if !strings.HasPrefix(lines[i], "Epoch 1/1 : |") || !strings.HasSuffix(lines[i], want) {
			t.Errorf("line %d = %q, want the bar ending %q", i, lines[i], want)
		}
	}
	if !strings.HasPrefix(lines[5], "epoch") || !strings.HasPrefix(lines[6], "0 ") {
		t.Errorf("table lines %q", lines[5:])
	}
}

// With stdout a file (`nohup … > log`), bars are written as log lines by
// default; FASTGO_PROGRESS chooses otherwise.
func TestProgressModeDefaultsToLogInFiles(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdout
	os.Stdout = f
	defer func() { os.Stdout = saved }()
	t.Setenv(EnvProgress, "")
	var tm terminal
	if m := tm.mode(); m != logLines {
		t.Errorf("stdout a file: mode %d, want logLines", m)
	}
	for env, want := range map[string]progressMode{"redraw": redraw, "final": finalOnly, "log": logLines} {
		t.Setenv(EnvProgress, env)
		if m := tm.mode(); m != want {
			t.Errorf("%s=%s: mode %d, want %d", EnvProgress, env, m, want)
		}
	}
}

// Trial 3: FASTGO_PROGRESS=bogus (and FASTGO_DISPLAY=bogus) did nothing,
// silently: each now warns once, naming the values it takes.
func TestUnknownSettingWarnsOnce(t *testing.T) {
	var got bytes.Buffer
	old := warnOutput
	warnOutput = &got
	defer func() { warnOutput = old }()
	warned.Delete(EnvProgress)
	warned.Delete(EnvDisplay)
	t.Setenv(EnvProgress, "bogus")
	t.Setenv(EnvDisplay, "Bogus")
	for range 2 {
		if m := term.mode(); m != logLines && m != redraw {
			t.Errorf("mode with FASTGO_PROGRESS=bogus = %v, want the output's default", m)
		}
		InNotebook()
	}
	for _, want := range []string{
		`fastgo: FASTGO_PROGRESS="bogus" is not one of redraw, log, final: ignored`,
		`fastgo: FASTGO_DISPLAY="bogus" is not one of notebook, terminal: ignored`,
	} {
		if n := strings.Count(got.String(), want); n != 1 {
			t.Errorf("warnings:\n%s\nwant %q once, got it %d times", got.String(), want, n)
		}
	}
}
