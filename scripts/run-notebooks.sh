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
# images/ to use instead of the sample or the bundled images),
# NOTEBOOK_NO_BROWSER=1 (no screenshots: make docker-check in the image).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
. scripts/goenv.sh

. scripts/notebook-env.sh

kernel=${FASTGO_KERNEL:-fastgo}
timeout=${NOTEBOOK_TIMEOUT:-1800}
out=build/notebooks
# The cache, kernelspec and data folders under build/notebooks, the kernel
# installed, Jupyter checked; sets $images and $jupyter.
notebook_env "$out" run-notebooks

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

# The browser check: Debian's Chromium, headless, one screenshot per page
# (not where no browser can be installed, as in the Docker image:
# NOTEBOOK_NO_BROWSER=1; the outputs' texts and images are still checked).
check_flags=()
if [ "${NOTEBOOK_NO_BROWSER:-}" = 1 ]; then
	echo "==> no browser (NOTEBOOK_NO_BROWSER=1): screenshots skipped"
	check_flags=(-no-screenshot)
else
	notebook_chromium "$out" run-notebooks
	for nb in "${executed[@]}"; do
		base=${nb%.ipynb}
		profile=$(mktemp -d)
		"$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
			--disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
			--hide-scrollbars --window-size=1100,"${SHOT_HEIGHT:-8000}" --virtual-time-budget=5000 \
			--screenshot="$root/$base.png" "file://$root/$base.html" >>"$base.log" 2>&1 || true
		rm -rf "$profile"
	done
fi

go run ./notebooks/check "${check_flags[@]}" -images "$images" "${executed[@]}" || failed=1
exit $failed
