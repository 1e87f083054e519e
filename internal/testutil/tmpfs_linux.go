package testutil

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// Tmpfs mounts a tmpfs of size bytes (read-only when readOnly) in a new
// temporary folder and returns it, unmounted when the test ends: a real
// full or read-only disk for the tests of what fastgo says then. It skips
// the test, saying why, where mounting is not allowed (not root, or a
// container without CAP_SYS_ADMIN); CI runs as root.
func Tmpfs(t testing.TB, size int, readOnly bool) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs (a full or read-only disk) needs root")
	}
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var flags uintptr
	if readOnly {
		flags = syscall.MS_RDONLY
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", flags, "size="+strconv.Itoa(size)); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): the full- and read-only-disk checks need it", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}
