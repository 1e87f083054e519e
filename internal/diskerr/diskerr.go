package diskerr

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Kind is what kind of disk problem an error is.
type Kind int

const (
	// None: the error is not about the disk (damaged data, network…).
	None Kind = iota
	// NoSpace: the disk (or the user's quota) is full.
	NoSpace
	// NoPermission: the user may not write there.
	NoPermission
	// ReadOnly: the folder is on a read-only file system.
	ReadOnly
)

// Classify says what kind of disk problem err is (syscall errors found
// through errors.Is, as *fs.PathError and *os.LinkError wrap them).
func Classify(err error) Kind {
	switch {
	case err == nil:
		return None
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT):
		return NoSpace
	case errors.Is(err, syscall.EROFS):
		return ReadOnly
	case errors.Is(err, fs.ErrPermission):
		return NoPermission
	}
	return None
}

// Error is a disk problem in Dir, with the variable that moves the folder.
type Error struct {
	Kind Kind
	// Dir is the folder written to.
	Dir string
	// Env is the environment variable that sets another folder ("" when
	// none: the caller chose the path).
	Env string
	// Err is the file system's error.
	Err error
}

// Error says what is wrong, where, and what to do.
func (e *Error) Error() string {
	move := "write to another folder"
	if e.Env != "" {
		move = "set " + e.Env + " to another folder"
	}
	switch e.Kind {
	case NoSpace:
		return fmt.Sprintf("the disk of %s is full (%v): free space there, or %s on a disk with room", e.Dir, e.Err, move)
	case ReadOnly:
		return fmt.Sprintf("%s is on a read-only file system (%v): %s that is writable", e.Dir, e.Err, move)
	case NoPermission:
		return fmt.Sprintf("no permission to write in %s (%v): %s that you can write, or fix its permissions", e.Dir, e.Err, move)
	}
	return e.Err.Error()
}

// Unwrap returns the file system's error.
func (e *Error) Unwrap() error { return e.Err }

// Wrap returns err as an *Error naming dir and env when it is a disk
// problem (and not one already), else err unchanged.
func Wrap(err error, dir, env string) error {
	var de *Error
	if errors.As(err, &de) {
		return err
	}
	k := Classify(err)
	if k == None {
		return err
	}
	return &Error{Kind: k, Dir: dir, Env: env, Err: err}
}

// Is reports whether err is (or wraps) a disk problem.
func Is(err error) bool {
	var de *Error
	return errors.As(err, &de) || Classify(err) != None
}

// FilePath returns an error when path cannot name the file a save is
// about to write, checked before anything is built or written (a rename
// onto a folder would fail only after the whole file was written, saying
// "file exists"): an empty path, a path ending in a separator ("m/",
// which would make the folder and then fail), or an existing folder — each
// saying to give a file path, e.g. PATH/model.EXT. ext is the file's usual
// extension, with its dot (".learner"). nil otherwise, a missing file
// included.
func FilePath(path, ext string) error {
	switch {
	case path == "":
		return fmt.Errorf("no file path given: give one, e.g. model%s", ext)
	case os.IsPathSeparator(path[len(path)-1]):
		return fmt.Errorf("ends in a path separator: give a file path, e.g. %s", filepath.Join(path, "model"+ext))
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("is a folder: give a file path, e.g. %s", filepath.Join(path, "model"+ext))
	}
	return nil
}
