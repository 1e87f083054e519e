"""Which vector instruction sets PyTorch uses in this environment, for the
benchmarks' records: ATen's CPU capability (its own kernels: batch norm,
ReLU, Adam, ...; ATEN_CPU_CAPABILITY chooses it) and the ISA oneDNN runs
its convolutions and matrix products with (ONEDNN_MAX_CPU_ISA caps it).
Prints one JSON line, e.g.

    {"aten": "AVX512", "onednn": "avx512_core", "onednn_isa": "Intel AVX-512 with ...", "conv_impl": "jit:avx512_core"}

oneDNN says its ISA only in its verbose log, so the script runs itself
again with ONEDNN_VERBOSE=1 on one small convolution (forward and backward)
and reads the log: "conv_impl" is the implementation the convolution really
ran, the proof that the cap took effect."""
import json
import os
import subprocess
import sys

if len(sys.argv) > 1 and sys.argv[1] == "--child":
    import torch

    torch.set_num_threads(1)
    x = torch.randn(2, 16, 16, 16, requires_grad=True)
    torch.nn.Conv2d(16, 16, 3, padding=1)(x).sum().backward()
    line = [l for l in torch.__config__.show().splitlines() if "CPU capability usage" in l]
    print("aten_capability," + (line[0].split(":", 1)[1].strip() if line else "unknown"), flush=True)
    sys.exit(0)

env = dict(os.environ, ONEDNN_VERBOSE="1")
out = subprocess.run([sys.executable, __file__, "--child"], env=env, capture_output=True, text=True, check=True).stdout
info = {"aten": "unknown", "onednn": "unknown", "onednn_isa": "unknown", "conv_impl": "none (oneDNN not used)"}
for line in out.splitlines():
    f = line.split(",")
    if line.startswith("aten_capability,"):
        info["aten"] = f[1]
    elif line.startswith("onednn_verbose,info,cpu,isa:"):
        info["onednn_isa"] = line.split("isa:", 1)[1]
    elif line.startswith("onednn_verbose,exec,cpu,convolution,") and len(f) > 4:
        info["conv_impl"] = f[4]
        info["onednn"] = f[4].split(":", 1)[-1]
print(json.dumps(info))
