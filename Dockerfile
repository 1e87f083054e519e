# fastgo: Jupyter with the "Go (fastgo)" kernel (GoNB, fastgo ready to
# import) as the default for new notebooks. Two variants from this one file:
#
#   CPU (GoMLX's pure-Go backend), from any Debian or Ubuntu base, with no
#   Docker Hub and no PyPI beyond that base:
#     docker build --build-arg BASE=docker.io/library/debian:bookworm --build-arg CUDA_PLUGIN=0 -t fastgo-cpu .
#   NVIDIA GPU (XLA through the PJRT CUDA plugin), the default:
#     docker build -t fastgo .
#
# README "Docker" has the run commands (make docker-check runs them).
#
# Volumes (README "Docker"): /home/fastgo/fastgo-data is FASTGO_HOME —
# datasets (data/), pretrained weights (models/) and the learners the
# notebooks save (learners/, FASTGO_CACHE_DIR, with the exported model in
# learners/export/); /home/fastgo/notebooks is the notebooks folder Jupyter
# opens (the chapter's notebooks are copied there; a user's edits live
# there). Everything else is the image's and vanishes with `docker rm`.
#
# The GPU variant: the PJRT CUDA plugin comes from PyPI, from the wheels JAX
# uses, for CUDA 13 — the combination fastgo's GPU check ran on (a lent
# H200, 2026-11-30: CUDA 13.0, driver 580.159.04, jax-cuda13-pjrt 0.11.2;
# README "On one NVIDIA H200"): jax-cuda13-pjrt (the plugin,
# site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so) and
# jax-cuda13-plugin[with_cuda] (CUDA's libraries as nvidia-* wheels,
# site-packages/nvidia, with ptxas and libdevice in nvidia/cu13). The host
# needs only an NVIDIA driver that supports CUDA 13 (580 or newer) and the
# NVIDIA Container Toolkit. fastgo finds the plugin by itself and points
# XLA_FLAGS=--xla_gpu_cuda_data_dir at the folder with ptxas
# (backend.Choose; `go run ./kernel doctor` shows the choice).
#
# The build needs the base image, its distribution's archive (apt) and the
# Go module proxy (Go itself and fastgo's modules), plus PyPI for the GPU
# variant; the container needs no network. Behind an HTTPS proxy with its
# own CA, the base image must trust that CA (make docker-check builds such a
# base).
ARG BASE=docker.io/nvidia/cuda:13.0.0-runtime-ubuntu24.04
FROM ${BASE}

# 1: the PJRT CUDA plugin from PyPI (the GPU variant); 0: none (the CPU
# variant: the pure-Go backend; -tags xla still builds, for a plugin added
# later).
ARG CUDA_PLUGIN=1
# The JAX release whose PJRT plugin is installed (the GPU check's);
# go-xla loads any plugin with a compatible PJRT C API version.
ARG JAX_VERSION=0.11.2
ARG GO_VERSION=1.27.3
# SHA-256 of the Go module proxy's golang.org/toolchain zip of that Go
# (docker/install-go.sh says where it comes from).
ARG GO_SHA256=af4c06478303fdd1bfb335fab86c7ccb9b12e529044a946a16a1c4bcc779f8d7
ARG GOPROXY=https://proxy.golang.org,direct

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV DEBIAN_FRONTEND=noninteractive

# Build tools (cgo links go-xla for -tags xla cells), tini (PID 1: reaps
# the processes a stopped kernel leaves), curl and unzip (Go's download;
# curl also for the health check), Python's venv only for the plugin.
# Jupyter itself comes from `make install` below (the distribution's).
# (POSIX sh: podman's default OCI format ignores SHELL.)
RUN venv=; if [ "$CUDA_PLUGIN" = 1 ]; then venv=python3-venv; fi \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl unzip make gcc libc6-dev tini $venv \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

COPY docker/install-go.sh /tmp/install-go.sh
RUN sh /tmp/install-go.sh && rm /tmp/install-go.sh
ENV PATH=/usr/local/go/bin:$PATH \
    GOEXPERIMENT=simd \
    GOTOOLCHAIN=local

# The PJRT CUDA plugin and CUDA's libraries, in a virtual environment that
# fastgo searches (/opt/venv/lib/python3*/site-packages).
RUN if [ "$CUDA_PLUGIN" = 1 ]; then \
      python3 -m venv /opt/venv \
      && /opt/venv/bin/pip install --no-cache-dir \
           "jax-cuda13-pjrt==${JAX_VERSION}" "jax-cuda13-plugin[with_cuda]==${JAX_VERSION}"; \
    fi

# The user at uid 1000, the first user of most hosts, so that a bind-mounted
# folder of theirs is writable; Ubuntu's images already have a user there
# (ubuntu), which gives way.
RUN if old=$(getent passwd 1000 | cut -d: -f1) && [ -n "$old" ]; then userdel --remove "$old"; fi \
 && useradd --uid 1000 --user-group --create-home --shell /bin/bash fastgo
ENV HOME=/home/fastgo \
    FASTGO_HOME=/home/fastgo/fastgo-data \
    FASTGO_CACHE_DIR=/home/fastgo/fastgo-data/learners
WORKDIR /home/fastgo/fastgo

# The kernel's tools and Jupyter, from the kernel installer alone (so that a
# change of fastgo's code rebuilds neither): GoNB, goimports and gopls at
# their pinned versions, built with a build cache and a module cache of
# their own that are thrown away (gopls alone brings ~300 MB of both), and
# the distribution's Jupyter (apt, as root).
COPY --chown=fastgo:fastgo go.mod go.sum Makefile ./
COPY --chown=fastgo:fastgo kernel/ kernel/
COPY --chown=fastgo:fastgo tools/ tools/
RUN GOCACHE=/tmp/tools-cache GOMODCACHE=/tmp/tools-mod go run ./kernel install -skip-warm -xla=off \
 && rm -rf /tmp/tools-cache /tmp/tools-mod \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* \
 && chown -R fastgo:fastgo /home/fastgo

# The rest as the user (no chown: it would copy every file into a new layer).
# Every module a cell needs, -tags xla included (go mod download: the whole
# go.mod), without the download zips (builds read the extracted files).
USER fastgo
RUN go mod download \
 && find "$(go env GOMODCACHE)/cache/download" -name '*.zip' -delete
COPY --chown=fastgo:fastgo . .

# The same target as on any machine: it finds the tools and Jupyter, writes
# the kernelspec in the user's Jupyter folder and warms the build cache (a
# cell only links). ../testdata from the notebooks folder is the
# repository's, as from notebooks/ in a clone (05's fastai cell reads it).
RUN make install \
 && find "$(go env GOMODCACHE)/cache/download" -name '*.zip' -delete \
 && rm -rf /tmp/* \
 && mkdir -p "$FASTGO_HOME/data" "$FASTGO_HOME/models" "$FASTGO_CACHE_DIR" /home/fastgo/notebooks \
 && cp notebooks/*.ipynb /home/fastgo/notebooks/ \
 && ln -s fastgo/testdata /home/fastgo/testdata

COPY docker/jupyter_notebook_config.json /etc/jupyter/jupyter_notebook_config.json
COPY docker/entrypoint.sh /usr/local/bin/fastgo-entrypoint

WORKDIR /home/fastgo/notebooks
EXPOSE 8888
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8888/api || exit 1
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/fastgo-entrypoint"]
CMD ["/usr/bin/jupyter", "notebook", "--ip=0.0.0.0", "--port=8888", "--no-browser"]
