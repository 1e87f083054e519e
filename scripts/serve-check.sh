#!/usr/bin/env bash
# make serve-check: the fastgo command's tests (cmd/fastgo) with the browser
# test required: a tiny model trained on testdata/images, the CGO_ENABLED=0
# binary's predict and serve end to end, and the served page driven in
# headless Chromium (screenshot in build/serve/page.png) by the notebooks'
# UI driver (notebooks/ui, its own module: chromedp stays out of the
# library's go.mod). Installs Debian's chromium when it is missing and we
# are root, as run-notebooks.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/goenv.sh
mkdir -p build/serve
chromium=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$chromium" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "==> installing Debian's chromium (headless browser check)"
		(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core) >build/serve/apt-chromium.log 2>&1 ||
			{ echo "serve-check: apt-get install chromium failed, see build/serve/apt-chromium.log" >&2; exit 1; }
		chromium=$(command -v chromium)
	else
		echo "serve-check: chromium is missing: apt-get install -y chromium (as root), or set CHROMIUM" >&2
		exit 1
	fi
fi
echo "==> go build notebooks/ui (the browser driver)"
driver="$(pwd)/build/serve/uidriver"
(cd notebooks/ui && go build -o "$driver" .)
CHROMIUM=$chromium FASTGO_UI_DRIVER=$driver FASTGO_REQUIRE_BROWSER=1 go test -count=1 -timeout 10m -v ./cmd/fastgo/...
