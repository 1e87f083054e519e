#!/usr/bin/env bash
# make gpu-bundle: everything the lent GPU machine needs for
# scripts/gpu-device-run.sh, in one ignored folder (build/gpu-bundle) that
# the device tool carries: cmd/gpucheck built with -tags xla,libjpeg for
# linux/amd64 (libjpeg-turbo linked statically: decoding at the GPU's rate,
# and the machine installs nothing), the same against go-xla with
# bench/upstream's patches (gpucheck-patched: NoWait execution, the
# executable cache, DMA-mapped uploads; bench/upstream/goxla-build.sh),
# both stripped and xz-compressed (the machine has no Go), a subset of the
# pets sample (IMAGES_PER_BREED images of each breed, enough for FineTune(1)
# at 224 px with batches of 64) and a manifest. The working tree travels
# with every device call, so the scripts (gpu-device-run.sh,
# gpucheck_torch.py, gpu_summary.py) are not copied. Prints the device call
# to make. Everything must stay under the device tool's 64 MiB.
#
#   make gpu-bundle                     # ../shared's sample
#   PETS=/path/to/pets make gpu-bundle  # another pets folder (with images/)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/goenv.sh

OUTDIR=build/gpu-bundle
PETS=${PETS:-../shared/data/oxford-iiit-pet-sample}
IMAGES_PER_BREED=${IMAGES_PER_BREED:-6}
LIMIT_MIB=${LIMIT_MIB:-64}

if [ ! -d "$PETS/images" ]; then
	echo "gpu-bundle: no pets images in $PETS/images: set PETS to a folder with images/ (the Oxford-IIIT Pet layout)" >&2
	exit 1
fi
command -v gcc >/dev/null || { echo "gpu-bundle: gcc is missing: cgo links XLA (apt-get install -y gcc)" >&2; exit 1; }
command -v xz >/dev/null || { echo "gpu-bundle: xz is missing (apt-get install -y xz-utils)" >&2; exit 1; }
LIBJPEG_A=${LIBJPEG_A:-/usr/lib/x86_64-linux-gnu/libjpeg.a}
[ -f "$LIBJPEG_A" ] || { echo "gpu-bundle: $LIBJPEG_A is missing: the GPU build decodes with libjpeg-turbo, linked statically (apt-get install -y libjpeg62-turbo-dev)" >&2; exit 1; }

rm -rf "$OUTDIR"
mkdir -p "$OUTDIR/bin" "$OUTDIR/pets/images"
# libjpeg-turbo statically (the cgo directive asks for -ljpeg: --as-needed
# drops the shared one once the archive has resolved every symbol).
export CGO_LDFLAGS="-Wl,--as-needed $LIBJPEG_A"
export GOOS=linux GOARCH=amd64 CGO_ENABLED=1
go build -tags xla,libjpeg -trimpath -ldflags="-s -w" -o "$OUTDIR/bin/gpucheck" ./cmd/gpucheck
bash bench/upstream/goxla-build.sh "$OUTDIR/bin/gpucheck-patched" ./cmd/gpucheck -tags=libjpeg -trimpath -ldflags="-s -w"
for b in "$OUTDIR"/bin/*; do
	if readelf -d "$b" 2>/dev/null | grep -q 'NEEDED.*libjpeg'; then
		echo "gpu-bundle: $b still needs the shared libjpeg" >&2
		exit 1
	fi
	xz -6 -T0 "$b"
done

# The first IMAGES_PER_BREED images of every breed, in name order.
python3 - "$PETS/images" "$OUTDIR/pets/images" "$IMAGES_PER_BREED" <<'EOF'
import os, re, shutil, sys
src, dst, per = sys.argv[1], sys.argv[2], int(sys.argv[3])
kept = {}
for name in sorted(os.listdir(src)):
    m = re.match(r"(.+)_\d+\.jpg$", name)
    if m and kept.get(m.group(1), 0) < per:
        kept[m.group(1)] = kept.get(m.group(1), 0) + 1
        shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))
print(f"gpu-bundle: {sum(kept.values())} images of {len(kept)} breeds")
EOF
[ -f "$PETS/README.md" ] && cp "$PETS/README.md" "$OUTDIR/pets/"

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
	echo "commit $commit$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
	echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) with $(go version | cut -d' ' -f3)"
	echo "glibc needed: $(for f in "$OUTDIR"/bin/*.xz; do xz -dc "$f" | strings | grep -o 'GLIBC_[0-9.]*' ; done | sort -uV | tail -n 1)"
} > "$OUTDIR/MANIFEST"

tree_kib=$(git ls-files -z | xargs -0 du -ck 2>/dev/null | tail -n 1 | cut -f1)
bundle_kib=$(du -sk "$OUTDIR" | cut -f1)
total_mib=$(( (tree_kib + bundle_kib + 1023) / 1024 ))
cat "$OUTDIR/MANIFEST"
echo "gpu-bundle: $OUTDIR is $((bundle_kib / 1024)) MiB, the working tree $((tree_kib / 1024)) MiB: $total_mib MiB of the device tool's $LIMIT_MIB"
if [ "$total_mib" -gt "$LIMIT_MIB" ]; then
	echo "gpu-bundle: over the device tool's limit: lower IMAGES_PER_BREED" >&2
	exit 1
fi
cat <<EOF

The device call (one run, then give_back unless a rerun follows at once):
  run(command: "bash scripts/gpu-device-run.sh $OUTDIR", carry: ["$OUTDIR"], timeout_s: 540)
(the run keeps to GPU_RUN_BUDGET, 470 s, on its own). Its results come back under \$OUT: summary.md,
gpu.tsv (for bench/results/gpu.tsv), results.jsonl, progress.txt, env.txt, nvidia-smi.txt and
gpu-results.tgz (every log).
EOF
