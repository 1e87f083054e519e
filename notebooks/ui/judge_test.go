package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A notebook run as the polls see it: cell 2 trains, its display (output 1)
// moves 0/2 → 1/2 and ends as one epoch table.
func trainingRun() ([]finalCell, *observed) {
	o := newObserved()
	for _, s := range []string{"0/2 0/8", "0/2 3/8", "1/2 0/8"} {
		o.add(snapshot{Loaded: true, Kernel: "busy", Cells: []cellSeen{
			{Index: 1, Count: "1"},
			{Index: 2, Count: "*", Bars: []bar{{Area: 1, State: s, Epochs: 1}}},
		}})
	}
	cells := []finalCell{
		{Index: 1, Count: "1", Source: "%%\nfmt.Println(path)"},
		{Index: 2, Count: "2", Source: "%%\nlearn := cnnLearner(\"first\", scale.Arch)\nlearner.Must(learn.FineTune(1))",
			Areas: []finalArea{{Area: 0}, {Area: 1, Epochs: 1}}},
	}
	return cells, o
}

func TestJudge(t *testing.T) {
	tests := []struct {
		name   string
		change func(cells []finalCell, o *observed) *observed
		want   string // in the one problem expected; "" for none
	}{
		{"ok", nil, ""},
		{"not run", func(c []finalCell, o *observed) *observed { c[0].Count = ""; return o }, "cell 1 (`fmt.Println(path)`) has no execution count"},
		{"still queued", func(c []finalCell, o *observed) *observed { c[0].Count = "*"; return o }, "(shown: *)"},
		{"error output", func(c []finalCell, o *observed) *observed {
			c[0].Errors = []string{"failed to run \"go build\"\nmain.go:3:1: undefined: x"}
			return o
		}, "cell 1 (`fmt.Println(path)`) shows an error: failed to run"},
		{"panic on stderr", func(c []finalCell, o *observed) *observed {
			c[0].Stderr = "a warning\npanic: boom\n\ngoroutine 1 [running]:"
			return o
		}, "printed on stderr: panic: boom"},
		{"killed", func(c []finalCell, o *observed) *observed { c[0].Stderr = "signal: killed"; return o }, "signal: killed"},
		{"compile error", func(c []finalCell, o *observed) *observed {
			c[0].Stderr = "/tmp/gonb_1/main.go:12:3: syntax error: unexpected }"
			return o
		}, "printed on stderr"},
		{"bar seen once", func(c []finalCell, _ *observed) *observed {
			o := newObserved()
			o.add(snapshot{Cells: []cellSeen{{Index: 2, Bars: []bar{{Area: 1, State: "0/2 0/8", Epochs: 1}}}}})
			return o
		}, "no training cell's progress bar was seen in two states"},
		{"no bar at all", func(c []finalCell, _ *observed) *observed { return newObserved() }, "(no <progress> seen at all)"},
		{"bar left at the end", func(c []finalCell, o *observed) *observed { c[1].Areas[1].Progress = 1; return o }, "ends with 1 progress bars and 1 epoch tables"},
		{"two tables", func(c []finalCell, o *observed) *observed { c[1].Areas[1].Epochs = 2; return o }, "ends with 0 progress bars and 2 epoch tables"},
		{"display gone", func(c []finalCell, o *observed) *observed { c[1].Areas = c[1].Areas[:1]; return o }, "trains but shows no epoch table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cells, o := trainingRun()
			if tt.change != nil {
				o = tt.change(cells, o)
			}
			got := judge(cells, o)
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("problems %q, want none", got)
				}
				return
			}
			found := false
			for _, p := range got {
				found = found || strings.Contains(p, tt.want)
			}
			if !found {
				t.Fatalf("problems %q, want one containing %q", got, tt.want)
			}
		})
	}
}

// A notebook that does not train needs no progress bar.
func TestJudgeNoTraining(t *testing.T) {
	cells := []finalCell{{Index: 0, Count: "1", Source: "%%\nfmt.Println(1)", Stderr: "fastgo: backend go\n"}}
	if got := judge(cells, newObserved()); len(got) != 0 {
		t.Fatalf("problems %q, want none", got)
	}
}

func TestFinished(t *testing.T) {
	idle := func(counts ...string) snapshot {
		s := snapshot{Loaded: true, Kernel: "idle"}
		for i, c := range counts {
			s.Cells = append(s.Cells, cellSeen{Index: i, Count: c})
		}
		return s
	}
	busy := idle("1", "2")
	busy.Kernel = "busy"
	for _, tt := range []struct {
		s    snapshot
		want bool
	}{
		{idle("1", "2"), true},
		{idle("1", "*"), false},
		{idle("", ""), false}, // Run All not started yet
		{idle("1", ""), true}, // a cell skipped after an error: judge names it
		{busy, false},
		{snapshot{}, false},
	} {
		if got := finished(tt.s); got != tt.want {
			t.Errorf("finished(%+v) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestCopyCleared(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a.ipynb"), filepath.Join(dir, "b.ipynb")
	nb := `{"cells": [{"cell_type": "code", "execution_count": 3, "metadata": {}, "outputs": [{"output_type": "stream", "name": "stdout", "text": "x"}], "source": "1"},
	{"cell_type": "markdown", "metadata": {}, "source": "# t"}], "metadata": {"kernelspec": {"name": "fastgo"}}, "nbformat": 4, "nbformat_minor": 5}`
	if err := os.WriteFile(src, []byte(nb), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := copyCleared(src, dst); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{`"outputs": []`, `"execution_count": null`, `"name": "fastgo"`, `"source": "# t"`} {
		if !strings.Contains(got, want) {
			t.Errorf("copy lacks %s:\n%s", want, got)
		}
	}
}
