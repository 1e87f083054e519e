package diskerr

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

// Each disk problem, however wrapped, is told apart from other errors and
// said with the folder and the variable that moves it. (A missing
// permission cannot be produced for real in CI, which runs as root.)
func TestWrapSaysWhatAndWhere(t *testing.T) {
	pathErr := func(errno syscall.Errno) error {
		return fmt.Errorf("save x: %w", &fs.PathError{Op: "write", Path: "/cache/x.tmp", Err: errno})
	}
	for _, tc := range []struct {
		err  error
		kind Kind
		want string
	}{
		{pathErr(syscall.ENOSPC), NoSpace, "the disk of /cache is full"},
		{pathErr(syscall.EDQUOT), NoSpace, "is full"},
		{pathErr(syscall.EROFS), ReadOnly, "read-only file system"},
		{pathErr(syscall.EACCES), NoPermission, "no permission to write in /cache"},
		{pathErr(syscall.EPERM), NoPermission, "no permission"},
		{errors.New("unexpected EOF"), None, "unexpected EOF"},
	} {
		if k := Classify(tc.err); k != tc.kind {
			t.Errorf("Classify(%v) = %d, want %d", tc.err, k, tc.kind)
		}
		got := Wrap(tc.err, "/cache", "FASTGO_CACHE_DIR")
		if !strings.Contains(got.Error(), tc.want) {
			t.Errorf("Wrap(%v) = %v, want it to say %q", tc.err, got, tc.want)
		}
		if tc.kind != None && (!strings.Contains(got.Error(), "set FASTGO_CACHE_DIR") || !errors.Is(got, tc.err) || !Is(got)) {
			t.Errorf("Wrap(%v) = %v: want the variable named and the cause kept", tc.err, got)
		}
		if again := Wrap(got, "/other", "FASTGO_DATA"); again != got {
			t.Errorf("wrapping twice changed %v into %v", got, again)
		}
	}
}

// A folder where a file is to be written is named, with a file path to
// give instead; a file or a missing path is no error.
func TestFilePath(t *testing.T) {
	dir := t.TempDir()
	err := FilePath(dir, ".onnx")
	if want := "is a folder: give a file path, e.g. " + dir + "/model.onnx"; err == nil || err.Error() != want {
		t.Errorf("FilePath(dir) = %v, want %q", err, want)
	}
	if err := FilePath(dir+"/missing.onnx", ".onnx"); err != nil {
		t.Errorf("FilePath(missing) = %v, want nil", err)
	}
	// Trial 3: a folder named with a final slash that does not exist yet
	// failed only at the rename ("file exists"), leaving the folder made.
	err = FilePath(dir+"/new/", ".learner")
	if want := "ends in a path separator: give a file path, e.g. " + dir + "/new/model.learner"; err == nil || err.Error() != want {
		t.Errorf("FilePath(dir/new/) = %v, want %q", err, want)
	}
	if err := FilePath("", ".learner"); err == nil || err.Error() != "no file path given: give one, e.g. model.learner" {
		t.Errorf(`FilePath("") = %v`, err)
	}
}
