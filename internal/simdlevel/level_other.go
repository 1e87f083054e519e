//go:build !goexperiment.simd || !amd64

package simdlevel

// Without GOEXPERIMENT=simd (or off amd64) the backend has no x86 kernels.
func level() string { return None }
