//go:build goexperiment.simd && amd64

package simdlevel

import "simd/archsimd"

func level() string {
	switch {
	case archsimd.X86.AVX512() && envAllows("GOMLX_GO_SIMD_AVX512"):
		return AVX512
	case archsimd.X86.AVX2() && envAllows("GOMLX_GO_SIMD_AVX2"):
		return AVX2
	}
	return None
}
