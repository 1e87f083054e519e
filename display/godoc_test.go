package display

import (
	"os"
	"strings"
	"testing"
)

// Shift+Tab in the classic notebook showed an empty tooltip (#20.2): Doc
// is the way that works today.
func TestDocShowsTheDocumentation(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go doc")
	}
	t.Setenv(EnvDisplay, "terminal")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	SetOutput(w)
	defer SetOutput(nil)
	if err := Doc("fastgo.GetImageFiles"); err != nil {
		t.Fatal(err)
	}
	if err := Doc("learner.Learner.FineTune", "-src"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	var b strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := r.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	out := b.String()
	for _, want := range []string{"func GetImageFiles(", "func (l *Learner) FineTune(", "freeze"} {
		if !strings.Contains(out, want) {
			t.Errorf("Doc output lacks %q:\n%.600s", want, out)
		}
	}
	err = Doc("vision.NoSuchThing")
	if err == nil || !strings.Contains(err.Error(), "NoSuchThing") || !strings.Contains(err.Error(), "no symbol") {
		t.Errorf("Doc of a missing name: %v", err)
	}
}
