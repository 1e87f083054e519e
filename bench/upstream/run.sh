#!/usr/bin/env bash
# Measures the patches in this folder to github.com/gomlx/compute (the
# pure-Go backend): builds bench/train twice — against the released module,
# and against a copy of it with every compute-v<version>-*.patch applied
# (through a separate go.mod with a local replace, -modfile, so fastgo's own
# go.mod never carries a replace) — and runs them alternating, REPS times
# per configuration, printing the medians, the gain, each build's peak
# memory (the largest of its runs) and median CPU seconds per step (steadier
# than img/s on a shared machine). Nothing here ships: the patches are
# meant for upstream.
#
#   CONFIGS="resnet34@128 resnet18@64" REPS=3 bash bench/upstream/run.sh
#   PATCHES=bench/upstream/compute-v0.1.14-slice-contiguous-runs.patch bash bench/upstream/run.sh  # one alone
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/goenv.sh
CONFIGS=${CONFIGS:-"resnet18@64 resnet34@64 resnet18@128 resnet34@128"}
REPS=${REPS:-3}
BS=${BS:-16}
out=build/upstream
version=$(go list -m -f '{{.Version}}' github.com/gomlx/compute)
src=$(go list -m -f '{{.Dir}}' github.com/gomlx/compute)
rm -rf "$out"
mkdir -p "$out"
cp -R "$src" "$out/compute"
chmod -R u+w "$out/compute"
shopt -s nullglob
if [ -n "${PATCHES:-}" ]; then
	read -r -a patches <<<"$PATCHES"
else
	patches=(bench/upstream/compute-"$version"-*.patch)
fi
[ ${#patches[@]} -gt 0 ] || { echo "no patches for github.com/gomlx/compute $version in bench/upstream" >&2; exit 1; }
for p in "${patches[@]}"; do
	echo "applying $p"
	patch -s -p1 -d "$out/compute" < "$p"
done
cp go.mod "$out/go.mod"
cp go.sum "$out/go.sum"
go mod edit -modfile="$out/go.mod" -replace "github.com/gomlx/compute=$(pwd)/$out/compute"
go build -o "$out/bench-train-released" ./bench/train
go build -modfile="$out/go.mod" -o "$out/bench-train-patched" ./bench/train

median() { /usr/bin/python3 -c "import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))" "$@"; }
field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
largest() { /usr/bin/python3 -c "import sys; print(max(map(float, sys.argv[1:])))" "$@"; }
echo "processor: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); SIMD as the environment gives (GODEBUG=${GODEBUG:-})"
printf '%-14s %16s %16s %8s %14s %14s %12s %12s\n' config "released img/s" "patched img/s" gain "released MiB" "patched MiB" "rel. cpu-s" "pat. cpu-s"
for cfg in $CONFIGS; do
	arch=${cfg%@*}; size=${cfg#*@}
	steps=5
	[ "$size" -ge 224 ] && steps=2
	r=(); p=(); rc=(); pc=(); rm_=0; pm=0
	for _ in $(seq "$REPS"); do
		rj=$("$out/bench-train-released" -arch "$arch" -size "$size" -bs "$BS" -steps "$steps" 2>/dev/null)
		pj=$("$out/bench-train-patched" -arch "$arch" -size "$size" -bs "$BS" -steps "$steps" 2>/dev/null)
		r+=("$(field "$rj" img_per_s)"); p+=("$(field "$pj" img_per_s)")
		rc+=("$(field "$rj" step_cpu_s)"); pc+=("$(field "$pj" step_cpu_s)")
		rm_=$(largest "$rm_" "$(field "$rj" peak_rss_mib)"); pm=$(largest "$pm" "$(field "$pj" peak_rss_mib)")
	done
	mr=$(median "${r[@]}"); mp=$(median "${p[@]}")
	printf '%-14s %16.2f %16.2f %7.2fx %14.0f %14.0f %12.2f %12.2f\n' "$cfg" "$mr" "$mp" "$(/usr/bin/python3 -c "print($mp/$mr)")" "$rm_" "$pm" \
		"$(median "${rc[@]}")" "$(median "${pc[@]}")"
done
