package display

import (
	"image"
	"testing"
	"time"
)

func TestInNotebookOverride(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want bool
	}{{"notebook", true}, {"NOTEBOOK", true}, {"terminal", false}, {" terminal ", false}} {
		t.Setenv(EnvDisplay, tc.env)
		if got := InNotebook(); got != tc.want {
			t.Errorf("%s=%q: InNotebook() = %v, want %v", EnvDisplay, tc.env, got, tc.want)
		}
	}
	// Outside GoNB, with no override, auto-detection says terminal.
	t.Setenv("GONB_PIPE", "")
	t.Setenv(EnvDisplay, "")
	if InNotebook() {
		t.Errorf("InNotebook() = true outside GoNB without override")
	}
}

func TestOutputDir(t *testing.T) {
	t.Setenv(EnvOutputDir, "")
	if got := OutputDir(); got != DefaultOutputDir {
		t.Errorf("OutputDir() = %q, want %q", got, DefaultOutputDir)
	}
	t.Setenv(EnvOutputDir, "/some/where")
	if got := OutputDir(); got != "/some/where" {
		t.Errorf("OutputDir() = %q with %s set", got, EnvOutputDir)
	}
}

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{"": "image", "a/b": "a_b", "batch.png": "batch", "..": "image", "x:y": "x_y"} {
		if got := fileName(in); got != want {
			t.Errorf("fileName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Forcing notebook mode outside GoNB must not block or fail: the gonbui
// calls do nothing without a kernel.
func TestForcedNotebookOutsideGoNB(t *testing.T) {
	t.Setenv("GONB_PIPE", "")
	t.Setenv(EnvDisplay, "notebook")
	finished := make(chan bool)
	go func() {
		ShowTable(Table{Columns: []string{"a"}})
		b := NewProgressBar(2, "")
		b.Update(2, "")
		b.Done()
		_, err := ShowImage(image.NewRGBA(image.Rect(0, 0, 2, 2)), "x")
		finished <- err == nil
	}()
	select {
	case ok := <-finished:
		if !ok {
			t.Error("ShowImage failed in forced notebook mode")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("display calls blocked in forced notebook mode outside GoNB")
	}
}
