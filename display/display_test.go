package display

import (
	"testing"
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
