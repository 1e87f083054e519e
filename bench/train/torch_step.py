"""PyTorch peer for `make bench-train`: one training step (forward + backward +
Adam) of a torchvision ResNet on random data, batch 16, 2 threads, channels
as torchvision expects. Prints one JSON line per configuration:
{"arch": "resnet18", "size": 64, "img_per_s": ..., "peak_rss_mib": ...}
"""
import json
import resource
import sys
import time

import torch
import torchvision

torch.set_num_threads(2)
torch.manual_seed(0)


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def bench(arch, size, batch, steps, warmup):
    model = getattr(torchvision.models, arch)(num_classes=37)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.99), eps=1e-5)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.randn(batch, 3, size, size)
    y = torch.randint(0, 37, (batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    elapsed = time.perf_counter() - start
    return batch * steps / elapsed


def main():
    configs = [c.split("@") for c in sys.argv[1].split(",")]
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    for arch, size in configs:
        size = int(size)
        steps = 5 if size <= 128 else 2
        ips = bench(arch, size, batch, steps=steps, warmup=1)
        print(json.dumps({"arch": arch, "size": size, "img_per_s": round(ips, 3),
                          "peak_rss_mib": round(peak_rss_mib(), 1)}), flush=True)


if __name__ == "__main__":
    main()
