//go:build unix

package diskerr

import "golang.org/x/sys/unix"

// Free is the space left to an unprivileged user on the file system of
// dir, in bytes; ok is false when it cannot be told.
func Free(dir string) (bytes int64, ok bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}
