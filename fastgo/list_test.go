package fastgo_test

import (
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
)

// TestPyList: Jupyter's display of a Python list — one line when it fits
// in 79 characters (`['great_pyrenees']`), else one item per line.
func TestPyList(t *testing.T) {
	if got := fastgo.PyList([]string{"great_pyrenees"}); got != "['great_pyrenees']" {
		t.Errorf("PyList = %s", got)
	}
	if got := fastgo.PyList([]string{}); got != "[]" {
		t.Errorf("empty: %s", got)
	}
	long := []string{strings.Repeat("a", 40), strings.Repeat("b", 40)}
	if got, want := fastgo.PyList(long), "['"+long[0]+"',\n '"+long[1]+"']"; got != want {
		t.Errorf("long list:\n%s\nwant\n%s", got, want)
	}
}
