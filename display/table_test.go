package display

import (
	"bytes"
	"strings"
	"testing"
)

// captureTerminal forces the terminal rendering and captures its text.
func captureTerminal(t *testing.T) *bytes.Buffer {
	t.Helper()
	t.Setenv(EnvDisplay, "terminal")
	var buf bytes.Buffer
	SetOutput(&buf)
	t.Cleanup(func() { SetOutput(nil) })
	return &buf
}

func TestTableHTML(t *testing.T) {
	got := Table{Columns: []string{"a", "b<c"}, Rows: [][]string{{"1", "x&y"}}}.HTML()
	want := `<table border="1" class="dataframe">
  <thead>
    <tr style="text-align: left;">
      <th>a</th>
      <th>b&lt;c</th>
    </tr>
  </thead>
  <tbody>
    <tr>
      <td>1</td>
      <td>x&amp;y</td>
    </tr>
  </tbody>
</table>`
	if got != want {
		t.Errorf("HTML() =\n%s\nwant\n%s", got, want)
	}
}

func TestShowTableTerminal(t *testing.T) {
	buf := captureTerminal(t)
	tb := Table{Columns: []string{"epoch", "time"}, Rows: [][]string{{"0", "00:01"}}}
	ShowTable(tb)
	if got, want := buf.String(), tb.Text()+"\n"; got != want {
		t.Errorf("ShowTable printed %q, want %q", got, want)
	}
}

func TestTableRaggedRows(t *testing.T) {
	tb := Table{Columns: []string{"a", "b"}, Rows: [][]string{{"1"}, {"1", "2", "extra"}}}
	lines := strings.Split(tb.Text(), "\n")
	if len(lines) != 3 || lines[1] != "1" || lines[2] != "1         2         extra" {
		t.Errorf("ragged rows rendered as %q", lines)
	}
}

func TestLiveTableTerminal(t *testing.T) {
	buf := captureTerminal(t)
	lt := NewLiveTable([]string{"epoch", "train_loss", "time"})
	lt.Append([]string{"0", "1.551305", "01:06"})
	lt.Append([]string{"1", "0.529473", "01:07"})
	want := "epoch     train_loss  time\n0         1.551305    01:06\n1         0.529473    01:07\n"
	if buf.String() != want {
		t.Errorf("live table printed\n%q\nwant\n%q", buf.String(), want)
	}
	if got := lt.Table(); len(got.Rows) != 2 || got.Rows[1][1] != "0.529473" {
		t.Errorf("Table() = %+v", got)
	}
}

// A value wider than its column (a diverged loss: 1929165443822518272.000000
// under train_loss) keeps two spaces before the next column, in the live
// table's fixed widths as in Text's, instead of running into it.
func TestLiveTableHugeValueKeepsColumnsApart(t *testing.T) {
	buf := captureTerminal(t)
	lt := NewLiveTable([]string{"epoch", "train_loss", "valid_loss", "time"})
	lt.Append([]string{"0", "1929165443822518272.000000", "nan", "00:02"})
	want := "epoch     train_loss  valid_loss  time\n0         1929165443822518272.000000  nan         00:02\n"
	if buf.String() != want {
		t.Errorf("live table printed\n%q\nwant\n%q", buf.String(), want)
	}
}
