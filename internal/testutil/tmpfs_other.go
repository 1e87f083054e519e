//go:build !linux

package testutil

import "testing"

// Tmpfs needs Linux's tmpfs: elsewhere it skips the test.
func Tmpfs(t testing.TB, size int, readOnly bool) string {
	t.Skip("the full- and read-only-disk checks mount a Linux tmpfs")
	return ""
}
