# fastgo — every build uses Go 1.27.3 (GOTOOLCHAIN: a machine's older go
# command fetches it from the module proxy on first use) and sets
# GOEXPERIMENT=simd (the pure-Go backend's SIMD matmul kernels are 3-4x
# faster with it). scripts/goenv.sh, which the scripts source, says the same.
export GOTOOLCHAIN := go1.27.3
export GOEXPERIMENT := simd
GO          ?= go
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
PKGS        := ./...
# The tools module's own program (the kernel's goimports) and the notebooks'
# browser driver (notebooks/ui, chromedp): modules of their own, so that
# their dependencies stay out of the library's go.mod.
TOOLS_PKGS  := ./goimports
UI_PKGS     := ./...

.PHONY: all install test lint unit race parity notebooks serve-check ui-check fresh-clone docker-check demo bench bench-data bench-aug bench-train bench-epoch bench-serve gpu-check gpu-bundle gpu-dry-run upstream-check bench-simd-check docker-lint fuzz clean

all: test

## install: the fastgo Jupyter kernel (GoNB + tools + Debian's Jupyter), ready to import fastgo.
install:
	$(GO) run ./kernel install

## test: what CI runs (.ci/run): lint, unit tests, the parity suite against
## PyTorch, the notebooks run headless, the fastgo command with its page in
## a browser, the notebooks in the live Jupyter UI, the notebooks again
## in a copy of the checkout without ../shared, and the Docker images (when a
## container engine can run here).
test: lint unit parity notebooks serve-check ui-check fresh-clone docker-check

# gofmt is the toolchain's own (GOTOOLCHAIN's, which parses generic
# methods), not an older one first on PATH.
lint:
	@unformatted=$$("$$($(GO) env GOROOT)/bin/gofmt" -l $$(git ls-files '*.go')) || exit 1; \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	@big=$$(git ls-files -z | xargs -0 du -k 2>/dev/null | awk '$$1 > 1024 {print $$2}'); \
	  if [ -n "$$big" ]; then echo "tracked files over 1 MiB (build outputs? add them to .gitignore):"; echo "$$big"; exit 1; fi
	$(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)
	cd tools && $(GO) vet $(TOOLS_PKGS) && $(STATICCHECK) $(TOOLS_PKGS)
	cd notebooks/ui && $(GO) vet $(UI_PKGS) && $(STATICCHECK) $(UI_PKGS)

unit:
	$(GO) test -count=1 -timeout 40m $(PKGS)
	bash bench/upstream/goxla-build.sh check
	cd tools && $(GO) test -count=1 $(TOOLS_PKGS)
	cd notebooks/ui && $(GO) test -count=1 $(UI_PKGS)
	$(MAKE) race

## race: the concurrency tests under the race detector: one learner used
## from many goroutines (TestConcurrent*, TestPredictorConcurrentUse) and the
## training loop's own (prefetch, grouped loss reads, reused batch memory).
## checkptr is off: compute's AVX-512 matmul kernels trip it ("pointer
## arithmetic result points to invalid allocation"; upstream, not fastgo).
race:
	$(GO) test -count=1 -race -gcflags=all=-d=checkptr=0 -run 'Concurrent' ./fastgo/learner ./fastgo/vision/cnn
	$(GO) test -count=1 -race -gcflags=all=-d=checkptr=0 -run 'Pipelin|Prefetch|SyncEvery|NaNNamed|StoppedFit|DeviceTransforms|Reused|Overlap|Stop|Errors|Source|Consumer' ./fastgo/learner/ ./fastgo/learner/prefetch ./fastgo/fastbook

## parity: fastgo against torchvision/PyTorch/Pillow (logits, loss, gradients,
## batch-norm statistics, Adam, one-cycle, Resize); prints the table.
parity:
	bash scripts/parity.sh

## notebooks: execute every notebook with the fastgo kernel and check it in headless Chromium.
notebooks:
	bash scripts/run-notebooks.sh

## ui-check: the chapter's notebooks in the live classic Jupyter UI, driven
## through headless Chromium (Run All, progress bars, Tab completion,
## display.Doc); screenshots in build/notebooks/ui_*.png.
ui-check:
	bash scripts/ui-check.sh

## serve-check: `fastgo predict` and `fastgo serve` end to end on a tiny model
## (the CGO_ENABLED=0 binary), the served page driven in headless Chromium
## (installed with apt-get when missing and root); screenshot in build/serve/.
serve-check:
	bash scripts/serve-check.sh

## fresh-clone: what a clone from GitHub (no ../shared) gets: the notebooks on
## the bundled images and the demo's offline fallback, in a temporary copy.
fresh-clone:
	bash scripts/fresh-clone-check.sh

## demo: the chapter as a plain Go program on the bundled sample (pure-Go backend when nothing else).
demo:
	$(GO) run ./cmd/petbreeds

## fuzz: a short run of every fuzz target.
fuzz:
	bash scripts/fuzz.sh

bench: bench-data bench-aug bench-train bench-epoch bench-serve

bench-data:
	bash bench/data/run.sh

bench-aug:
	$(GO) test -run '^$$' -bench BenchmarkAug -benchtime 3x ./fastgo/vision/augment

bench-train:
	bash bench/train/run.sh

bench-epoch:
	bash bench/epoch/run.sh

## bench-simd-check: checks with perf and oneDNN's log that SIMD=avx512/avx2
## really switches the kernels both sides of the benchmarks run.
bench-simd-check:
	bash bench/simd-check.sh

## bench-serve: `fastgo serve` against a minimal PyTorch HTTP server on the
## same model and images: requests/s, p50/p99 latency, peak memory.
bench-serve:
	bash bench/serve/run.sh

gpu-check:
	bash scripts/gpu-check.sh

## gpu-bundle: the binaries (-tags xla,libjpeg; one more against go-xla with
## bench/upstream's patches) and pets images the lent GPU machine needs, in
## build/gpu-bundle; prints the device call (scripts/gpu-device-run.sh).
gpu-bundle:
	bash scripts/gpu-bundle.sh

## gpu-dry-run: the device run on this machine, every part on the pure-Go
## backend at toy sizes (no GPU): the bundle, then scripts/gpu-device-run.sh
## with GPU_RUN_CPU=1; results in build/gpu-dry-run.
gpu-dry-run: gpu-bundle
	rm -rf build/gpu-dry-run && mkdir -p build/gpu-dry-run
	GPU_RUN_CPU=1 GPU_RUN_BUDGET=1200 OUT=$(CURDIR)/build/gpu-dry-run PY=/usr/bin/python3 bash scripts/gpu-device-run.sh build/gpu-bundle

## upstream-check: bench/upstream's go-xla patches apply and compile (cgo).
upstream-check:
	bash bench/upstream/goxla-build.sh check

## docker-lint: the Dockerfiles, .dockerignore and the README's Docker
## commands, without building anything.
docker-lint:
	$(GO) test -count=1 -run 'Docker' ./kernel/...

## docker-check: builds the notebook image's CPU variant and the serving
## image with Debian's docker.io and an mmdebstrap base (no registry), and
## runs the README's Docker commands against them; skips, saying why, where
## no container engine can run (its timings: scripts/docker-check.sh).
docker-check:
	bash scripts/docker-check.sh

clean:
	rm -rf build fastgo_output notebooks/.fastgo_cache
