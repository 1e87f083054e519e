#!/usr/bin/env bash
# Runs every notebook headless with the fastgo kernel and checks what a
# browser shows (make notebooks; CI runs it).
#
#   scripts/run-notebooks.sh [notebooks/NAME.ipynb ...]
#
# For each notebook: execute it with `jupyter nbconvert --execute` (Debian's
# /usr/bin/jupyter: the python3 first on PATH may be one without Jupyter),
# export it to HTML, screenshot that HTML in headless Chromium, then
# `go run ./notebooks/check` fails the run when a cell errored or panicked,
# an image is missing or blank, an expected text is absent, or the screenshot
# is blank. Everything lands in build/notebooks/ (NAME.ipynb, .html, .png,
# .log). It first runs `go run ./kernel install` (seconds when everything is
# there; set FASTGO_SKIP_INSTALL=1 to skip) so that a kernel importing *this*
# checkout exists — in a Jupyter data folder of its own
# (build/notebooks/jupyter, through JUPYTER_DATA_DIR), so the user's
# "Go (fastgo)" kernel (make install) is left as it is; it installs Chromium
# with apt-get when it is missing and we are root.
#
# The notebooks open with the book's `UntarData(URLs.Pets)`. The harness, not
# the notebook, decides what that finds: it points FASTGO_DATA at
# build/notebooks/data and puts the pets there as oxford-iiit-pet — the
# 739-image sample from ../shared/data when it is beside the checkout (CI),
# else the 9 bundled images of testdata/images (a clone from GitHub), with
# batches of 4 so that 8 training images make whole batches — and says which.
# The checks' expected texts adapt to the image count.
#
# Variables: JUPYTER (default /usr/bin/jupyter), NOTEBOOK_TIMEOUT (seconds per
# cell, default 1800), FASTGO_KERNEL (default fastgo), CHROMIUM, SHOT_HEIGHT
# (screenshot height in px, default 8000), NOTEBOOK_DATA (a pets folder with
# images/ to use instead of the sample or the bundled images).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
. scripts/goenv.sh

jupyter=${JUPYTER:-/usr/bin/jupyter}
kernel=${FASTGO_KERNEL:-fastgo}
timeout=${NOTEBOOK_TIMEOUT:-1800}
out=build/notebooks
mkdir -p "$out"
# Learners persisted by the notebooks (learner.Persist) start fresh on each
# run: an earlier run's weights would otherwise be restored and trained on.
export FASTGO_CACHE_DIR="$root/$out/cache"
rm -rf "$FASTGO_CACHE_DIR"

# The test kernel's kernelspec lives here, not in the user's Jupyter folder.
export JUPYTER_DATA_DIR="$root/$out/jupyter"
export FASTGO_DATA="$root/$out/data"
rm -rf "$FASTGO_DATA"
mkdir -p "$FASTGO_DATA"
pets="$FASTGO_DATA/oxford-iiit-pet"
sample="$(cd "$root/.." && pwd)/shared/data/oxford-iiit-pet-sample"
if [ -n "${NOTEBOOK_DATA:-}" ]; then
	ln -s "$(cd "$NOTEBOOK_DATA" && pwd)" "$pets"
	what="NOTEBOOK_DATA=$NOTEBOOK_DATA"
elif [ -d "$sample/images" ]; then
	ln -s "$sample" "$pets"
	what="the Oxford-IIIT Pet sample beside the checkout ($sample)"
else
	mkdir -p "$pets"
	cp -R testdata/images "$pets/images"
	export FASTGO_BS=${FASTGO_BS:-4}
	what="the bundled testdata/images (no ../shared/data beside the checkout), batch size $FASTGO_BS"
fi
images=$(find "$pets/images/" -mindepth 1 -maxdepth 1 | wc -l)
echo "==> notebook data: $images images, $what, as $pets (FASTGO_DATA)"

if [ "${FASTGO_SKIP_INSTALL:-}" != 1 ]; then
	echo "==> go run ./kernel install"
	go run ./kernel install >"$out/install.log" 2>&1 ||
		{ echo "run-notebooks: go run ./kernel install failed:" >&2; tail -n 20 "$out/install.log" >&2; exit 1; }
fi
if [ ! -x "$jupyter" ]; then
	echo "run-notebooks: $jupyter is missing: run 'make install' (installs Debian's Jupyter and the fastgo kernel)" >&2
	exit 1
fi
# (not `jupyter ... | grep -q`: with pipefail, grep's early exit can fail the pipe)
specs=$("$jupyter" kernelspec list 2>/dev/null || true)
if ! grep -q "^ *$kernel " <<<"$specs"; then
	echo "run-notebooks: the Jupyter kernel '$kernel' is not installed: run 'make install'" >&2
	exit 1
fi

if [ $# -gt 0 ]; then
	notebooks=("$@")
else
	# The chapter's notebooks, then the kernel-habits test notebook.
	notebooks=(notebooks/*.ipynb notebooks/testdata/*.ipynb)
fi

secs() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(secs)" 'BEGIN { printf "%.1f", b - a }'; }

executed=()
failed=0
for nb in "${notebooks[@]}"; do
	name=$(basename "$nb" .ipynb)
	echo "==> $nb"
	# A test notebook's cells take seconds: a cell that hangs (a stdin
	# regression) fails in minutes, not after the chapter's half hour.
	nb_timeout=$timeout
	case $nb in notebooks/testdata/*) nb_timeout=${TEST_NOTEBOOK_TIMEOUT:-300} ;; esac
	t0=$(secs)
	# --allow-errors: always keep the executed notebook (and its HTML) for
	# reading; notebooks/check fails the run on any error output instead.
	# The kernel runs in the notebook's folder, so relative paths in cells
	# resolve as in an interactive session.
	if ! "$jupyter" nbconvert --to notebook --execute --allow-errors \
		--ExecutePreprocessor.kernel_name="$kernel" \
		--ExecutePreprocessor.timeout="$nb_timeout" \
		--output-dir "$root/$out" --output "$name.ipynb" "$nb" >"$out/$name.log" 2>&1; then
		echo "FAIL $nb: nbconvert failed after $(elapsed "$t0") s; last lines of $out/$name.log:" >&2
		tail -n 30 "$out/$name.log" >&2
		failed=1
		continue
	fi
	echo "    executed in $(elapsed "$t0") s"
	"$jupyter" nbconvert --to html --output-dir "$root/$out" "$out/$name.ipynb" >>"$out/$name.log" 2>&1
	executed+=("$out/$name.ipynb")
done

if [ ${#executed[@]} -eq 0 ]; then
	echo "run-notebooks: no notebook executed" >&2
	exit 1
fi

# The browser check: Debian's Chromium, headless, one screenshot per page.
chromium=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$chromium" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "==> installing Debian's chromium (headless browser check)"
		(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core) >"$out/apt-chromium.log" 2>&1 ||
			{ echo "run-notebooks: apt-get install chromium failed, see $out/apt-chromium.log" >&2; exit 1; }
		chromium=$(command -v chromium)
	else
		echo "run-notebooks: chromium is missing: apt-get install -y chromium (as root), or set CHROMIUM" >&2
		exit 1
	fi
fi
for nb in "${executed[@]}"; do
	base=${nb%.ipynb}
	profile=$(mktemp -d)
	"$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
		--hide-scrollbars --window-size=1100,"${SHOT_HEIGHT:-8000}" --virtual-time-budget=5000 \
		--screenshot="$root/$base.png" "file://$root/$base.html" >>"$base.log" 2>&1 || true
	rm -rf "$profile"
done

go run ./notebooks/check -images "$images" "${executed[@]}" || failed=1
exit $failed
