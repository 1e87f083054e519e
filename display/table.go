package display

import (
	"html"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Table is a header and rows of already formatted cells, shown like fastai
// shows its training results and most-confused lists.
type Table struct {
	Columns []string
	Rows    [][]string
}

// ShowTable displays t: in a notebook as an HTML table (the same
// `<table border="1" class="dataframe">` fastai/pandas produce, with t.Text()
// as plain-text alternative); in a terminal as t.Text().
func ShowTable(t Table) {
	if InNotebook() {
		displayHTML(t.HTML(), t.Text())
		return
	}
	term.println(t.Text())
}

// minHeaderWidth is fastprogress' minimum column width.
const minHeaderWidth = 8

// headerWidths returns each column's header width: the name padded to at
// least 8 characters, as fastprogress' console table does.
func headerWidths(columns []string) []int {
	w := make([]int, len(columns))
	for i, c := range columns {
		w[i] = max(runeLen(c), minHeaderWidth)
	}
	return w
}

// formatHeader joins the column names padded to widths with two spaces.
func formatHeader(columns []string, widths []int) string {
	cells := make([]string, len(columns))
	for i, c := range columns {
		cells[i] = padRight(c, widths[i])
	}
	return strings.TrimRight(strings.Join(cells, "  "), " ")
}

// formatRow left-justifies each value in its column width plus two spaces
// (a longer value pushes the rest right, still two spaces before the next,
// as fastprogress' '  '.join). Cells beyond the header are joined the same
// way; missing cells are left empty.
func formatRow(row []string, widths []int) string {
	var b strings.Builder
	for i, v := range row {
		w := runeLen(v)
		if i < len(widths) {
			w = max(widths[i], w)
		}
		b.WriteString(padRight(v, w+2))
	}
	return strings.TrimRight(b.String(), " ")
}

// Text returns the terminal rendering, fastprogress' console format: the
// header names padded to at least 8 characters joined by two spaces, then each
// row with every value left-justified in its column's width + 2. A column is
// widened to its longest value so that columns stay aligned. Trailing spaces
// are trimmed from every line.
func (t Table) Text() string {
	widths := headerWidths(t.Columns)
	for _, row := range t.Rows {
		for i, v := range row {
			if i < len(widths) {
				widths[i] = max(widths[i], runeLen(v))
			}
		}
	}
	lines := make([]string, 0, len(t.Rows)+1)
	lines = append(lines, formatHeader(t.Columns, widths))
	for _, row := range t.Rows {
		lines = append(lines, formatRow(row, widths))
	}
	return strings.Join(lines, "\n")
}

// HTML returns the notebook rendering: fastprogress' text2html_table layout
// (a pandas-style `<table border="1" class="dataframe">` with a left-aligned
// header), every cell HTML-escaped.
func (t Table) HTML() string {
	var b strings.Builder
	b.WriteString("<table border=\"1\" class=\"dataframe\">\n")
	b.WriteString("  <thead>\n    <tr style=\"text-align: left;\">\n")
	for _, c := range t.Columns {
		b.WriteString("      <th>" + html.EscapeString(c) + "</th>\n")
	}
	b.WriteString("    </tr>\n  </thead>\n  <tbody>\n")
	for _, row := range t.Rows {
		b.WriteString("    <tr>\n")
		for _, v := range row {
			b.WriteString("      <td>" + html.EscapeString(v) + "</td>\n")
		}
		b.WriteString("    </tr>\n")
	}
	b.WriteString("  </tbody>\n</table>")
	return b.String()
}

// LiveTable is a table that grows row by row, like fastai's epoch table
// during training. In a notebook it is one output updated in place; in a
// terminal the header is printed by NewLiveTable and each row by Append, in
// the fixed fastprogress column widths (values are not known in advance).
// It is safe for concurrent use.
type LiveTable struct {
	mu     sync.Mutex
	table  Table
	widths []int
	id     string // notebook output id
}

// NewLiveTable starts a live table with the given column names and shows
// its header.
func NewLiveTable(columns []string) *LiveTable {
	t := &LiveTable{table: Table{Columns: append([]string(nil), columns...)}, widths: headerWidths(columns)}
	if InNotebook() {
		t.id = front.uniqueID()
		updateHTML(t.id, t.table.HTML(), t.table.Text())
	} else {
		term.println(formatHeader(columns, t.widths))
	}
	return t
}

// Append adds a row and shows it.
func (t *LiveTable) Append(row []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.table.Rows = append(t.table.Rows, append([]string(nil), row...))
	if t.id != "" {
		updateHTML(t.id, t.table.HTML(), t.table.Text())
		return
	}
	term.println(formatRow(row, t.widths))
}

// Table returns a copy of the rows appended so far.
func (t *LiveTable) Table() Table {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.table.clone()
}

// clone returns a deep copy of t, so that a caller's copy does not change
// as rows are appended to a live table.
func (t Table) clone() Table {
	rows := make([][]string, len(t.Rows))
	for i, r := range t.Rows {
		rows[i] = slices.Clone(r)
	}
	return Table{Columns: slices.Clone(t.Columns), Rows: rows}
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }

// padRight pads s with spaces to n runes (no-op when already as long).
func padRight(s string, n int) string {
	if k := runeLen(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}
