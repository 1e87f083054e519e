package simdlevel

import (
	"os"
	"strings"
)

// The levels Level returns.
const (
	AVX512 = "AVX-512"
	AVX2   = "AVX2"
	None   = "none" // portable Go: no GOEXPERIMENT=simd, not amd64, or both levels turned off
)

// Level returns the vector instruction set the pure-Go backend's kernels
// use in this process: AVX512, AVX2 or None (see the package documentation
// for the rule, which is the backend's own).
func Level() string { return level() }

// envAllows mirrors the backend's reading of GOMLX_GO_SIMD_* (its envutil
// package): only 0, false, f, no, off and disabled, in any case, turn a
// level off; the backend refuses to start on a value that is neither true
// nor false.
func envAllows(name string) bool {
	switch strings.ToLower(os.Getenv(name)) {
	case "0", "false", "f", "no", "off", "disabled":
		return false
	}
	return true
}
