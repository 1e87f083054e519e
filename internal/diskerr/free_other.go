//go:build !unix

package diskerr

// Free cannot tell the free space on this system: ok is false.
func Free(dir string) (bytes int64, ok bool) { return 0, false }
