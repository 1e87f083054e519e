package learner

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/display"
)

// A fit shows fastai's console table: the header padded to 8 characters
// joined by two spaces, one row per epoch, values with 6 decimals and
// mm:ss, and progress bars whose comment is the smoothed loss.
func TestFitShowsEpochTable(t *testing.T) {
	t.Setenv("FASTGO_DISPLAY", "terminal")
	var buf bytes.Buffer
	display.SetOutput(&buf)
	defer display.SetOutput(nopWriter{})
	l := newTiny(t)
	l.Quiet = false
	if err := l.FitOneCycle(2, 1e-2); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	var lines []string
	for _, line := range strings.Split(text, "\n") {
		// Progress bars are `\r`-redrawn lines; keep what remains visible.
		if i := strings.LastIndex(line, "\r"); i >= 0 {
			line = line[i+1:]
		}
		if strings.TrimSpace(line) != "" {
			lines = append(lines, line)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("visible output has %d lines, want header + 2 rows:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if want := "epoch     train_loss  valid_loss  error_rate  time"; lines[0] != want {
		t.Errorf("header %q, want %q", lines[0], want)
	}
	row := regexp.MustCompile(`^(\d) {9}(\d\.\d{6}) {4}(\d\.\d{6}) {4}(\d\.\d{6}) {4}\d\d:\d\d$`)
	for i, line := range lines[1:] {
		m := row.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("row %q does not have fastai's layout", line)
			continue
		}
		if want := l.Recorder.Rows[i].Cells(); m[1] != want[0] || m[2] != want[1] || m[3] != want[2] || m[4] != want[3] {
			t.Errorf("row %q, recorder says %v", line, want)
		}
	}
	bar := regexp.MustCompile(`Epoch 1/2 : \|[█-]+\| \d+\.\d\d% \[\d+/16 \d\d:\d\d<\d\d:\d\d \d\.\d{4}\]`)
	if !bar.MatchString(text) {
		t.Errorf("no training progress bar with the smoothed loss in the output:\n%q", text[:min(len(text), 600)])
	}
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

func TestPlotLossAndLRFindPlot(t *testing.T) {
	l := newTiny(t)
	if _, err := l.Recorder.lossPlot(5); err == nil {
		t.Errorf("PlotLoss before any fit gave no error")
	}
	if err := l.Fit(1, 1e-2); err != nil {
		t.Fatal(err)
	}
	p, err := l.Recorder.lossPlot(5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := display.PlotPNG(p); err != nil {
		t.Fatal(err)
	}
}

// LRFind in a terminal writes its plot to the output folder and prints
// the suggestions.
func TestLRFindShowsPlotAndSuggestions(t *testing.T) {
	t.Setenv("FASTGO_DISPLAY", "terminal")
	dir := t.TempDir()
	if d := os.Getenv("LEARNER_PLOT_DIR"); d != "" {
		dir = d // to look at the plot
	}
	t.Setenv(display.EnvOutputDir, dir)
	display.SetOutput(nopWriter{})
	var out bytes.Buffer
	l := newTiny(t, Output(&out))
	l.Quiet = false
	r, err := l.LRFind(NumIt(40), ShowSuggestions("minimum", "steep"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "SuggestedLRs(minimum=") || !strings.Contains(out.String(), "steep=") {
		t.Errorf("suggestions not printed: %q", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "lr_find.png")); err != nil {
		t.Errorf("no plot written: %v", err)
	}
	lrs, losses := TrimForSuggestions(r.LRs, r.Losses, 40)
	if want, _, err := SuggestMinimum(lrs, losses); err != nil || r.Minimum != want {
		t.Errorf("Minimum %v, SuggestMinimum on the trimmed series %v (%v)", r.Minimum, want, err)
	}
	if _, err := l.LRFind(ShowSuggestions("best")); err == nil {
		t.Errorf("unknown suggestion name accepted")
	}
}

// P4 (trial 1): learner.Output(io.Discard) left the epoch table on
// stdout (it went through display's output), and a fit refused at its
// first step printed the table's header. Output carries the bars and the
// table now, and a refused fit shows no table.
func TestOutputCarriesTheEpochTable(t *testing.T) {
	t.Setenv("FASTGO_DISPLAY", "terminal")
	var shared bytes.Buffer
	display.SetOutput(&shared)
	defer display.SetOutput(nopWriter{})

	var own bytes.Buffer
	l := newTiny(t, Output(&own))
	l.Quiet = false
	if err := l.Fit(1, 1e-2); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(own.String(), "epoch     train_loss") || !strings.Contains(own.String(), "Epoch 1/1 :") {
		t.Errorf("the learner's Output got %q, want the bars and the table", own.String())
	}

	silent := newTiny(t, Output(io.Discard))
	silent.Quiet = false
	if err := silent.Fit(1, 1e-2); err != nil {
		t.Fatal(err)
	}
	if shared.Len() != 0 {
		t.Errorf("display's output got %q from learners with an Output of their own", shared.String())
	}

	var refusedOut bytes.Buffer
	refused := newTiny(t, Output(&refusedOut), Callbacks(refuseStep{}))
	refused.Quiet = false
	if err := refused.Fit(1, 1e-2); err == nil {
		t.Fatal("the refusing step checker did not refuse")
	}
	var visible []string
	for _, line := range strings.Split(refusedOut.String(), "\n") {
		if i := strings.LastIndex(line, "\r"); i >= 0 {
			line = line[i+1:]
		}
		if strings.TrimSpace(line) != "" {
			visible = append(visible, line)
		}
	}
	if len(visible) != 0 {
		t.Errorf("a fit refused at its first step shows %q, want nothing", visible)
	}
}
