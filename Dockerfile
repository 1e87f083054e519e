# fastgo: Jupyter with the "Go (fastgo)" kernel (GoNB, fastgo ready to
# import), running on an NVIDIA GPU through XLA's PJRT CUDA plugin, or on the
# CPU with GoMLX's pure-Go backend when no GPU is visible.
#
#   docker build -t fastgo .
#   docker run --gpus all -p 8888:8888 -v fastgo-data:/home/fastgo/fastgo-data fastgo
#
# then open the URL with the token that `docker logs` prints. The notebooks
# start with external.UntarData(external.URLs.Pets), which downloads Oxford-IIIT
# Pet (774 MB) once into $FASTGO_HOME = /home/fastgo/fastgo-data: the named
# volume fastgo-data keeps it (and pretrained weights, in models/) from one
# container to the next. A copy you already have is used instead of a
# download when mounted at data/oxford-iiit-pet in that folder:
#   -v /path/to/oxford-iiit-pet:/home/fastgo/fastgo-data/data/oxford-iiit-pet:ro
#
# The PJRT CUDA plugin comes from PyPI, from the same wheels JAX uses, for
# CUDA 13 — the combination fastgo's GPU check ran on (a lent H200,
# 2026-11-30: CUDA 13.0, driver 580.159.04, jax-cuda13-pjrt 0.11.2; README
# "On one NVIDIA H200"):
# jax-cuda13-pjrt (the plugin, site-packages/jax_plugins/xla_cuda13/
# xla_cuda_plugin.so) and jax-cuda13-plugin[with_cuda] (CUDA's libraries as
# nvidia-* wheels, site-packages/nvidia, with ptxas and libdevice in
# nvidia/cu13). The wheels bring CUDA itself; the host needs only an NVIDIA
# driver that supports CUDA 13 (580 or newer) and the NVIDIA Container
# Toolkit. fastgo finds the plugin by itself and points
# XLA_FLAGS=--xla_gpu_cuda_data_dir at the folder with ptxas (the wheels',
# else $CUDA_HOME or /usr/local/cuda, as on that H200's image)
# (backend.Choose; `go run ./kernel doctor` shows the choice). The
# image build needs internet (Go's download site, the Go module proxy,
# Ubuntu's archive, PyPI); the container does not.
FROM nvidia/cuda:13.0.0-runtime-ubuntu24.04

ARG GO_VERSION=1.27.3
# The JAX release whose PJRT plugin is installed (the device machine's);
# go-xla loads any plugin with a compatible PJRT C API version.
ARG JAX_VERSION=0.11.2

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV DEBIAN_FRONTEND=noninteractive

# Build tools (cgo links go-xla), and Python only for the plugin's wheels.
# Jupyter itself comes from `make install` below (Ubuntu's packages).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl git make gcc libc6-dev python3-venv \
 && rm -rf /var/lib/apt/lists/*

# Go from go.dev, checked against its published SHA-256.
RUN curl -fsSLO "https://dl.google.com/go/go${GO_VERSION}.linux-amd64.tar.gz" \
 && echo "$(curl -fsSL "https://dl.google.com/go/go${GO_VERSION}.linux-amd64.tar.gz.sha256")  go${GO_VERSION}.linux-amd64.tar.gz" | sha256sum -c - \
 && tar -C /usr/local -xzf "go${GO_VERSION}.linux-amd64.tar.gz" \
 && rm "go${GO_VERSION}.linux-amd64.tar.gz"
ENV PATH=/usr/local/go/bin:$PATH \
    GOEXPERIMENT=simd \
    GOTOOLCHAIN=local

# The PJRT CUDA plugin and CUDA's libraries, in a virtual environment that
# fastgo searches (/opt/venv/lib/python3*/site-packages).
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir \
      "jax-cuda13-pjrt==${JAX_VERSION}" "jax-cuda13-plugin[with_cuda]==${JAX_VERSION}"

RUN useradd --create-home --shell /bin/bash fastgo
# FASTGO_HOME holds downloaded datasets and weights: a folder of its own, so
# a volume mounted there does not hide the kernel's tools in ~/.fastgo/bin.
ENV HOME=/home/fastgo \
    FASTGO_HOME=/home/fastgo/fastgo-data
WORKDIR /home/fastgo/fastgo
COPY --chown=fastgo:fastgo . .

# The same target as on any machine: GoNB, goimports and gopls at their
# pinned versions, Jupyter (apt, as root here), the kernelspec in the user's
# Jupyter folder, a warm Go build cache. HOME is the user's, so everything
# lands in /home/fastgo; ownership is handed over in the same layer.
RUN make install \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p "$FASTGO_HOME/data" \
 && chown -R fastgo:fastgo /home/fastgo

USER fastgo
WORKDIR /home/fastgo/fastgo/notebooks
EXPOSE 8888
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD curl -fsS http://127.0.0.1:8888/api || exit 1
CMD ["/usr/bin/jupyter", "notebook", "--ip=0.0.0.0", "--port=8888", "--no-browser"]
