#!/usr/bin/env bash
# Checks that each SIMD level of bench/simd.sh really takes effect on both
# sides, by what ran rather than by what was asked:
#   fastgo: perf records two training steps of ResNet18 at 32 px and lists
#           the backend's matmul kernels that took samples: only
#           .../matmul/avx512.* at avx512, only .../matmul/avx2.* at avx2;
#           and the "simd" the program reports (internal/simdlevel).
#   PyTorch: bench/torch_simd.py, i.e. ATen's capability and the oneDNN
#           implementation of a convolution in ONEDNN_VERBOSE's log.
# Needs perf (Debian's linux-perf); exits 1 when a level does not switch.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/goenv.sh
SIMD=${SIMD:-"avx512 avx2"}
. bench/simd.sh
command -v perf >/dev/null || { echo "simd-check: needs perf (apt-get install linux-perf)" >&2; exit 1; }
go build -o build/bench-train ./bench/train
echo "processor: $(cpu_model)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for level in $SIMD; do
  read -r -a genv <<<"$(simd_env "$level" go)"
  reported=$(env "${genv[@]}" perf record -q -o "$tmp/$level.data" ./build/bench-train -size 32 -steps 2 2>/dev/null |
    /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['simd'])")
  kernels=$(perf report -i "$tmp/$level.data" --sort symbol --stdio 2>/dev/null |
    grep -o 'dot/matmul/[a-z0-9]*\.[A-Za-z0-9]*' | sed 's|dot/matmul/||' | sort -u | tr '\n' ' ')
  families=$(echo "$kernels" | tr ' ' '\n' | sed -n 's/^\([a-z0-9]*\)\..*/\1/p' | sort -u | tr '\n' ' ')
  echo "$level: fastgo reports $reported; matmul kernels sampled: $kernels"
  echo "$level: PyTorch $(torch_simd "$level")"
  if [ "${families% }" != "$level" ]; then
    echo "simd-check: at $level fastgo's matmul ran kernels of [${families% }], want only $level" >&2
    status=1
  fi
done
exit $status
