#!/bin/sh
# Installs Go $GO_VERSION in /usr/local/go for the image builds (Dockerfile,
# docker/serve.Dockerfile): the toolchain module golang.org/toolchain from
# the Go module proxy — the very zip the go command downloads when
# GOTOOLCHAIN asks for a newer Go — checked against $GO_SHA256. The build
# reaches that proxy for fastgo's modules anyway, so Go needs no other site
# (go.dev and dl.google.com may be unreachable where the proxy is not).
#
# Needs curl, unzip and sha256sum; GOPROXY's first entry is the proxy
# (default https://proxy.golang.org). GO_SHA256 is the SHA-256 of
# v0.0.1-go$GO_VERSION.linux-amd64.zip, as the go command verified it
# against the checksum database (sha256sum of that file in
# $(go env GOMODCACHE)/cache/download/golang.org/toolchain/@v/).
set -eu
: "${GO_VERSION:?}" "${GO_SHA256:?}"
proxy=${GOPROXY:-https://proxy.golang.org}
proxy=${proxy%%[,|]*}
case $proxy in
off | direct) proxy=https://proxy.golang.org ;;
esac
arch=$(dpkg --print-architecture)
if [ "$arch" != amd64 ]; then
	echo "install-go.sh: GO_SHA256 is for linux-amd64, this is $arch: pass GO_SHA256 of v0.0.1-go$GO_VERSION.linux-$arch.zip" >&2
fi
zip=v0.0.1-go$GO_VERSION.linux-$arch
tmp=$(mktemp -d)
curl -fsSL --retry 3 -o "$tmp/go.zip" "$proxy/golang.org/toolchain/@v/$zip.zip"
echo "$GO_SHA256  $tmp/go.zip" | sha256sum -c -
unzip -q "$tmp/go.zip" -d "$tmp"
mv "$tmp/golang.org/toolchain@$zip" /usr/local/go
# A module zip records no permissions (the go command sets these too).
chmod 0755 /usr/local/go/bin/* /usr/local/go/pkg/tool/*/*
rm -rf "$tmp"
/usr/local/go/bin/go version
