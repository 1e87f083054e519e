#!/usr/bin/env bash
# make bench-serve: `fastgo serve` (CGO_ENABLED=0 build, pure-Go backend,
# dynamic batching) beside a minimal PyTorch HTTP server
# (bench/serve/torch_serve.py: one forward pass per request) on the same
# model and images, one after the other on loopback.
#
# Setup: bench/serve/model makes the model — a cnn.Learner with
# random initial weights trained for a few batches on the pets sample (so
# that the batch-norm statistics are real), exported for fastgo, and the same
# weights written for PyTorch. Each server then gets a few check images one
# at a time, as lossless PNGs and as the JPEGs (on the PNGs both must give
# the same top class and probabilities within 1e-3: the proof that they
# serve the same model), a warm-up, and a bounded run of REQUESTS over
# CONCURRENCY workers (bench/serve/load). Prints
# requests/s, p50 and p99 latency, errors and the server's peak memory for
# both, the ratios, the fastgo binary's size, and appends one dated line to
# bench/results/serve.tsv.
#
# The peer runs TorchScript frozen by torch.jit.optimize_for_inference:
# Debian's eager PyTorch takes ~20x longer on a batch of one. TORCH_EAGER=1
# serves the eager module instead.
#
#   ARCH=resnet34 SIZE=224 REQUESTS=100 CONCURRENCY=4 bash bench/serve/run.sh
#
# SIMD (bench/simd.sh): avx512 (default) or avx2, or both ("avx512 avx2"):
# both servers run at each level in turn, one results line per level with
# the processor and the level each side reported.
#
# BASELINE=path to another fastgo binary (e.g. an older commit's
# CGO_ENABLED=0 build; split into words, so it may set an environment)
# serves the same model in the same run, paired with this build in the
# order baseline, fastgo, fastgo, baseline (ROUNDS=2 pairs; a slow spell
# of a shared machine hits both), and prints each build's mean req/s, p50
# and p99 and this build's ratios to the baseline; the results file keeps
# this build's first run.
#
# PRESIZE defaults to SIZE·1.25; IMAGES to the pets sample, else the
# bundled testdata/images. FASTGO_BIN=path runs that server binary instead of
# building ./cmd/fastgo.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/goenv.sh
. bench/simd.sh
IMAGES=${IMAGES:-../shared/data/oxford-iiit-pet-sample/images}
[ -d "$IMAGES" ] || IMAGES=testdata/images
ARCH=${ARCH:-resnet18}
SIZE=${SIZE:-128}
PRESIZE=${PRESIZE:-$(( (SIZE * 5 + 2) / 4 ))}
REQUESTS=${REQUESTS:-200}
CONCURRENCY=${CONCURRENCY:-8}
WARMUP=${WARMUP:-$(( 2 * CONCURRENCY ))}
STEPS=${STEPS:-20}
OUT=build/bench-serve
RESULTS=bench/results/serve.tsv
PY=/usr/bin/python3

bash scripts/deps-torch.sh
mkdir -p "$OUT"
go build -o build/bench-serve-model ./bench/serve/model
go build -o build/bench-serve-load ./bench/serve/load
if [ -z "${FASTGO_BIN:-}" ]; then
  CGO_ENABLED=0 go build -o build/fastgo ./cmd/fastgo
  CGO_ENABLED=0 go build -ldflags='-s -w' -o build/fastgo-stripped ./cmd/fastgo
  FASTGO_BIN=build/fastgo
  mib() { $PY -c "import os,sys; print(f'{os.path.getsize(sys.argv[1])/2**20:.1f}')" "$1"; }
  bin_mib=$(mib build/fastgo); bin_stripped_mib=$(mib build/fastgo-stripped)
  echo "fastgo binary (CGO_ENABLED=0): ${bin_mib} MiB, ${bin_stripped_mib} MiB stripped (-ldflags='-s -w')"
else
  bin_mib=NA; bin_stripped_mib=NA
  echo "fastgo binary: $FASTGO_BIN (FASTGO_BIN)"
fi

echo "images: $IMAGES ($(ls "$IMAGES"/*.jpg | wc -l) JPEGs, cycled); $ARCH at $SIZE px from a $PRESIZE px presize"
if ! ./build/bench-serve-model -images "$IMAGES" -arch "$ARCH" -size "$SIZE" -presize "$PRESIZE" -steps "$STEPS" -out "$OUT" 2>"$OUT/model.log"; then
  cat "$OUT/model.log" >&2
  exit 1
fi

field() { $PY -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
cpu_ticks() { awk '/^cpu /{t=0; for (i=2; i<=NF; i++) t+=$i; print t, $9}' /proc/stat; }
steal_pct() { $PY -c "import sys; t0,s0,t1,s1=map(float,sys.argv[1:]); print(f'{100*(s1-s0)/max(t1-t0,1):.0f}')" $1 $2; }

pid=""
stop() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  pid=""
}
trap stop EXIT INT TERM

# serve NAME CMD...: starts a server, waits for its "on http://…" line, runs
# the check images and the load, prints the load's JSON line, stops it.
serve() {
  local name=$1 log="$OUT/$1.log" url=""
  shift
  "$@" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    url=$(grep -o 'on http://[^ ]*' "$log" | head -1 | cut -c4-) || true
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if [ -z "$url" ]; then
    echo "bench-serve: $name did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
  ./build/bench-serve-load -url "$url" -images "$IMAGES" -requests "$REQUESTS" -concurrency "$CONCURRENCY" \
    -warmup "$WARMUP" -pid "$pid" -check-out "$OUT/check-$name.json"
  stop
}

loadavg() { cut -d' ' -f1 /proc/loadavg; }
cpu=$(cpu_model)
echo "processor: $cpu"
for level in $SIMD; do
read -r -a genv <<<"$(simd_env "$level" go)"
read -r -a tenv <<<"$(simd_env "$level" torch)"
gsimd=$(env "${genv[@]}" ./build/bench-serve-load -simd)
tsimd=$(torch_simd "$level")
echo
echo "== SIMD level $level: fastgo $gsimd, PyTorch $tsimd"
load0=$(loadavg)
ticks0=$(cpu_ticks)
serve_args=(serve "$OUT/model.learner" -addr 127.0.0.1:0 -max-batch 16 -max-wait 5ms)
if [ -n "${BASELINE:-}" ]; then
  read -r -a base_cmd <<<"$BASELINE"
  base_runs=(); new_runs=()
  for _ in $(seq "${ROUNDS:-2}"); do
    base_runs+=("$(serve baseline env "${genv[@]}" "${base_cmd[@]}" "${serve_args[@]}")")
    new_runs+=("$(serve fastgo env "${genv[@]}" "$FASTGO_BIN" "${serve_args[@]}")")
    new_runs+=("$(serve fastgo env "${genv[@]}" "$FASTGO_BIN" "${serve_args[@]}")")
    base_runs+=("$(serve baseline env "${genv[@]}" "${base_cmd[@]}" "${serve_args[@]}")")
  done
  go_json=${new_runs[0]}
  echo "paired with the baseline ($BASELINE), ${ROUNDS:-2}×(baseline, fastgo, fastgo, baseline), $REQUESTS requests each:"
  $PY - "${base_runs[@]}" -- "${new_runs[@]}" <<'PYEOF'
import json, statistics, sys
args = sys.argv[1:]
cut = args.index("--")
runs = {"baseline": [json.loads(a) for a in args[:cut]], "fastgo": [json.loads(a) for a in args[cut + 1:]]}
mean = {k: {f: statistics.mean(r[f] for r in v) for f in ("req_per_s", "p50_ms", "p99_ms", "peak_mib")} for k, v in runs.items()}
for k, v in runs.items():
    rps = " ".join("%.2f" % r["req_per_s"] for r in v)
    p99 = " ".join("%.1f" % r["p99_ms"] for r in v)
    m = mean[k]
    print(f"  {k:8s} req/s {rps} (mean {m['req_per_s']:.2f}); p50 {m['p50_ms']:.1f} ms, p99 {p99} (mean {m['p99_ms']:.1f} ms); peak {m['peak_mib']:.0f} MiB")
b, n = mean["baseline"], mean["fastgo"]
print(f"  fastgo/baseline: req/s {n['req_per_s'] / b['req_per_s']:.3f}, p50 {n['p50_ms'] / b['p50_ms']:.3f}, "
      f"p99 {n['p99_ms'] / b['p99_ms']:.3f} (below 1: faster), peak memory {n['peak_mib'] / b['peak_mib']:.3f}")
PYEOF
else
  go_json=$(serve fastgo env "${genv[@]}" "$FASTGO_BIN" "${serve_args[@]}")
fi
torch_json=$(serve pytorch env "${tenv[@]}" $PY bench/serve/torch_serve.py "$OUT" ${TORCH_EAGER:+--eager})
steal=$(steal_pct "$ticks0" "$(cpu_ticks)")
load1=$(loadavg)

echo "same model? check images, one request each, as lossless PNGs of their pixels (the verdict: both servers see the same pixels)"
echo "and as the original JPEGs (their difference is the decoders': image/jpeg's IDCT in the CGO_ENABLED=0 build, libjpeg-turbo in Pillow):"
check=same
./build/bench-serve-load -compare "$OUT/check-fastgo.json,$OUT/check-pytorch.json" || check=DIFFERENT

echo
echo "$REQUESTS requests over $CONCURRENCY connections after $WARMUP warm-up requests; fastgo batches requests (-max-batch 16 -max-wait 5ms),"
torch_how=$(sed -n 's/.* classes, \(.*\)) on http.*/\1/p' "$OUT/pytorch.log")
echo "the PyTorch peer (http.server.ThreadingHTTPServer, torch $($PY -c 'import torch; print(torch.__version__)'), $torch_how) runs one forward"
echo "pass per request (no batching), one at a time on $(nproc) threads."
printf '%-8s %8s %9s %9s %7s %11s %10s\n' server req/s p50_ms p99_ms errors mean_batch peak_MiB
for row in "fastgo:$go_json" "PyTorch:$torch_json"; do
  j=${row#*:}
  printf '%-8s %8.2f %9.1f %9.1f %7d %11.2f %10.0f\n' "${row%%:*}" "$(field "$j" req_per_s)" "$(field "$j" p50_ms)" \
    "$(field "$j" p99_ms)" "$(field "$j" errors)" "$(field "$j" mean_batch)" "$(field "$j" peak_mib)"
done
ratio() { $PY -c "import sys; a,b=map(float,sys.argv[1:]); print(f'{a/b:.2f}' if b else 'NA')" "$1" "$2"; }
rps=$(ratio "$(field "$go_json" req_per_s)" "$(field "$torch_json" req_per_s)")
p50=$(ratio "$(field "$torch_json" p50_ms)" "$(field "$go_json" p50_ms)")
p99=$(ratio "$(field "$torch_json" p99_ms)" "$(field "$go_json" p99_ms)")
mem=$(ratio "$(field "$go_json" peak_mib)" "$(field "$torch_json" peak_mib)")
echo "ratios: req/s fastgo/PyTorch ${rps}; latency PyTorch/fastgo p50 ${p50}, p99 ${p99} (above 1: fastgo faster); peak memory fastgo/PyTorch ${mem}"
echo "machine: steal ${steal}%, load average ${load0} before, ${load1} after (other processes on these $(nproc) cores slow both sides unevenly: only quiet runs compare)"

host="$(nproc) cores, $(uname -m)"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -f "$RESULTS" ] || printf 'date\tcommit\thost\tarch\tsize\tpresize\trequests\tconcurrency\tfastgo_req_s\ttorch_req_s\treq_s_ratio\tfastgo_p50_ms\ttorch_p50_ms\tp50_ratio\tfastgo_p99_ms\ttorch_p99_ms\tp99_ratio\tfastgo_errors\ttorch_errors\tfastgo_mean_batch\tfastgo_peak_mib\ttorch_peak_mib\tbinary_mib\tbinary_stripped_mib\tsteal_pct\tloadavg\ttorch_mode\tcheck\tcpu\tfastgo_simd\ttorch_simd\n' > "$RESULTS"
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
  "$(date -u +%F)" "$commit" "$host" "$ARCH" "$SIZE" "$PRESIZE" "$REQUESTS" "$CONCURRENCY" \
  "$(field "$go_json" req_per_s)" "$(field "$torch_json" req_per_s)" "$rps" \
  "$(field "$go_json" p50_ms)" "$(field "$torch_json" p50_ms)" "$p50" \
  "$(field "$go_json" p99_ms)" "$(field "$torch_json" p99_ms)" "$p99" \
  "$(field "$go_json" errors)" "$(field "$torch_json" errors)" "$(field "$go_json" mean_batch)" \
  "$(field "$go_json" peak_mib)" "$(field "$torch_json" peak_mib)" "$bin_mib" "$bin_stripped_mib" "$steal" "$load0" "$torch_how" "$check" "$cpu" "$gsimd" "$tsimd" >> "$RESULTS"
echo "appended to $RESULTS"
[ "$check" = same ] || { echo "bench-serve: the two servers disagree on the check images (see above)" >&2; exit 1; }
done
