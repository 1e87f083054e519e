#!/usr/bin/env bash
# make fuzz: a short run of every fuzz target (FUZZTIME each, default 60s;
# the fuzz workers take ~30s to start on a busy 2-core machine). Failing
# inputs land in the package's testdata/fuzz/ and then run in `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/goenv.sh
FUZZTIME=${FUZZTIME:-60s}
# Every FuzzXxx in the tree, as "package-dir target".
# (build/ holds copies of other modules; tools/ is a module of its own, so
# each target runs from its own folder.)
targets=$(grep -rl --include='*_test.go' --exclude-dir=build --exclude-dir=.git '^func Fuzz' . | while read -r f; do
  for t in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$f"); do echo "$(dirname "$f") $t"; done
done | sort)
while read -r dir target; do
  echo "== $target ($dir, $FUZZTIME)"
  (cd "$dir" && go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" .)
done <<< "$targets"
if [ -f /usr/include/jpeglib.h ]; then
  echo "== FuzzDecode with libjpeg-turbo"
  go test -tags libjpeg -run '^$' -fuzz '^FuzzDecode$' -fuzztime "$FUZZTIME" ./fastgo/vision
fi
