# The Go environment of every fastgo build, sourced by the scripts and
# .ci/run (the Makefile and the notebook kernelspec set the same values;
# kernel's TestGoEnvEverywhere checks that they agree).
#
# GOTOOLCHAIN: fastgo needs Go 1.27 (GoMLX v0.28.16); the go command of a
# new machine (1.26.8) fetches this exact toolchain from the module proxy
# on first use (~10 s) and runs it.
# GOEXPERIMENT=simd: the pure-Go backend's SIMD matmul kernels (3-4x faster)
# and fastgo's own SIMD resize.
export GOTOOLCHAIN=go1.27.3
export GOEXPERIMENT=simd
