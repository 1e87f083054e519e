#!/usr/bin/env bash
# The GPU check on the lent device machine (issues 17, 27), in one call:
#
#   bash scripts/gpu-device-run.sh build/gpu-bundle     # carry: ["build/gpu-bundle"]
#
# That machine has no Go and no network: it runs the binaries `make
# gpu-bundle` built here, on the pets images it carried, with the PJRT CUDA
# plugin of its own Python (jax-cuda13-pjrt: site-packages/jax_plugins/
# xla_cuda13/xla_cuda_plugin.so, CUDA's libraries in site-packages/nvidia).
#
# Parts, in order of importance, each in its own process under its own time
# limit, all under one budget (GPU_RUN_BUDGET, 470 s: a part starts only
# with the time it needs left; what is skipped is said):
#   env        the card (nvidia-smi -q: PCIe, clocks), plugin, jax version
#   compile    ResNet34 f32 bs 64, first step in a new process: cold XLA
#              caches, then warm (a second process, fastgo's cache flags)
#   step64     steps at bs 64, f32 and bf16, overlap on and off
#   torch      PyTorch eager (channels_last, autocast for bf16) on the same
#              card: steps at bs 64/128/32, uploads, the 460-px path, FineTune
#   real460    the chapter's step (460-px uint8 batches, aug in the graph),
#              overlap off and on
#   upload     host→device GB/s of 9.6 MB and 40.6 MB batches
#   step       steps at bs 128 and 32 (the fit t = a + b·bs)
#   finetune   FineTune(1) over the carried images, end to end (warm caches)
#   patched-*  gpucheck built against go-xla + bench/upstream's patch:
#              steps with NoWait execution, the executable cache cold and
#              warm, uploads from DMA-mapped memory
#   compiled   torch.compile (PyTorch's best), when the clock allows
#   hlo        optimized HLO counts (cuDNN convolutions, fusions, copies),
#              when the clock allows
#
# Results are written as they come: $OUT/results.jsonl (every result line)
# and $OUT/progress.txt after each part, so a run stopped by the device's
# limit still returns what it measured; at the end summary.md (fastgo
# against PyTorch, the fits, the cache and patch gains; scripts/
# gpu_summary.py), gpu.tsv (for bench/results/gpu.tsv), env.txt,
# nvidia-smi.txt and gpu-results.tgz (every log).
#
# Without an NVIDIA GPU it says so and exits 0; with a GPU but no plugin it
# says what it searched and exits 1. Variables for tests and odd machines:
# SITE_PACKAGES (colon-separated folders, instead of asking python3),
# GPU_PROC_DIR (/proc/driver/nvidia/gpus), GPU_RUN_DRY=1 (stop after the
# set-up), GPU_RUN_CPU=1 (the dry run: every part on fastgo's pure-Go
# backend at toy sizes, no GPU needed), GPU_RUN_BUDGET (seconds),
# GPU_RUN_LIMIT_PCT (the parts' limits in % of their GPU figures),
# TORCH_SCRIPT (the PyTorch peer), PY (python3).
set -uo pipefail
cd "$(dirname "$0")/.."
BUNDLE=${1:-build/gpu-bundle}
PY=${PY:-python3}
GPU_PROC_DIR=${GPU_PROC_DIR:-/proc/driver/nvidia/gpus}
# The device tool brings back at most 8 files from $OUT: everything is
# written to a work folder and, on exit (a part's time limit included),
# $OUT gets summary.md, gpu.tsv, env.txt, nvidia-smi.txt and all of it as
# gpu-results.tgz.
FINAL=${OUT:-$(mktemp -d)}
mkdir -p "$FINAL"
OUT=$(mktemp -d)
finish() {
	# Only the script's own shell: a subshell that ran this trap on its
	# way out removed $OUT under the parts still running (seen once in CI).
	[ "$BASHPID" = "$$" ] || return 0
	for f in summary.md gpu.tsv env.txt nvidia-smi.txt results.jsonl progress.txt; do
		[ -f "$OUT/$f" ] && cp "$OUT/$f" "$FINAL/"
	done
	tar czf "$FINAL/gpu-results.tgz" -C "$OUT" . 2>/dev/null
	rm -rf "$OUT"
}
trap finish EXIT
ENVTXT=$OUT/env.txt
: > "$ENVTXT"
say() { echo "gpu-run: $*" | tee -a "$ENVTXT"; }

# 1. The Python package folders: given, or python3's own.
sites=()
if [ -n "${SITE_PACKAGES:-}" ]; then
	IFS=: read -r -a sites <<< "$SITE_PACKAGES"
elif command -v "$PY" >/dev/null; then
	mapfile -t sites < <("$PY" -c 'import site, sys
for p in site.getsitepackages() + [site.getusersitepackages()] + sys.path:
    print(p)' 2>/dev/null | awk 'NF && !seen[$0]++')
fi

# 2. The PJRT CUDA plugin (the newest CUDA first) and CUDA's folders beside it.
plugin=""
for sp in "${sites[@]}"; do
	for cand in $(ls -d "$sp"/jax_plugins/xla_cuda*/xla_cuda_plugin.so 2>/dev/null | sort -r); do
		plugin=$cand
		break 2
	done
done
nvidia=""
site=""
ptxas=""
data_dir=""
libdirs=()
if [ -n "$plugin" ]; then
	site=$(dirname "$(dirname "$(dirname "$plugin")")")
	[ -d "$site/nvidia" ] && nvidia=$site/nvidia
fi
if [ -n "$nvidia" ]; then
	# XLA needs the folder with bin/ptxas and nvvm/libdevice: nvidia/cu13
	# (CUDA 13 wheels) or nvidia/cuda_nvcc (CUDA 12).
	ptxas=$(find "$nvidia" -maxdepth 3 -path '*/bin/ptxas' -type f 2>/dev/null | sort -r | head -n 1)
	[ -n "$ptxas" ] && data_dir=$(dirname "$(dirname "$ptxas")")
	mapfile -t libdirs < <(find "$nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | sort)
fi
if [ -z "$ptxas" ] && [ -n "$plugin" ]; then
	# The image's own CUDA toolkit, when the wheels bring no ptxas.
	for cand in "${CUDA_HOME:-/usr/local/cuda}/bin/ptxas" "$(command -v ptxas 2>/dev/null)"; do
		if [ -n "$cand" ] && [ -x "$cand" ]; then
			ptxas=$cand
			data_dir=$(dirname "$(dirname "$ptxas")")
			break
		fi
	done
fi

say "python package folders: ${sites[*]:-(none: no $PY and no SITE_PACKAGES)}"
say "PJRT CUDA plugin: ${plugin:-(none found)}"
say "CUDA libraries: ${nvidia:-(none)}; ptxas: ${ptxas:-(none)}"
# fastgo finds the plugin itself among the Python package folders it knows;
# PYTHONPATH adds this one for the Go programs (backend.FindPlugins).
goenv=()
[ -n "$site" ] && goenv=(env "PYTHONPATH=$site")
if [ -n "$data_dir" ]; then
	# The value fastgo would choose too; set here so PyTorch-free tools agree.
	export XLA_FLAGS="${XLA_FLAGS:+$XLA_FLAGS }--xla_gpu_cuda_data_dir=$data_dir"
	say "XLA_FLAGS=$XLA_FLAGS"
fi
if [ "${#libdirs[@]}" -gt 0 ]; then
	joined=$(IFS=:; echo "${libdirs[*]}")
	export LD_LIBRARY_PATH="$joined${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	say "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
fi

# 3. The GPU (GPU_RUN_CPU=1: the dry run needs none).
CPU_RUN=${GPU_RUN_CPU:-}
if [ "$CPU_RUN" = 1 ]; then
	say "GPU_RUN_CPU=1: the dry run, every part on the pure-Go backend at toy sizes"
elif ! { [ -d "$GPU_PROC_DIR" ] || nvidia-smi -L >/dev/null 2>&1; }; then
	say "no NVIDIA GPU on this machine (no $GPU_PROC_DIR, no working nvidia-smi): nothing to measure."
	echo "No NVIDIA GPU on this machine: nothing measured." > "$OUT/summary.md"
	exit 0
fi
[ "$CPU_RUN" = 1 ] || nvidia-smi 2>&1 | tee "$OUT/nvidia-smi.txt" || true
if [ -z "$plugin" ] && [ "$CPU_RUN" != 1 ]; then
	say "a GPU but no PJRT CUDA plugin in ${sites[*]:-any python package folder}: install jax-cuda13-pjrt (or jax-cuda12-pjrt) for $PY, or set SITE_PACKAGES"
	exit 1
fi
[ -n "$data_dir" ] || say "warning: no bin/ptxas under ${nvidia:-site-packages/nvidia}: XLA may fail to compile kernels (pip install jax-cuda13-plugin[with_cuda])"
if [ "${GPU_RUN_DRY:-}" = 1 ]; then
	say "GPU_RUN_DRY=1: set-up done, nothing run"
	exit 0
fi

# 4. The binaries (xz-compressed by make gpu-bundle): gpucheck against the
# released go-xla, gpucheck-patched against go-xla + bench/upstream's patch.
if [ ! -d "$BUNDLE/bin" ]; then
	say "no $BUNDLE/bin: run make gpu-bundle here and carry $BUNDLE"
	exit 1
fi
work=$(mktemp -d)
for f in "$BUNDLE"/bin/*.xz; do
	name=$(basename "$f" .xz)
	if command -v xz >/dev/null; then
		xz -dc "$f" > "$work/$name"
	else
		"$PY" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$f" "$work/$name"
	fi
	chmod +x "$work/$name"
done
cat "$BUNDLE/MANIFEST" 2>/dev/null | tee -a "$ENVTXT"
pets=$BUNDLE/pets

# 5. The parts. Sizes: the chapter's, or toys for the CPU dry run.
BUDGET=${GPU_RUN_BUDGET:-470}
T0=$SECONDS
BS=64
sizes=(-arch resnet34 -size 224 -presize 460 -bs $BS -steps 10)
torch_sizes=(--arch resnet34 --size 224 --presize 460 --bs $BS --steps 10)
limit_pct=${GPU_RUN_LIMIT_PCT:-100} # the parts' limits, in % of the GPU figures below
TORCH_SCRIPT=${TORCH_SCRIPT:-scripts/gpucheck_torch.py}
if [ "$CPU_RUN" = 1 ]; then
	BS=4
	sizes=(-allow-cpu -arch resnet18 -size 32 -presize 40 -bs $BS -steps 2)
	torch_sizes=(--arch resnet18 --size 32 --presize 40 --bs $BS --steps 2)
	limit_pct=${GPU_RUN_LIMIT_PCT:-300} # the pure-Go backend is slower than the GPU
fi
xlacache=$work/xla-cache   # fastgo's XLA caches, shared by the parts after the cold compile
execcache=$work/exec-cache # the patched build's executable cache
: > "$OUT/results.jsonl"
: > "$OUT/progress.txt"

# part NAME LIMIT CMD...: runs CMD under min(LIMIT, budget left) seconds,
# output in NAME.log; JSON result lines (from NAME.jsonl when CMD wrote
# one, else from its output) are added to results.jsonl at once. A
# required part is skipped when less than half its LIMIT is left, an
# optional one (need_all=0) when less than its whole LIMIT is.
need_all=1
part() {
	local name=$1 limit=$(( ($2 * limit_pct + 99) / 100 ))
	shift 2
	local left=$(( BUDGET - (SECONDS - T0) ))
	local need=$limit
	[ "$need_all" = 1 ] && need=$(( (limit + 1) / 2 ))
	if [ "$left" -lt "$need" ]; then
		echo "$name skipped: $left s of the budget left, it needs $need" | tee -a "$OUT/progress.txt"
		return 0
	fi
	[ "$limit" -gt "$left" ] && limit=$left
	local start=$SECONDS sampler=""
	if command -v nvidia-smi >/dev/null && [ "$CPU_RUN" != 1 ]; then
		nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$OUT/$name.mem" 2>/dev/null &
		sampler=$!
	fi
	timeout -k 5 "$limit" "$@" > "$OUT/$name.log" 2>&1
	local rc=$?
	if [ -n "$sampler" ]; then
		kill "$sampler" 2>/dev/null
		wait "$sampler" 2>/dev/null
	fi
	local peak=""
	[ -s "$OUT/$name.mem" ] && peak=$(sort -n "$OUT/$name.mem" | tail -n 1)
	local src="$OUT/$name.log"
	[ -s "$OUT/$name.jsonl" ] && src="$OUT/$name.jsonl"
	grep -E '^\{' "$src" | "$PY" -c '
import json, sys
name, peak = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if not isinstance(r, dict) or r.get("part") in (None, "none"):
        continue
    r["run_part"] = name
    try:
        if "peak_mib" not in r:
            r["smi_peak_mib"] = float(peak)
    except ValueError:
        pass  # no figure from nvidia-smi
    print(json.dumps(r))' "$name" "$peak" >> "$OUT/results.jsonl"
	# go-xla's V(1) log: every XLA compile's time.
	grep -o 'Compiled in [0-9.]*[mµn]*s' "$OUT/$name.log" | sed "s/^/$name: /" >> "$OUT/compiles.txt" 2>/dev/null
	local how="exit $rc"
	[ "$rc" = 124 ] || [ "$rc" = 137 ] && how="stopped at its $limit s limit"
	echo "$name: $how after $((SECONDS - start)) s (budget left $((BUDGET - (SECONDS - T0))) s)" | tee -a "$OUT/progress.txt"
	if [ "$rc" != 0 ]; then
		grep -v '^goroutine\|^\s' "$OUT/$name.log" | cut -c1-300 | tail -n 8
	fi
	cp "$OUT/results.jsonl" "$OUT/progress.txt" "$FINAL/" 2>/dev/null
	return 0
}
# The Go programs find the plugin through PYTHONPATH (step 2).
genv=(env)
[ -n "$site" ] && genv=(env "PYTHONPATH=$site")
have() { [ -x "$work/$1" ]; }

part env 15 bash -c '
	nvidia-smi -q 2>/dev/null | grep -E "Product Name|Bus Id|PCIe Generation|Link Width|Max|Current|Driver Version|CUDA Version|Clocks|Graphics|Memory  " | head -n 40
	echo "nsys: $(command -v nsys || echo none)"
	timeout 8 '"$PY"' -c "import jax, jaxlib; print(\"jax\", jax.__version__, \"jaxlib\", jaxlib.__version__)" 2>&1 | tail -n 1
	find / -xdev -name "*pjrt*cpu*.so" 2>/dev/null | head -n 3'
cp "$OUT/env.log" "$OUT/env-card.txt" 2>/dev/null

# Cold then warm: a new process each, fastgo's own XLA cache flags in a
# fresh folder (XLA_FLAGS from step 2 names only the CUDA data dir).
part compile-cold 70 "${genv[@]}" FASTGO_XLA_CACHE="$xlacache" GPUCHECK_XLA_LOG=1 "$work/gpucheck" "${sizes[@]}" -parts compile -label cold -json "$OUT/compile-cold.jsonl"
part compile-warm 40 "${genv[@]}" FASTGO_XLA_CACHE="$xlacache" GPUCHECK_XLA_LOG=1 "$work/gpucheck" "${sizes[@]}" -parts compile -label warm -json "$OUT/compile-warm.jsonl"
part step64 70 "${genv[@]}" FASTGO_XLA_CACHE="$xlacache" "$work/gpucheck" "${sizes[@]}" -parts step -bs-list "$BS" -json "$OUT/step64.jsonl"
part torch 110 "$PY" "$TORCH_SCRIPT" "${torch_sizes[@]}" --data "$pets" --parts step,upload,real460,finetune --bs-list "$BS,$((BS * 2)),$((BS / 2))"
part real460 45 "${genv[@]}" FASTGO_XLA_CACHE="$xlacache" "$work/gpucheck" "${sizes[@]}" -parts real460 -json "$OUT/real460.jsonl"
part upload 20 "${genv[@]}" FASTGO_XLA_CACHE="$xlacache" "$work/gpucheck" "${sizes[@]}" -parts upload -json "$OUT/upload.jsonl"
part step 70 "${genv[@]}" FASTGO_XLA_CACHE="$xlacache" "$work/gpucheck" "${sizes[@]}" -parts step -bs-list "$((BS * 2)),$((BS / 2))" -json "$OUT/step.jsonl"
part finetune 50 "${genv[@]}" FASTGO_XLA_CACHE="$xlacache" "$work/gpucheck" "${sizes[@]}" -data "$pets" -parts finetune -label warm -json "$OUT/finetune.jsonl"
if have gpucheck-patched; then
	part patched-async 40 "${genv[@]}" FASTGO_XLA_CACHE="$xlacache" GOXLA_ASYNC_EXECUTE=1 "$work/gpucheck-patched" "${sizes[@]}" -parts step -bs-list "$BS" -json "$OUT/patched-async.jsonl"
	part patched-exec-cold 40 "${genv[@]}" FASTGO_XLA_CACHE="$xlacache" GOXLA_EXECUTABLE_CACHE="$execcache" GPUCHECK_XLA_LOG=1 "$work/gpucheck-patched" "${sizes[@]}" -parts compile -label exec-cache-cold -json "$OUT/patched-exec-cold.jsonl"
	part patched-exec-warm 25 "${genv[@]}" FASTGO_XLA_CACHE="$xlacache" GOXLA_EXECUTABLE_CACHE="$execcache" GPUCHECK_XLA_LOG=1 "$work/gpucheck-patched" "${sizes[@]}" -parts compile -label exec-cache-warm -json "$OUT/patched-exec-warm.jsonl"
	part patched-upload 20 "${genv[@]}" FASTGO_XLA_CACHE="$xlacache" "$work/gpucheck-patched" "${sizes[@]}" -parts upload -json "$OUT/patched-upload.jsonl"
else
	echo "patched parts skipped: no gpucheck-patched in $BUNDLE/bin" | tee -a "$OUT/progress.txt"
fi
# Optional: whatever time is left.
need_all=0
part compiled 150 "$PY" "$TORCH_SCRIPT" "${torch_sizes[@]}" --parts compiled
part hlo 45 "${genv[@]}" FASTGO_XLA_CACHE="$xlacache" XLA_FLAGS="${XLA_FLAGS:-} --xla_dump_to=$work/hlo --xla_dump_hlo_as_text" "$work/gpucheck" "${sizes[@]}" -parts compile -label hlo-dump -json "$OUT/hlo.jsonl"
if [ -d "$work/hlo" ]; then
	{
		echo "optimized HLO of the training step (files *after_optimizations.txt):"
		for pat in '__cudnn\$conv' 'custom_call_target="__cublas' ' fusion(' 'command_buffer' ' copy(' ' transpose(' 'input_output_alias'; do
			printf '%-28s %s\n' "$pat" "$(cat "$work"/hlo/*after_optimizations.txt 2>/dev/null | grep -c -- "$pat")"
		done
	} > "$OUT/hlo-counts.txt"
fi

# 6. The summary: fastgo against PyTorch, part by part.
"$PY" scripts/gpu_summary.py "$OUT" | tail -n 60
