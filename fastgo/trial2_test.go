package fastgo_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
)

// captureWarnings sends fastgo.Warnings to a buffer for the test.
func captureWarnings(t *testing.T) *bytes.Buffer {
	t.Helper()
	var w bytes.Buffer
	old := fastgo.Warnings
	fastgo.Warnings = &w
	t.Cleanup(func() { fastgo.Warnings = old })
	return &w
}

// Trial 2: GetY = ParentLabel on a flat folder gives every item one label,
// and the fit then shows error_rate 0 and accuracy 1, silently.
// DataLoaders warns, as it does for an empty validation set.
func TestOneClassWarns(t *testing.T) {
	w := captureWarnings(t)
	db := petsBlock(4, fakeResize{size: 2})
	db.GetY = func(fastgo.Path) (string, error) { return "rgb", nil }
	if _, err := db.DataLoaders("images"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`every item has the label "rgb"`, "at least 2 classes", "check GetY"} {
		if !strings.Contains(w.String(), want) {
			t.Errorf("warnings %q do not say %q", w.String(), want)
		}
	}
	w.Reset()
	if _, err := petsBlock(4, fakeResize{size: 2}).DataLoaders("images"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(w.String(), "every item") {
		t.Errorf("a dataset of several classes warned %q", w.String())
	}
}

// Trial 2: an invalid RegexLabeller pattern (or one without a group) was
// reported as an item's problem, with advice to filter items. It is the
// pattern's error, said once, naming the pattern.
func TestRegexLabellerPatternErrorIsNotAnItems(t *testing.T) {
	for pattern, want := range map[string]string{
		`(.+_\d+.png$`: "missing closing )",
		`.+_\d+\.jpg$`: "no capture group",
	} {
		db := petsBlock(10)
		db.GetY = fastgo.UsingName(fastgo.RegexLabeller(pattern))
		_, err := db.DataLoaders("images")
		if err == nil {
			t.Fatalf("pattern %q: no error", pattern)
		}
		msg := err.Error()
		for _, w := range []string{fmt.Sprintf("RegexLabeller: invalid pattern %q", pattern), want, "fix the pattern"} {
			if !strings.Contains(msg, w) {
				t.Errorf("pattern %q: error %q does not say %q", pattern, msg, w)
			}
		}
		for _, bad := range []string{"filter the items", "item ", "_1.jpg"} {
			if strings.Contains(msg, bad) {
				t.Errorf("pattern %q: error %q blames an item (%q)", pattern, msg, bad)
			}
		}
	}
}

// Trial 2: WithWorkers(-2) was accepted silently, while a batch size
// below 1 is refused.
func TestNegativeWorkersRefused(t *testing.T) {
	captureWarnings(t) // the 4 items' own warnings
	_, err := petsBlock(4, fakeResize{size: 2}).DataLoaders("images", fastgo.WithWorkers(-2))
	if err == nil || !strings.Contains(err.Error(), "WithWorkers(-2)") {
		t.Errorf("WithWorkers(-2): err = %v, want it refused, naming the value", err)
	}
	if _, err := petsBlock(4, fakeResize{size: 2}).DataLoaders("images", fastgo.WithWorkers(0)); err != nil {
		t.Errorf("WithWorkers(0) (one worker): %v", err)
	}
}
