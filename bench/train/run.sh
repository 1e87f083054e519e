#!/usr/bin/env bash
# make bench-train: fastgo's training step (pure-Go backend unless
# GOMLX_BACKEND says otherwise) beside PyTorch's on the CPU (2 threads, same
# ResNet, Adam, batch 16), each configuration in its own processes so that
# peak memory is per configuration. Each configuration runs REPS times
# (default 3; once at 224 px), fastgo and PyTorch alternating so that a
# slow spell of this shared machine hits both; the median images/s of each
# and the largest peak memory are kept. Prints images/s, the ratio and
# peak memory, and appends one dated line per configuration to
# bench/results/train.tsv with the processor's model and the SIMD level
# each side used.
#
#   CONFIGS="resnet18@64 resnet34@64" REPS=5 bash bench/train/run.sh
#   SIMD="avx512 avx2" bash bench/train/run.sh   # both levels, one after the other per configuration
#
# SIMD (bench/simd.sh): avx512 (default) or avx2, which runs both sides
# restricted to AVX2 on an AVX-512 machine (GODEBUG=cpu.avx512f=off;
# ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2). The level each side
# really used is printed and recorded as reported (fastgo's "simd" field,
# bench/torch_simd.py), not as asked.
#
# BASELINE=path/to/an/older/bench-train binary runs that build too, in the
# same alternation, and prints its images/s and this build's speed-up over
# it (e.g. before and after a dependency upgrade); the results file keeps
# only this build's figures. BASELINE is split into words, so it may set
# an environment: BASELINE="env GOMLX_BACKEND=go:parallelism=-1,ops_sequential,creation_order build/bench-train"
# compares the backend's sequential executor with its default.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/goenv.sh
. bench/simd.sh
CONFIGS=${CONFIGS:-"resnet18@64 resnet34@64 resnet18@128 resnet34@128 resnet18@224 resnet34@224"}
BS=${BS:-16}
REPS=${REPS:-3}
RESULTS=bench/results/train.tsv

bash scripts/deps-torch.sh
go build -o build/bench-train ./bench/train
host="$(nproc) cores, $(uname -m)"
cpu=$(cpu_model)
[ -f "$RESULTS" ] || printf 'date\tcommit\thost\tconfig\tbatch\tfastgo_img_s\ttorch_img_s\tratio\tfastgo_peak_mib\ttorch_peak_mib\tsteal_pct\tcpu\tfastgo_simd\ttorch_simd\n' > "$RESULTS"
echo "processor: $cpu"
declare -A tsimd gsimds
for level in $SIMD; do
  tsimd[$level]=$(torch_simd "$level")
done
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
median() { /usr/bin/python3 -c "import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))" "$@"; }
# cpu_ticks prints the machine's total and stolen CPU ticks (/proc/stat):
# time the hypervisor gave to other guests makes every figure here slower.
cpu_ticks() { awk '/^cpu /{t=0; for (i=2; i<=NF; i++) t+=$i; print t, $9}' /proc/stat; }
steal_pct() { /usr/bin/python3 -c "import sys; t0,s0,t1,s1=map(float,sys.argv[1:]); print(f'{100*(s1-s0)/max(t1-t0,1):.0f}')" $1 $2; }
largest() { /usr/bin/python3 -c "import sys; print(max(map(float, sys.argv[1:])))" "$@"; }

printf '%-14s %-7s %12s %12s %7s %14s %14s %7s' config simd fastgo_img/s torch_img/s ratio fastgo_MiB torch_MiB steal%
[ -n "${BASELINE:-}" ] && printf ' %12s %8s' baseline_img/s speedup
echo
skip_big=""
for cfg in $CONFIGS; do
for level in $SIMD; do
  arch=${cfg%@*}; size=${cfg#*@}
  read -r -a genv <<<"$(simd_env "$level" go)"
  read -r -a tenv <<<"$(simd_env "$level" torch)"
  if [ "$size" -ge 224 ] && [ -n "$skip_big" ]; then
    echo "$cfg: skipped — a fastgo step at a smaller size already took over a minute ($skip_big)"
    continue
  fi
  steps=5; reps=$REPS
  if [ "$size" -ge 224 ]; then steps=2; reps=1; fi
  g_runs=(); t_runs=(); b_runs=(); gm=0; tm=0; step=0; gsimd=""
  ticks0=$(cpu_ticks)
  for _ in $(seq "$reps"); do
    go_json=$(env "${genv[@]}" ./build/bench-train -arch "$arch" -size "$size" -bs "$BS" -steps "$steps" 2>/dev/null)
    gsimd=$(field "$go_json" simd); gsimds[$level]=$gsimd
    if [ -n "${BASELINE:-}" ]; then
      read -r -a base_cmd <<<"$BASELINE"
      b_runs+=("$(field "$(env "${genv[@]}" "${base_cmd[@]}" -arch "$arch" -size "$size" -bs "$BS" -steps "$steps" 2>/dev/null)" img_per_s)")
    fi
    torch_json=$(env "${tenv[@]}" /usr/bin/python3 bench/train/torch_step.py "$arch@$size" "$BS")
    g_runs+=("$(field "$go_json" img_per_s)"); t_runs+=("$(field "$torch_json" img_per_s)")
    gm=$(largest "$gm" "$(field "$go_json" peak_rss_mib)"); tm=$(largest "$tm" "$(field "$torch_json" peak_rss_mib)")
    step=$(largest "$step" "$(field "$go_json" step_s)")
  done
  g=$(median "${g_runs[@]}"); t=$(median "${t_runs[@]}")
  steal=$(steal_pct "$ticks0" "$(cpu_ticks)")
  ratio=$(/usr/bin/python3 -c "print(f'{$g/$t:.2f}')")
  printf '%-14s %-7s %12.2f %12.2f %7s %14.0f %14.0f %7s' "$cfg" "$level" "$g" "$t" "$ratio" "$gm" "$tm" "$steal"
  if [ -n "${BASELINE:-}" ]; then
    b=$(median "${b_runs[@]}")
    printf ' %12.2f %7.2fx' "$b" "$(/usr/bin/python3 -c "print($g/$b)")"
  fi
  echo
  printf '%s\t%s\t%s\t%s\t%s\t%.3f\t%.3f\t%s\t%.0f\t%.0f\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$commit" "$host" "$cfg" "$BS" "$g" "$t" "$ratio" "$gm" "$tm" "$steal" \
    "$cpu" "$gsimd" "${tsimd[$level]}" >> "$RESULTS"
  if /usr/bin/python3 -c "import sys; sys.exit(0 if $step > 60 else 1)"; then skip_big="$cfg: ${step}s per step"; fi
done
done
for level in $SIMD; do
  echo "SIMD level $level: fastgo ran ${gsimds[$level]:-nothing} ($(simd_env "$level" go)), PyTorch ${tsimd[$level]} ($(simd_env "$level" torch))"
done
echo "appended to $RESULTS"
echo "steal%: CPU time the hypervisor gave to other guests during the configuration's runs; above ~5% the figures (and their ratio) are unreliable — rerun when the machine is quiet."
