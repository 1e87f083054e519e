// Package simdlevel names the x86 vector instruction set that GoMLX's
// pure-Go backend (github.com/gomlx/compute) uses in this process, so that
// every benchmark figure can say what it ran on.
//
// The backend picks its AVX-512 kernels (matmul, activations, reductions)
// when the CPU has AVX-512 F+CD+BW+DQ+VL as Go's runtime sees it and
// GOMLX_GO_SIMD_AVX512 is not false; else its AVX2 kernels when the CPU
// has AVX2 and GOMLX_GO_SIMD_AVX2 is not false; else portable Go. Level
// applies the same rule. Go's runtime sees a feature as absent when
// GODEBUG turns it off: GODEBUG=cpu.avx512f=off gives AVX2 on an AVX-512
// processor, for the backend's AVX-512 kernels and for its portable vector
// code alike (GOMLX_GO_SIMD_AVX512=false turns off only the former), which
// is how `SIMD=avx2 make bench-train` runs an AVX-512 machine as an AVX2 one. bench/simd-check.sh confirms with perf that the
// kernels the backend runs are the ones Level names.
package simdlevel
