#!/usr/bin/env bash
# Builds a fastgo program against github.com/gomlx/go-xla with every
# go-xla-v<version>-*.patch in this folder applied — through a separate
# go.mod with a local replace (-modfile), so fastgo's own go.mod never
# carries a replace and the repository holds no copy of go-xla — for the
# device run to measure what the patches add (scripts/gpu-bundle.sh builds
# cmd/gpucheck this way as gpucheck-patched). Programs built here get the
# goxla_patched build tag, for code that calls what only the patches
# offer (cmd/gpucheck/upload_patched.go).
#
#   bash bench/upstream/goxla-build.sh OUTPUT PACKAGE [go build flags]
#   bash bench/upstream/goxla-build.sh check   # compile-check only (make upstream-check)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/goenv.sh
out=build/upstream-goxla
version=$(go list -m -f '{{.Version}}' github.com/gomlx/go-xla)
src=$(go list -m -f '{{.Dir}}' github.com/gomlx/go-xla)
shopt -s nullglob
patches=(bench/upstream/go-xla-"$version"-*.patch)
[ ${#patches[@]} -gt 0 ] || { echo "no patches for github.com/gomlx/go-xla $version in bench/upstream" >&2; exit 1; }
if ! command -v gcc >/dev/null; then
	echo "goxla-build: gcc is missing: go-xla needs cgo (apt-get install -y gcc)" >&2
	[ "${1:-}" = check ] && { echo "goxla-build: check skipped" >&2; exit 0; }
	exit 1
fi
rm -rf "$out"
mkdir -p "$out"
cp -R "$src" "$out/go-xla"
chmod -R u+w "$out/go-xla"
for p in "${patches[@]}"; do
	patch -s -p1 -d "$out/go-xla" < "$p" || { echo "goxla-build: $p does not apply to go-xla $version" >&2; exit 1; }
done
cp go.mod "$out/go.mod"
cp go.sum "$out/go.sum"
go mod edit -modfile="$out/go.mod" -replace "github.com/gomlx/go-xla=$(pwd)/$out/go-xla"
if [ "${1:-}" = check ]; then
	# The patched packages (go vet finds upstream's own, older warnings
	# there: build only) and the fastgo program that uses them.
	CGO_ENABLED=1 go build -modfile="$out/go.mod" -tags xla github.com/gomlx/go-xla/pjrt github.com/gomlx/go-xla/compute/xla
	CGO_ENABLED=1 go build -modfile="$out/go.mod" -tags xla,goxla_patched -o /dev/null ./cmd/gpucheck
	CGO_ENABLED=1 go vet -modfile="$out/go.mod" -tags xla,goxla_patched ./cmd/gpucheck
	echo "goxla-build: ${patches[*]} apply to go-xla $version; its pjrt and compute/xla build, and cmd/gpucheck builds and vets with them"
	exit 0
fi
output=$1 pkg=$2
shift 2
tags=xla,goxla_patched
extra=()
for a in "$@"; do
	case $a in
	-tags=*) tags="$tags,${a#-tags=}" ;;
	*) extra+=("$a") ;;
	esac
done
CGO_ENABLED=1 go build -modfile="$out/go.mod" -tags "$tags" "${extra[@]}" -o "$output" "$pkg"
