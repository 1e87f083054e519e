#!/usr/bin/env bash
# make bench-epoch: one training epoch over the pets sample, data loading and
# augmentation included, fastgo vs a PyTorch loop doing the same work
# (ResNet18 at 128 px from a 192 px presize by default), at each SIMD level
# of SIMD (bench/simd.sh: avx512 by default; SIMD="avx512 avx2" for both).
# Prints both JSON lines, the ratios and appends one line per level to
# bench/results/epoch.tsv with the processor and the SIMD level each side
# reported. BASELINE=path to an older bench-epoch binary runs it too, first,
# for a before/after figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/goenv.sh
. bench/simd.sh
IMAGES=${IMAGES:-../shared/data/oxford-iiit-pet-sample/images}
ARCH=${ARCH:-resnet18} SIZE=${SIZE:-128} PRESIZE=${PRESIZE:-192}
RESULTS=bench/results/epoch.tsv
[ -d "$IMAGES" ] || { echo "bench-epoch: no images at $IMAGES; set IMAGES" >&2; exit 1; }
bash scripts/deps-torch.sh
go build -o build/bench-epoch ./bench/epoch
cpu=$(cpu_model)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "processor: $cpu"
field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
[ -f "$RESULTS" ] || printf 'date\tcommit\tarch\tsize\tpresize\timages\tfastgo_img_s\ttorch_img_s\tratio\tfastgo_peak_mib\ttorch_peak_mib\tmemory_ratio\tloadavg\tcpu\tfastgo_simd\ttorch_simd\n' > "$RESULTS"
for level in $SIMD; do
  read -r -a genv <<<"$(simd_env "$level" go)"
  read -r -a tenv <<<"$(simd_env "$level" torch)"
  tsimd=$(torch_simd "$level")
  load=$(cut -d' ' -f1 /proc/loadavg)
  if [ -n "${BASELINE:-}" ]; then
    echo "baseline ($level): $(env "${genv[@]}" "$BASELINE" -images "$IMAGES" -arch "$ARCH" -size "$SIZE" -presize "$PRESIZE" 2>/dev/null)"
  fi
  g=$(env "${genv[@]}" ./build/bench-epoch -images "$IMAGES" -arch "$ARCH" -size "$SIZE" -presize "$PRESIZE" 2>/dev/null)
  t=$(env "${tenv[@]}" /usr/bin/python3 bench/epoch/torch_epoch.py "$IMAGES" "$ARCH" "$SIZE" "$PRESIZE")
  echo "fastgo  ($level): $g"
  echo "pytorch ($level, $tsimd): $t"
  ratio=$(/usr/bin/python3 -c "print(f'{$(field "$g" img_per_s)/$(field "$t" img_per_s):.2f}')")
  mem=$(/usr/bin/python3 -c "print(f'{$(field "$g" peak_rss_mib)/$(field "$t" peak_rss_mib):.2f}')")
  echo "  $level: speed fastgo/PyTorch ${ratio}x, peak memory fastgo/PyTorch ${mem}x (load average $load at the start)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t%s\t%.0f\t%.0f\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$commit" "$ARCH" "$SIZE" "$PRESIZE" \
    "$(field "$g" images)" "$(field "$g" img_per_s)" "$(field "$t" img_per_s)" "$ratio" "$(field "$g" peak_rss_mib)" "$(field "$t" peak_rss_mib)" "$mem" \
    "$load" "$cpu" "$(field "$g" simd)" "$tsimd" >> "$RESULTS"
done
echo "appended to $RESULTS"
