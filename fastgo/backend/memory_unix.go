//go:build unix

package backend

import "syscall"

// addressSpaceLimit is RLIMIT_AS (ulimit -v) in bytes, when one is set
// (RLIM_INFINITY is all ones).
func addressSpaceLimit() (int64, bool) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &r); err != nil || uint64(r.Cur) >= 1<<60 {
		return 0, false
	}
	return int64(r.Cur), true
}
