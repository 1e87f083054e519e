#!/usr/bin/env bash
# Installs ONNX Runtime for the ONNX export tests: npm's onnxruntime-node
# (its CPU runtime library ships in the package) into build/onnxruntime,
# unless it is there already. --ignore-scripts: the package's install
# script only fetches optional CUDA libraries, from outside npm.
# Prints the node_modules folder.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$(pwd)/build/onnxruntime"
version=1.30.0
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "installing nodejs and npm with apt-get" >&2
	sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -f "$dir/node_modules/onnxruntime-node/package.json" ] ||
	! grep -q "\"version\": \"$version\"" "$dir/node_modules/onnxruntime-node/package.json"; then
	mkdir -p "$dir"
	echo "installing onnxruntime-node@$version in $dir" >&2
	npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error "onnxruntime-node@$version" >&2
fi
echo "$dir/node_modules"
