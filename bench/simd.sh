# Sourced by the benchmarks' run.sh: the SIMD levels both sides run at.
#
# SIMD is a list of levels (default "avx512"; SIMD="avx512 avx2" runs both,
# SIMD=avx2 the second only). At each level simd_env LEVEL go|torch prints
# the environment that sets it:
#   avx512  fastgo: none (the backend uses AVX-512 where the CPU has it);
#           PyTorch: ATEN_CPU_CAPABILITY=avx512 (Debian's torch 1.13 picks
#           AVX2 for ATen's own kernels by default) — oneDNN, which runs
#           the convolutions, uses its highest ISA by default.
#   avx2    fastgo: GODEBUG=cpu.avx512f=off (Go then sees no AVX-512, and
#           neither do the backend's kernels); PyTorch:
#           ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2.
# What each side really used is measured, not assumed: the fastgo programs
# print "simd" (internal/simdlevel, the backend's own rule), and
# bench/torch_simd.py reports ATen's capability and the implementation
# oneDNN's verbose log shows for a convolution. bench/simd-check.sh confirms
# the fastgo side with perf (which matmul kernels run).
SIMD=${SIMD:-avx512}
for level in $SIMD; do
  case $level in avx512|avx2) ;; *) echo "SIMD: unknown level '$level' (avx512, avx2)" >&2; exit 2 ;; esac
done

simd_env() {
  case "$1:$2" in
    avx512:go) echo "GODEBUG=${GODEBUG:-}" ;;
    avx512:torch) echo "ATEN_CPU_CAPABILITY=avx512" ;;
    avx2:go) echo "GODEBUG=cpu.avx512f=off${GODEBUG:+,$GODEBUG}" ;;
    avx2:torch) echo "ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2" ;;
  esac
}

# torch_simd LEVEL: "ATen AVX512, oneDNN jit:avx512_core" as PyTorch reports it at LEVEL.
torch_simd() {
  # shellcheck disable=SC2046
  env $(simd_env "$1" torch) /usr/bin/python3 bench/torch_simd.py |
    /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print(f'ATen {j[\"aten\"]}, oneDNN {j[\"conv_impl\"]}')"
}

# cpu_model: the processor's name and the vector extensions it offers.
cpu_model() {
  local name flags
  name=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
  flags=$(grep -m1 '^flags' /proc/cpuinfo)
  local simd="SSE4.2"
  case $flags in *avx2*) simd="AVX2" ;; esac
  case $flags in *avx512f*) simd="AVX-512" ;; esac
  case $flags in *amx_tile*) simd="$simd, AMX" ;; esac
  echo "$name ($(nproc) cores, $simd)"
}
