package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPredictNamesMissingFilesAndFolders: a missing image and a folder are
// named in a command-line user's words — check the path; give the folder's
// images with a shell glob — where the library's advice ("replace or
// remove the file", "fastgo.GetImageFiles lists those") is for Go code.
// The model is still loaded (its own error is said too) and the exit
// status is 1. (A dangling link is left to the library, which explains
// it: TestFastaiExportEndToEnd.)
func TestPredictNamesMissingFilesAndFolders(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.png")
	// Trial 3: the advice said *.jpg for a folder of PNGs.
	pngs := filepath.Join(dir, "pngs")
	if err := os.MkdirAll(pngs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pngs, "a.PNG"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	if got := run([]string{"predict", "no-such-model.learner", missing, dir, pngs}, &stdout, &stderr); got != 1 {
		t.Errorf("exit status %d, want 1; stderr %q", got, stderr.String())
	}
	for _, want := range []string{
		missing + ": no such file: check the path",
		dir + ": is a folder: give its images, e.g. " + filepath.Join(dir, "*.jpg"),
		pngs + ": is a folder: give its images, e.g. " + filepath.Join(pngs, "*.PNG"),
		"no-such-model.learner",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q\nwant it to say %q", stderr.String(), want)
		}
	}
	if strings.Contains(stderr.String(), "GetImageFiles") || strings.Contains(stderr.String(), "replace or remove") {
		t.Errorf("stderr %q gives the library's advice to a command-line user", stderr.String())
	}
}
