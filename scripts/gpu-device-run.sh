#!/usr/bin/env bash
# The GPU check on the lent device machine (issue 17), in one call:
#
#   bash scripts/gpu-device-run.sh build/gpu-bundle     # carry: ["build/gpu-bundle"]
#
# That machine has no Go and no network: it runs the binaries `make
# gpu-bundle` built here, on the pets images it carried, with the PJRT CUDA
# plugin of its own Python (jax-cuda13-pjrt: site-packages/jax_plugins/
# xla_cuda13/xla_cuda_plugin.so, CUDA's libraries in site-packages/nvidia).
# It writes everything under $OUT (a temporary folder when unset):
#   env.txt      what was found and set: plugin, XLA_FLAGS, LD_LIBRARY_PATH
#   *.log        each part's output; gpu.jsonl its results as JSON lines
#   summary.md   fastgo against PyTorch on the same GPU, with the ratios
#   gpu.tsv      the lines for bench/results/gpu.tsv
#
# Parts, each under its own time limit (the whole stays under 8 minutes):
# ResNet34 then ResNet50 training steps at 224 px, batch 64, float32 and
# bfloat16, the augmentation graph 460→224 and (ResNet34) FineTune(1) over
# the carried images end to end (cmd/gpucheck); the same in PyTorch
# (scripts/gpucheck_torch.py: channels_last, float32 and autocast bf16);
# the chapter at the GPU scale (cmd/petbreeds). Peak GPU memory: PyTorch's
# allocator's own figure; for fastgo the most nvidia-smi saw during its
# part (XLA's allocator may reserve more than it uses).
#
# Without an NVIDIA GPU it says so and exits 0; with a GPU but no plugin it
# says what it searched and exits 1. Variables for tests and odd machines:
# SITE_PACKAGES (colon-separated folders, instead of asking python3),
# GPU_PROC_DIR (/proc/driver/nvidia/gpus), GPU_RUN_DRY=1 (stop after the
# set-up), PY (python3).
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
	for f in summary.md gpu.tsv env.txt nvidia-smi.txt; do
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

# 3. The GPU.
if ! { [ -d "$GPU_PROC_DIR" ] || nvidia-smi -L >/dev/null 2>&1; }; then
	say "no NVIDIA GPU on this machine (no $GPU_PROC_DIR, no working nvidia-smi): nothing to measure."
	echo "No NVIDIA GPU on this machine: nothing measured." > "$OUT/summary.md"
	exit 0
fi
nvidia-smi 2>&1 | tee "$OUT/nvidia-smi.txt" || true
if [ -z "$plugin" ]; then
	say "a GPU but no PJRT CUDA plugin in ${sites[*]:-any python package folder}: install jax-cuda13-pjrt (or jax-cuda12-pjrt) for $PY, or set SITE_PACKAGES"
	exit 1
fi
[ -n "$data_dir" ] || say "warning: no bin/ptxas under ${nvidia:-site-packages/nvidia}: XLA may fail to compile kernels (pip install jax-cuda13-plugin[with_cuda])"
if [ "${GPU_RUN_DRY:-}" = 1 ]; then
	say "GPU_RUN_DRY=1: set-up done, nothing run"
	exit 0
fi

# 4. The binaries (xz-compressed by make gpu-bundle).
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

# peak_during runs a command while sampling the GPU's used memory; the most
# seen goes to $OUT/<name>.peak_mib.
peak_during() {
	local name=$1 limit=$2
	shift 2
	nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$OUT/$name.mem" 2>/dev/null &
	local sampler=$!
	local start=$SECONDS
	timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
	local rc=$?
	echo "gpu-run: $name took $((SECONDS - start)) s (limit $limit s)" | tee -a "$ENVTXT"
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null
	sort -n "$OUT/$name.mem" | tail -n 1 > "$OUT/$name.peak_mib"
	[ "$rc" = 124 ] && echo "gpu-run: $name stopped after $limit s" >> "$OUT/$name.log"
	echo "gpu-run: $name: exit $rc"
	# What the reply shows of each part: its results, or how it ended.
	if [ "$rc" = 0 ]; then
		grep -E '^(backend|fastgo |gpu-check|\{)' "$OUT/$name.log" | cut -c1-300 | head -n 20
		tail -n 4 "$OUT/$name.log" | cut -c1-300
	else
		grep -v '^goroutine\|^\s' "$OUT/$name.log" | cut -c1-300 | tail -n 25
	fi
	return 0
}

: > "$OUT/gpu.jsonl"
peak_during fastgo-resnet34 150 "${goenv[@]}" "$work/gpucheck" -arch resnet34 -data "$pets" -json "$OUT/fastgo-resnet34.jsonl"
peak_during torch-resnet34 60 "$PY" scripts/gpucheck_torch.py --arch resnet34 --data "$pets"
peak_during fastgo-resnet50 100 "${goenv[@]}" "$work/gpucheck" -arch resnet50 -skip-finetune -data "$pets" -json "$OUT/fastgo-resnet50.jsonl"
peak_during torch-resnet50 45 "$PY" scripts/gpucheck_torch.py --arch resnet50 --skip-finetune --data "$pets"
# The chapter runs with fastgo's own CUDA set-up (no XLA_FLAGS from here),
# as a user's program would.
peak_during petbreeds 90 env -u XLA_FLAGS "${goenv[@]}" "$work/petbreeds" -data "$pets"

# 5. The summary: fastgo against PyTorch, part by part.
"$PY" - "$OUT" <<'EOF'
import json, os, sys, datetime
out = sys.argv[1]
def lines(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return []
    res = []
    for line in open(path):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if isinstance(r, dict) and r.get("part") not in (None, "none"):
            res.append(r)
    return res
def peak(name):
    try:
        return float(open(os.path.join(out, name + ".peak_mib")).read().strip())
    except (OSError, ValueError):
        return None
gpu = open(os.path.join(out, "nvidia-smi.txt")).read() if os.path.exists(os.path.join(out, "nvidia-smi.txt")) else ""
rows, tsv = [], []
date = datetime.date.today().isoformat()
for arch in ("resnet34", "resnet50"):
    ours = lines(f"fastgo-{arch}.jsonl")
    theirs = {(r["part"], r.get("dtype")): r for r in lines(f"torch-{arch}.log")}
    for r in ours:
        t = theirs.get((r["part"], r.get("dtype")), {})
        for d in (r, t):
            for k in ("img_per_s", "seconds"):
                if d.get(k):
                    d[k] = round(d[k], 1)
        if r.get("img_per_s") and t.get("img_per_s"):
            val, tval, ratio = f'{r["img_per_s"]} img/s', f'{t["img_per_s"]} img/s', f'{r["img_per_s"] / t["img_per_s"]:.2f}x'
        elif r.get("seconds") and t.get("seconds"):
            val, tval, ratio = f'{r["seconds"]} s', f'{t["seconds"]} s', f'{t["seconds"] / r["seconds"]:.2f}x'
        else:
            val = f'{r.get("img_per_s") or r.get("seconds") or "—"}'
            tval, ratio = str(t.get("img_per_s") or t.get("seconds") or "—"), "—"
        fpeak = peak(f"fastgo-{arch}")
        rows.append(f'| {arch} | {r["part"]} | {r.get("dtype","")} | {val} | {tval} | {ratio} | {t.get("peak_mib","—")} | {"; ".join(n for n in (r.get("note",""), t.get("note","")) if n)} |')
        tsv.append("\t".join(map(str, [date, arch, r["part"], r.get("dtype", ""), r.get("img_per_s", ""), r.get("seconds", ""),
                                       t.get("img_per_s", ""), t.get("seconds", ""), ratio, fpeak or "", t.get("peak_mib", "")])))
with open(os.path.join(out, "summary.md"), "w") as f:
    f.write("# fastgo on the lent GPU\n\n```\n" + gpu[:1500] + "\n```\n\n")
    f.write("| arch | part | dtype | fastgo | PyTorch | fastgo/PyTorch | PyTorch peak MiB | note |\n|---|---|---|---|---|---|---|---|\n")
    f.write("\n".join(rows) + "\n\n")
    for name in ("fastgo-resnet34", "fastgo-resnet50", "petbreeds"):
        p = peak(name)
        f.write(f"- {name}: most GPU memory nvidia-smi saw: {p if p is not None else '—'} MiB\n")
with open(os.path.join(out, "gpu.tsv"), "w") as f:
    f.write("date\tarch\tpart\tdtype\tfastgo_img_s\tfastgo_s\ttorch_img_s\ttorch_s\tratio\tfastgo_peak_mib_smi\ttorch_peak_mib\n")
    f.write("\n".join(tsv) + "\n")
print(open(os.path.join(out, "summary.md")).read())
EOF
