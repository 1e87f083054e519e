#!/usr/bin/env bash
# The notebooks in the live Jupyter UI (make ui-check; make test runs it
# after make notebooks): Debian's classic Jupyter Notebook on 127.0.0.1
# (random port, a token, no browser of the user's) driven through headless
# Chromium by notebooks/ui (chromedp). Each notebook is opened, run with
# Cell > Run All and watched while it runs; see notebooks/ui/doc.go for what
# fails it.
#
#   scripts/ui-check.sh [notebooks/NAME.ipynb ...]   (default: 01_data, 05_pet_breeds)
#
# The kernel and data are set up as for make notebooks (scripts/notebook-env.sh)
# but under build/ui: the kernelspec (JUPYTER_DATA_DIR), Jupyter's config
# and runtime folders, the pets (FASTGO_DATA: the 9 bundled images with
# FASTGO_BS=4; the sample from ../shared with UI_SAMPLE=1), the learner
# cache, and copies of the notebooks with their outputs cleared (the
# checked-in ones are never changed). The user's Jupyter set-up is not read
# or changed. Screenshots go to build/notebooks/ui_*.png, the server's log
# to build/ui/server.log.
#
# Everything it starts (server, kernels, browser) is stopped when it ends,
# also on a failure or Ctrl-C. Variables: JUPYTER, CHROMIUM, FASTGO_KERNEL,
# NOTEBOOK_DATA (as for run-notebooks.sh), UI_TIMEOUT (the longest Run All,
# default 45m), FASTGO_UI_STRICT_TOOLTIP=1 (the Shift+Tab tooltip must show
# the documentation, which GoNB v0.11.5 does not send in a form the classic
# notebook shows).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
. scripts/goenv.sh
. scripts/notebook-env.sh

work=build/ui
# The live UI's behaviour (bars, tables, completion) does not depend on how
# many images there are, and make notebooks has already run the notebooks
# on the sample: the bundled images keep make test's time down (05 in the
# UI: ~4.5 min instead of ~16). UI_SAMPLE=1 uses the sample.
if [ "${UI_SAMPLE:-}" != 1 ]; then
	export NOTEBOOK_BUNDLED=1
fi
notebook_env "$work" ui-check
notebook_chromium "$work" ui-check

if [ $# -gt 0 ]; then
	notebooks=("$@")
else
	notebooks=(notebooks/01_data.ipynb notebooks/05_pet_breeds.ipynb)
fi

echo "==> go build notebooks/ui (a module of its own: chromedp stays out of the library's go.mod)"
bin="$root/$work/uicheck"
(cd notebooks/ui && go build -o "$bin" .)

# The driver stops what it started itself (defers, and SIGINT/SIGTERM);
# this trap passes a signal on to it, and its -cleanup kills what a driver
# that died hard left behind (a server and its kernels: the browser dies
# with the driver).
pid=
stop() {
	trap - INT TERM
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	"$bin" -cleanup -work "$root/$work" || true
	exit 130
}
trap stop INT TERM
trap '"$bin" -cleanup -work "$root/$work" >/dev/null 2>&1 || true' EXIT

"$bin" -work "$root/$work" -shots "$root/build/notebooks" -jupyter "$jupyter" -chromium "$chromium" \
	-timeout "${UI_TIMEOUT:-45m}" "${notebooks[@]}" &
pid=$!
status=0
wait "$pid" || status=$?
pid=
exit $status
