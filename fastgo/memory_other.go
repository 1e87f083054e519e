//go:build !unix

package fastgo

func addressSpaceLimit() (int64, bool) { return 0, false }
