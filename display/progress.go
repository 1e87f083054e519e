package display

import (
	"fmt"
	"html"
	"io"
	"strings"
	"sync"
	"time"
)

// now is the clock of progress bars (replaced in tests).
var now = time.Now

// Progress bar refresh policy, from fastprogress: the first 5 updates are
// always drawn, then about one every 0.2 s (estimated from the average time
// per item), and always the last one.
const (
	updateEvery = 0.2 // seconds
	firstIts    = 5
	// barCols is the console line width fastprogress caps itself to; the bar
	// is 40 characters unless the text needs more room.
	barCols   = 100
	barTxtLen = 60
)

// ProgressBar shows progress over a known number of items, in fastprogress'
// format: `Epoch 1/3 : |████----| 45.31% [29/64 00:12<00:15 0.5432]` where
// the times are elapsed<remaining and the comment (e.g. the smoothed loss)
// comes last. In a terminal it is one `\r`-redrawn line; in a notebook an
// HTML <progress> output updated in place. It is safe for concurrent use.
type ProgressBar struct {
	mu      sync.Mutex
	total   int
	prefix  string
	comment string
	leave   bool

	start, last time.Time
	lastV       int // value last drawn
	cur         int // value last given to Update
	waitFor     int
	predT       float64 // predicted total seconds
	done        bool

	id     string     // notebook output id ("" in a terminal or under a MasterBar)
	parent *MasterBar // set for a MasterBar's child
	hidden bool       // a MasterBar's outer bar: drawn by the MasterBar only
	out    *terminal  // where the terminal line goes: the display's, or NewProgressBarTo's writer
}

// NewProgressBar starts a bar over total items and shows it at 0. The prefix
// (e.g. "Epoch 1/3 :", may be empty) is shown before the bar.
// By default the final state stays visible after Done; see SetLeave.
func NewProgressBar(total int, prefix string) *ProgressBar {
	b := newBar(total, prefix, nil)
	if InNotebook() {
		b.id = front.uniqueID()
	}
	b.mu.Lock()
	b.drawLocked()
	b.mu.Unlock()
	return b
}

// NewProgressBarTo starts a bar like NewProgressBar that is drawn as a
// terminal line on w in every mode — redrawn in place with `\r`, kept
// with a newline when done (FASTGO_PROGRESS=log or final: only the final
// line, and with log a line every 30 s while it runs) —
// for progress that goes where the caller says, such as a download's
// progress writer. A nil w draws nothing.
func NewProgressBarTo(w io.Writer, total int, prefix string) *ProgressBar {
	b := newBar(total, prefix, nil)
	if w == nil {
		w = io.Discard
	}
	b.out = &terminal{w: w}
	b.mu.Lock()
	b.drawLocked()
	b.mu.Unlock()
	return b
}

func newBar(total int, prefix string, parent *MasterBar) *ProgressBar {
	t := now()
	return &ProgressBar{total: total, prefix: prefix, leave: true, start: t, last: t, waitFor: 1, parent: parent, out: term}
}

// SetLeave chooses what Done leaves behind: true (the default) keeps the
// final state (a terminal line ended by a newline, a notebook output showing
// the final bar); false erases the bar, as fastai does with its per-epoch
// bars. It returns b for chaining.
func (b *ProgressBar) SetLeave(leave bool) *ProgressBar {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.leave = leave
	return b
}

// Update records that done items are finished and sets the comment shown
// after the times (e.g. a loss, "" for none). Redraws are throttled to about
// one per 0.2 s (the first 5 updates and the last item are always drawn);
// Update(0, ...) restarts the clock.
func (b *ProgressBar) Update(done int, comment string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.comment = comment
	b.cur = done
	switch {
	case done <= 0:
		b.start = now()
		b.last = b.start
		b.lastV, b.waitFor, b.predT = 0, 1, 0
		b.drawLocked()
	case done <= firstIts || done >= b.lastV+b.waitFor || done >= b.total:
		b.measureLocked(done)
		b.drawLocked()
	}
}

// measureLocked updates the timing estimates for value v.
func (b *ProgressBar) measureLocked(v int) {
	t := now()
	avg := t.Sub(b.start).Seconds() / float64(v)
	b.waitFor = max(int(updateEvery/(avg+1e-8)), 1)
	b.predT = avg * float64(b.total)
	b.lastV, b.last = v, t
}

// Done finishes the bar, first drawing the last value given to Update if a
// throttled update skipped it. In a terminal the line is kept (newline) or
// blanked, per SetLeave; in a notebook one output remains with the final
// state (or an empty one with SetLeave(false)). Later calls do nothing.
func (b *ProgressBar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	if b.cur != b.lastV && b.cur > 0 {
		b.measureLocked(b.cur)
	}
	b.done = true
	b.drawLocked()
}

// Text returns the bar's current line as a terminal shows it.
func (b *ProgressBar) Text() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lineLocked()
}

// statusLocked is fastprogress' text after the bar:
// `45.31% [29/64 00:12<00:15 comment]`.
func (b *ProgressBar) statusLocked() string {
	v := b.lastV
	switch {
	case b.total <= 0:
		return "100% [0/0]"
	case v == 0:
		return fmt.Sprintf("0.00%% [0/%d 00:00<00:00]", b.total)
	}
	elapsed := b.last.Sub(b.start).Seconds()
	end := ""
	if b.comment != "" {
		end = " " + b.comment
	}
	return fmt.Sprintf("%.2f%% [%d/%d %s<%s%s]", 100*float64(v)/float64(b.total), v, b.total,
		FormatDuration(elapsed), FormatDuration(b.predT-elapsed), end)
}

// lineLocked renders the console line `prefix |███---| status`.
func (b *ProgressBar) lineLocked() string {
	text := b.statusLocked()
	length := barCols - barTxtLen
	length = min(length, barCols-runeLen(text)-runeLen(b.prefix)-4)
	length = max(length, 0)
	filled := 0
	if b.total > 0 {
		filled = min(length*b.lastV/b.total, length)
	}
	line := "|" + strings.Repeat("█", filled) + strings.Repeat("-", length-filled) + "| " + text
	if b.prefix != "" {
		line = b.prefix + " " + line
	}
	return line
}

// htmlLocked renders the notebook form: fastprogress' html_progress_bar.
func (b *ProgressBar) htmlLocked() string {
	label := b.statusLocked()
	if b.prefix != "" {
		label = b.prefix + " " + label
	}
	return fmt.Sprintf("<div>\n  <progress value='%d' max='%d' style='width:300px; height:20px; vertical-align: middle;'></progress>\n  %s\n</div>",
		max(b.lastV, 0), max(b.total, 0), html.EscapeString(label))
}

// drawLocked shows the current state where the bar lives, finishing it when
// b.done is set.
func (b *ProgressBar) drawLocked() {
	switch {
	case b.hidden:
	case b.parent != nil:
		h := ""
		if !b.done || b.leave {
			h = b.htmlLocked()
		}
		b.parent.childChanged(b, b.lineLocked(), h, b.done)
	case b.id != "":
		h, text := "", ""
		if !b.done || b.leave {
			h, text = b.htmlLocked(), b.lineLocked()
		}
		updateHTML(b.id, h, text)
	default:
		b.out.bar(b.lineLocked())
		if b.done {
			b.out.endBar(b.leave)
		}
	}
}

// FormatDuration formats seconds as fastprogress' format_time does:
// "mm:ss", or "h:mm:ss" from one hour on (fractions truncated, negatives
// shown as 00:00).
func FormatDuration(seconds float64) string {
	t := int(max(seconds, 0))
	h, m, s := t/3600, (t/60)%60, t%60
	if h != 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%02d:%02d", m, s)
}

// FormatBytes writes n bytes as fastprogress and fastai's download bar
// do: "512B", "3.4K", "774.1M", "1.25G" (powers of 1024).
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

// MasterBar is fastai's training display: an outer bar over epochs, a
// results table that grows by one row per epoch, and an inner bar per
// training/validation pass. In a notebook all three are one output updated in
// place, and Done leaves the table only; in a terminal the outer bar is not
// drawn, the table is printed row by row and the inner bars are `\r` lines
// prefixed "Epoch i/n :" that vanish when done, as in fastprogress' console
// mode (in a log file each is one line when done: see the package doc). It
// is safe for concurrent use.
type MasterBar struct {
	mu        sync.Mutex
	main      *ProgressBar
	table     Table
	widths    []int
	childHTML string
	id        string    // notebook output id; "" in a terminal
	out       *terminal // where the terminal text goes: the display's, or NewMasterBarTo's writer
	finished  bool
}

// NewMasterBar starts a display over total epochs with the given table
// columns (none: no table). In a notebook it shows the table's header at
// once; in a terminal the header is printed with the first row, so that
// a display that ends before its first row (a fit refused at its first
// step) leaves no empty table — nor does it in a notebook.
func NewMasterBar(total int, columns []string) *MasterBar {
	m := newMasterBar(total, columns)
	if InNotebook() {
		m.id = front.uniqueID()
		m.mu.Lock()
		m.refreshLocked()
		m.mu.Unlock()
	}
	return m
}

// NewMasterBarTo starts a display like NewMasterBar that is drawn as
// terminal text on w in every mode (a notebook included): the inner bars
// as `\r` lines, the table row by row. A nil w draws nothing. For output
// that goes where the caller says, such as a learner's learner.Output.
func NewMasterBarTo(w io.Writer, total int, columns []string) *MasterBar {
	m := newMasterBar(total, columns)
	if w == nil {
		w = io.Discard
	}
	m.out = &terminal{w: w}
	return m
}

func newMasterBar(total int, columns []string) *MasterBar {
	m := &MasterBar{table: Table{Columns: append([]string(nil), columns...)}, widths: headerWidths(columns), out: term}
	m.main = newBar(total, "", nil)
	m.main.hidden = true
	return m
}

// Update records that done epochs are finished (throttled like
// ProgressBar.Update).
func (m *MasterBar) Update(done int) {
	m.main.Update(done, "")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refreshLocked()
}

// NewChild starts the inner bar of the current epoch over total items; it
// erases itself when done (SetLeave(true) keeps it).
func (m *MasterBar) NewChild(total int) *ProgressBar {
	m.main.mu.Lock()
	prefix := fmt.Sprintf("Epoch %d/%d :", m.main.cur+1, m.main.total)
	m.main.mu.Unlock()
	c := newBar(total, prefix, m)
	c.leave = false
	c.mu.Lock()
	c.drawLocked()
	c.mu.Unlock()
	return c
}

// childChanged is called by a child bar (holding its own lock only) with
// its new terminal line and HTML.
func (m *MasterBar) childChanged(_ *ProgressBar, line, h string, done bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.id == "" {
		t := m.out
		t.bar(line)
		if done {
			t.endBar(h != "")
		}
		return
	}
	m.childHTML = h
	m.refreshLocked()
}

// Append adds a row to the results table and shows it.
func (m *MasterBar) Append(row []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.table.Rows = append(m.table.Rows, append([]string(nil), row...))
	if m.id == "" {
		t := m.out
		if len(m.table.Rows) == 1 && len(m.table.Columns) > 0 {
			t.println(formatHeader(m.table.Columns, m.widths))
		}
		t.println(formatRow(row, m.widths))
		return
	}
	m.refreshLocked()
}

// Table returns a copy of the results table so far.
func (m *MasterBar) Table() Table {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.table.clone()
}

// Done finishes the display: in a notebook only the table remains (or
// nothing, when it has no row).
func (m *MasterBar) Done() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.finished = true
	m.refreshLocked()
}

// refreshLocked redraws the notebook output.
func (m *MasterBar) refreshLocked() {
	if m.id == "" {
		return
	}
	var parts, texts []string
	if !m.finished {
		m.main.mu.Lock()
		parts = append(parts, m.main.htmlLocked())
		m.main.mu.Unlock()
	}
	if len(m.table.Columns) > 0 && (!m.finished || len(m.table.Rows) > 0) {
		parts = append(parts, m.table.HTML())
		texts = append(texts, m.table.Text())
	}
	if !m.finished && m.childHTML != "" {
		parts = append(parts, m.childHTML)
	}
	updateHTML(m.id, strings.Join(parts, "\n"), strings.Join(texts, "\n"))
}
