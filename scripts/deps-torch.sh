#!/usr/bin/env bash
# Installs the PyTorch peer of the benchmarks from Debian when it is
# missing: python3-torch, python3-torchvision, python3-pil, and GNU time.
# (The python3 first on PATH may be another interpreter: the benchmarks call
# /usr/bin/python3.)
set -euo pipefail
if /usr/bin/python3 -c 'import torch, torchvision, PIL' 2>/dev/null && [ -x /usr/bin/time ]; then
  exit 0
fi
echo "installing python3-torch python3-torchvision python3-pil time with apt-get" >&2
sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-torch python3-torchvision python3-pil time >/dev/null
