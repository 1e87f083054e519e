//go:build !unix

package backend

func addressSpaceLimit() (int64, bool) { return 0, false }
