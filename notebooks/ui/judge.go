package main

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// snapshot is what one poll of the page saw (pollJS).
type snapshot struct {
	Loaded bool       `json:"loaded"`
	Kernel string     `json:"kernel"` // idle, busy, dead, disconnected or ""
	Cells  []cellSeen `json:"cells"`
}

// cellSeen is one code cell in a snapshot.
type cellSeen struct {
	Index int    `json:"i"`   // position among all cells
	Count string `json:"n"`   // the execution count shown: "", "*" or a number
	Error bool   `json:"err"` // an error output is shown
	Bars  []bar  `json:"p"`   // its output areas that show a <progress>
}

// bar is an output area that shows progress bars.
type bar struct {
	Area   int    `json:"a"` // the output area's position in its cell
	State  string `json:"s"` // value/max of each <progress> in it
	Text   string `json:"t"` // its text (the bar's label)
	Epochs int    `json:"e"` // epoch tables in it (a training display)
}

// finalCell is a code cell once the notebook has run (finalJS).
type finalCell struct {
	Index  int         `json:"i"`
	Count  string      `json:"n"`
	Source string      `json:"src"`
	Errors []string    `json:"errors"` // the text of each error output
	Stderr string      `json:"stderr"`
	Areas  []finalArea `json:"areas"`
}

// finalArea is an output area of a finished cell.
type finalArea struct {
	Area     int `json:"a"`
	Progress int `json:"progress"` // <progress> elements left
	Epochs   int `json:"epochs"`   // epoch tables
}

// areaKey names one output area of a notebook.
type areaKey struct{ cell, area int }

// observed gathers the snapshots of one Run All.
type observed struct {
	states map[areaKey][]string // distinct progress states, in order seen
	labels map[areaKey]string   // the last bar text seen
	master map[areaKey]bool     // the area showed an epoch table beside a bar
}

func newObserved() *observed {
	return &observed{states: map[areaKey][]string{}, labels: map[areaKey]string{}, master: map[areaKey]bool{}}
}

// add records a snapshot.
func (o *observed) add(s snapshot) {
	for _, c := range s.Cells {
		for _, b := range c.Bars {
			k := areaKey{c.Index, b.Area}
			if !slices.Contains(o.states[k], b.State) {
				o.states[k] = append(o.states[k], b.State)
			}
			o.labels[k] = b.Text
			if b.Epochs > 0 {
				o.master[k] = true
			}
		}
	}
}

// finished reports whether a Run All is over: the kernel is idle, some cell
// ran, and no cell waits or runs ("*").
func finished(s snapshot) bool {
	if !s.Loaded || s.Kernel != "idle" {
		return false
	}
	ran := false
	for _, c := range s.Cells {
		if c.Count == "*" {
			return false
		}
		ran = ran || c.Count != ""
	}
	return ran
}

// failureText matches what a failed Go cell prints on stderr: a panic, a
// program killed by a signal (GoNB: "signal: killed"), a compiler error
// (the patterns of notebooks/check, and `signal:`).
var failureText = regexp.MustCompile(`(?m)^panic: |goroutine \d+ \[running\]|\[signal SIG|\bsignal: [a-z]|^# gonb_|: undefined: |: syntax error|\.go:\d+:\d+: `)

// reTraining matches a cell that trains and so shows fastgo's training display.
var reTraining = regexp.MustCompile(`\.(FineTune|FitOneCycle|Fit)\(`)

// judge returns the problems of a notebook run: cells without an execution
// count, errors, failures on stderr, and the training display's checks.
func judge(cells []finalCell, o *observed) []string {
	var problems []string
	byIndex := map[int]finalCell{}
	training := false
	for _, c := range cells {
		byIndex[c.Index] = c
		name := cellName(c)
		if _, err := strconv.Atoi(c.Count); err != nil {
			shown := c.Count
			if shown == "" {
				shown = "none"
			}
			problems = append(problems, fmt.Sprintf("%s has no execution count (shown: %s): it did not run", name, shown))
		}
		for _, e := range c.Errors {
			problems = append(problems, fmt.Sprintf("%s shows an error: %s", name, excerpt(e, 6)))
		}
		if m := failureText.FindStringIndex(c.Stderr); m != nil {
			problems = append(problems, fmt.Sprintf("%s printed on stderr: %s", name, excerpt(c.Stderr[lineStart(c.Stderr, m[0]):], 6)))
		}
		if reTraining.MatchString(c.Source) {
			training = true
			epochs := 0
			for _, a := range c.Areas {
				epochs += a.Epochs
			}
			if epochs == 0 {
				problems = append(problems, fmt.Sprintf("%s trains but shows no epoch table", name))
			}
		}
	}

	keys := make([]areaKey, 0, len(o.states))
	for k := range o.states {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].cell < keys[j].cell || keys[i].cell == keys[j].cell && keys[i].area < keys[j].area
	})
	moving := false
	for _, k := range keys {
		c, ok := byIndex[k.cell]
		if !ok || !reTraining.MatchString(c.Source) {
			continue
		}
		if len(o.states[k]) >= 2 {
			moving = true
		}
		if !o.master[k] {
			continue
		}
		// A training display (bar and epoch table in one output) ends as
		// its table alone.
		var final *finalArea
		for i := range c.Areas {
			if c.Areas[i].Area == k.area {
				final = &c.Areas[i]
			}
		}
		switch {
		case final == nil:
			problems = append(problems, fmt.Sprintf("%s: the training display (output %d) is gone at the end", cellName(c), k.area+1))
		case final.Progress > 0 || final.Epochs != 1:
			problems = append(problems, fmt.Sprintf("%s: the training display (output %d) ends with %d progress bars and %d epoch tables, not one table alone",
				cellName(c), k.area+1, final.Progress, final.Epochs))
		}
	}
	if training && !moving {
		problems = append(problems, "no training cell's progress bar was seen in two states while it ran"+seenStates(o))
	}
	return problems
}

// seenStates lists the progress states seen, for a failure message.
func seenStates(o *observed) string {
	if len(o.states) == 0 {
		return " (no <progress> seen at all)"
	}
	var parts []string
	for k, s := range o.states {
		parts = append(parts, fmt.Sprintf("cell %d output %d: %s", k.cell, k.area+1, strings.Join(s, ", ")))
	}
	sort.Strings(parts)
	return " (seen: " + strings.Join(parts, "; ") + ")"
}

// movingBars describes the training bars seen in two states or more, for
// the report: "cell 19 output 2: 9 states".
func movingBars(o *observed, cells []finalCell) []string {
	train := map[int]bool{}
	for _, c := range cells {
		train[c.Index] = reTraining.MatchString(c.Source)
	}
	var out []string
	for k, s := range o.states {
		if train[k.cell] && len(s) >= 2 {
			out = append(out, fmt.Sprintf("cell %d output %d: %d states", k.cell, k.area+1, len(s)))
		}
	}
	sort.Strings(out)
	return out
}

// cellName names a cell for a message: its position among all cells
// (from 0, as notebooks/check counts) and its first line of code, after
// the `%%` line when there is one.
func cellName(c finalCell) string {
	src := c.Source
	if _, after, ok := strings.Cut(src, "\n%%"); ok {
		src = after
	}
	first := ""
	for l := range strings.SplitSeq(src, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "%%") && !strings.HasPrefix(l, "//") {
			first = l
			break
		}
	}
	return fmt.Sprintf("cell %d (`%s`)", c.Index, truncate(first, 60))
}

// excerpt is the first n non-empty lines of s, joined by " | ".
func excerpt(s string, n int) string {
	var lines []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, truncate(l, 160))
		}
		if len(lines) == n {
			break
		}
	}
	return strings.Join(lines, " | ")
}

// lineStart is the start of the line holding s[i].
func lineStart(s string, i int) int {
	return strings.LastIndexByte(s[:i], '\n') + 1
}
