# fastgo serve in a small image: the CGO_ENABLED=0 static binary on an
# empty (scratch) base, running as a non-root uid, answering on port 8080.
# The unit to run behind a load balancer or on Kubernetes when one process
# is not enough: requests are independent, so replicas scale out.
#
#   docker build -f docker/serve.Dockerfile -t fastgo-serve .
#   docker run -d --name fastgo-serve -p 127.0.0.1:8080:8080 -v "$PWD/pets.learner:/model/pets.learner:ro" fastgo-serve
#
# The model (a file learner.Export wrote, e.g. the chapter notebook's last
# cell) is mounted at /model/pets.learner, or baked into an image of your
# own (README "Docker"):
#   FROM fastgo-serve
#   COPY pets.learner /model/pets.learner
# Another path: pass the command, e.g. `serve -addr :8080 /model/other.learner`.
#
# The build stage needs a Debian or Ubuntu base, its archive and the Go
# module proxy (Go itself and fastgo's modules); the image runs offline.
ARG BASE=docker.io/library/debian:bookworm
FROM ${BASE} AS build

ARG GO_VERSION=1.27.3
# docker/install-go.sh: the Go module proxy's golang.org/toolchain zip.
ARG GO_SHA256=af4c06478303fdd1bfb335fab86c7ccb9b12e529044a946a16a1c4bcc779f8d7
ARG GOPROXY=https://proxy.golang.org,direct

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl unzip \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
COPY docker/install-go.sh /tmp/install-go.sh
RUN sh /tmp/install-go.sh && rm /tmp/install-go.sh
ENV PATH=/usr/local/go/bin:$PATH \
    GOEXPERIMENT=simd \
    GOTOOLCHAIN=local

WORKDIR /src
# The modules first: a layer that a change of fastgo's code keeps.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static (no cgo: nothing to load at run time), without paths of this
# machine or debug information. /out/tmp becomes the image's /tmp.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/fastgo ./cmd/fastgo \
 && mkdir -p /out/tmp /out/model \
 && chmod 1777 /out/tmp

FROM scratch
COPY --from=build /out/fastgo /fastgo
COPY --from=build /out/tmp /tmp
COPY --from=build /out/model /model
# nobody's uid and gid (65534), as distroless's nonroot does with its own.
USER 65534:65534
EXPOSE 8080
# Every interface: the container's network namespace is its own; publish
# the port on the host's loopback (-p 127.0.0.1:8080:8080) or behind the
# load balancer.
ENTRYPOINT ["/fastgo"]
CMD ["serve", "-addr", ":8080", "/model/pets.learner"]
# The binary asks itself: a scratch image has no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=2m --retries=3 \
  CMD ["/fastgo", "healthcheck", "-addr", ":8080"]
