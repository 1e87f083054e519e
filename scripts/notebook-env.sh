# The set-up every notebook check shares (scripts/run-notebooks.sh,
# scripts/ui-check.sh): sourced, then `notebook_env OUT NAME` with OUT a
# folder under the checkout (build/notebooks, build/ui) and NAME the caller
# for its messages. The caller has cd'd to the checkout and sourced goenv.sh.
#
# It exports
#   FASTGO_CACHE_DIR  OUT/cache, emptied: learners persisted by the notebooks
#                     (persist.As) start fresh on each run;
#   JUPYTER_DATA_DIR  OUT/jupyter: the test kernel's kernelspec lives there,
#                     so the user's "Go (fastgo)" kernel (make install) is
#                     left as it is;
#   FASTGO_DATA       OUT/data, emptied, with the pets as oxford-iiit-pet
#                     (what the notebooks' `UntarData(URLs.Pets)` finds): the
#                     739-image sample from ../shared/data when it is beside
#                     the checkout (CI), else the 9 bundled images of
#                     testdata/images (a clone from GitHub) with FASTGO_BS=4
#                     so that 8 training images make whole batches (also
#                     when NOTEBOOK_BUNDLED=1), or
#                     NOTEBOOK_DATA (a pets folder with images/) when set;
# sets `images` (how many images) and `jupyter` (JUPYTER, default
# /usr/bin/jupyter: the python3 first on PATH may be one without Jupyter),
# says which data it uses, runs `go run ./kernel install` (seconds when
# everything is there; FASTGO_SKIP_INSTALL=1 skips it; log in OUT/install.log)
# and fails when Jupyter or the kernel FASTGO_KERNEL (default fastgo) is
# missing.
# Sourced by scripts that already source it; again here so that this file
# is right on its own (kernel's TestGoEnvEverywhere checks every script).
. scripts/goenv.sh

notebook_env() {
	local out=$1 name=$2 root pets sample what specs
	root=$(pwd)
	mkdir -p "$out"
	export FASTGO_CACHE_DIR="$root/$out/cache"
	rm -rf "$FASTGO_CACHE_DIR"
	export JUPYTER_DATA_DIR="$root/$out/jupyter"
	export FASTGO_DATA="$root/$out/data"
	rm -rf "$FASTGO_DATA"
	mkdir -p "$FASTGO_DATA"
	pets="$FASTGO_DATA/oxford-iiit-pet"
	sample="$(cd "$root/.." && pwd)/shared/data/oxford-iiit-pet-sample"
	if [ -n "${NOTEBOOK_DATA:-}" ]; then
		ln -s "$(cd "$NOTEBOOK_DATA" && pwd)" "$pets"
		what="NOTEBOOK_DATA=$NOTEBOOK_DATA"
	elif [ -d "$sample/images" ] && [ "${NOTEBOOK_BUNDLED:-}" != 1 ]; then
		ln -s "$sample" "$pets"
		what="the Oxford-IIIT Pet sample beside the checkout ($sample)"
	else
		mkdir -p "$pets"
		cp -R testdata/images "$pets/images"
		export FASTGO_BS=${FASTGO_BS:-4}
		what="the bundled testdata/images (NOTEBOOK_BUNDLED=1, or no ../shared/data beside the checkout), batch size $FASTGO_BS"
	fi
	images=$(find "$pets/images/" -mindepth 1 -maxdepth 1 | wc -l)
	echo "==> notebook data: $images images, $what, as $pets (FASTGO_DATA)"

	if [ "${FASTGO_SKIP_INSTALL:-}" != 1 ]; then
		echo "==> go run ./kernel install"
		go run ./kernel install >"$out/install.log" 2>&1 ||
			{ echo "$name: go run ./kernel install failed:" >&2; tail -n 20 "$out/install.log" >&2; return 1; }
	fi
	jupyter=${JUPYTER:-/usr/bin/jupyter}
	if [ ! -x "$jupyter" ]; then
		echo "$name: $jupyter is missing: run 'make install' (installs Debian's Jupyter and the fastgo kernel)" >&2
		return 1
	fi
	# (not `jupyter ... | grep -q`: with pipefail, grep's early exit can fail the pipe)
	specs=$("$jupyter" kernelspec list 2>/dev/null || true)
	if ! grep -q "^ *${FASTGO_KERNEL:-fastgo} " <<<"$specs"; then
		echo "$name: the Jupyter kernel '${FASTGO_KERNEL:-fastgo}' is not installed: run 'make install'" >&2
		return 1
	fi
}

# notebook_chromium OUT NAME sets `chromium` to CHROMIUM or Debian's chromium,
# which it installs with apt-get (log in OUT/apt-chromium.log) when it is
# missing and we are root.
notebook_chromium() {
	local out=$1 name=$2
	chromium=${CHROMIUM:-$(command -v chromium || true)}
	[ -n "$chromium" ] && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "==> installing Debian's chromium (headless browser check)"
		(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core) >"$out/apt-chromium.log" 2>&1 ||
			{ echo "$name: apt-get install chromium failed, see $out/apt-chromium.log" >&2; return 1; }
		chromium=$(command -v chromium)
	else
		echo "$name: chromium is missing: apt-get install -y chromium (as root), or set CHROMIUM" >&2
		return 1
	fi
}
