"""PyTorch peer of cmd/gpucheck (make gpu-check): the same measurements with
torch + torchvision on the GPU, printed as JSON lines
({"part": "train", "dtype": "float32", "img_per_s": ...}) that gpucheck reads.

  python3 scripts/gpucheck_torch.py --arch resnet34 --size 224 --bs 64 --steps 10 \
      --presize 460 --data ../shared/data/oxford-iiit-pet-sample

Training runs channels_last, in float32 and with autocast bfloat16; each
line carries peak_mib, the most GPU memory PyTorch's allocator reserved
during that part.

The model is torchvision's ResNet body with fastai's head (concat pooling,
BatchNorm, Dropout, Linear 512, Linear n), trained with AdamW (fastai's Adam
with decoupled weight decay 0.01, betas 0.9/0.99, eps 1e-5), uint8 batches
sent to the GPU and converted there, as fastgo does. The augmentation is
fastai's: one affine (flip, rotation, zoom, random-resized crop) and lighting
per image, sampled with affine_grid + grid_sample, then Normalize.
"""
import argparse
import json
import math
import os
import random
import re
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def emit(**kw):
    print(json.dumps(kw), flush=True)


class ConcatPool(nn.Module):
    def forward(self, x):
        return torch.cat([F.adaptive_max_pool2d(x, 1), F.adaptive_avg_pool2d(x, 1)], 1).flatten(1)


def cnn(arch, n_classes):
    body = getattr(torchvision.models, arch)()
    nf = body.fc.in_features
    body = nn.Sequential(*list(body.children())[:-2])
    head = nn.Sequential(
        ConcatPool(), nn.BatchNorm1d(2 * nf), nn.Dropout(0.25), nn.Linear(2 * nf, 512, bias=False), nn.ReLU(True),
        nn.BatchNorm1d(512), nn.Dropout(0.5), nn.Linear(512, n_classes, bias=False))
    return nn.Sequential(body, head)


def to_float(xb_u8):
    """uint8 NCHW on the GPU -> normalised float, channels_last."""
    x = xb_u8.float().div_(255)
    return ((x - MEAN.to(x.device)) / STD.to(x.device)).contiguous(memory_format=torch.channels_last)


def train_step_fn(model, opt, dtype):
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=(dtype == "bfloat16")):
            loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    return step


def bench_train(args, dtype, dev, bs=None, compiled=False, size=None, aug=False):
    """Images/s of training steps on uint8 batches sent pinned to the GPU
    (and the seconds of the first step when compiled: torch.compile's
    compilation). aug: batches at size px go through the augmentation to
    args.size on the GPU first (the chapter's real path)."""
    bs, size = bs or args.bs, size or args.size
    # channels_last: the layout cuDNN's fastest convolutions want (PyTorch's
    # advice for mixed precision on recent GPUs).
    model = cnn(args.arch, 37).to(dev).to(memory_format=torch.channels_last).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), eps=1e-5, weight_decay=0.01)
    if compiled:
        model = torch.compile(model)
    step = train_step_fn(model, opt, dtype)
    gen = torch.Generator(device=dev).manual_seed(0)
    prep = (lambda xb: augment(xb, args.size, True, gen).contiguous(memory_format=torch.channels_last)) if aug else to_float
    g = torch.Generator().manual_seed(0)
    xs = [torch.randint(0, 256, (bs, 3, size, size), dtype=torch.uint8, generator=g).pin_memory()
          for _ in range(2)]
    ys = [torch.randint(0, 37, (bs,), generator=g) for _ in range(2)]
    first = time.perf_counter()
    for i in range(2):  # warm-up (cuDNN autotune, allocator, compilation)
        step(prep(xs[i % 2].to(dev, non_blocking=True)), ys[i % 2].to(dev))
        if i == 0:
            torch.cuda.synchronize()
            first = time.perf_counter() - first
    torch.cuda.synchronize()
    start = time.perf_counter()
    for i in range(args.steps):
        step(prep(xs[i % 2].to(dev, non_blocking=True)), ys[i % 2].to(dev))
    torch.cuda.synchronize()
    ips = bs * args.steps / (time.perf_counter() - start)
    return (ips, first) if compiled else ips


def augment(xb_u8, size, train, gen):
    """fastai's aug_transforms(size, min_scale=0.75) + Normalize, batched on the GPU."""
    b, dev = xb_u8.shape[0], xb_u8.device
    x = xb_u8.float().div_(255)
    theta = torch.zeros(b, 2, 3, device=dev)
    if train:
        u = lambda lo, hi: torch.empty(b, device=dev).uniform_(lo, hi, generator=gen)
        scale = u(0.75, 1.0)  # area fraction of the random-resized crop
        ratio = torch.exp(u(math.log(3 / 4), math.log(4 / 3)))
        sw, sh = torch.sqrt(scale * ratio).clamp(max=1), torch.sqrt(scale / ratio).clamp(max=1)
        tx, ty = u(-1, 1) * (1 - sw), u(-1, 1) * (1 - sh)
        flip = torch.where(torch.rand(b, device=dev, generator=gen) < 0.5, -1.0, 1.0)
        rot = torch.where(torch.rand(b, device=dev, generator=gen) < 0.75, u(-10, 10), torch.zeros(b, device=dev))
        zoom = torch.where(torch.rand(b, device=dev, generator=gen) < 0.75, u(1.0, 1.1), torch.ones(b, device=dev))
        a = rot * math.pi / 180
        c, s = torch.cos(a) / zoom, torch.sin(a) / zoom
        theta[:, 0, 0], theta[:, 0, 1], theta[:, 0, 2] = c * sw * flip, -s * sh, tx
        theta[:, 1, 0], theta[:, 1, 1], theta[:, 1, 2] = s * sw * flip, c * sh, ty
    else:
        theta[:, 0, 0] = theta[:, 1, 1] = 1
    grid = F.affine_grid(theta, (b, 3, size, size), align_corners=True)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=True)
    if train:  # brightness and contrast in logit space, p=0.75
        on = (torch.rand(b, 1, 1, 1, device=dev, generator=gen) < 0.75).float()
        bright = torch.empty(b, 1, 1, 1, device=dev).uniform_(0.3, 0.7, generator=gen)
        contrast = torch.exp(torch.empty(b, 1, 1, 1, device=dev).uniform_(math.log(0.8), math.log(1.25), generator=gen))
        logit = torch.logit(x.clamp(1e-5, 1 - 1e-5))
        lit = torch.sigmoid((logit + torch.logit(bright)) * contrast)
        x = on * lit + (1 - on) * x
    return (x - MEAN.to(dev)) / STD.to(dev)


def bench_aug(args, dev):
    gen = torch.Generator(device=dev).manual_seed(0)
    xb = torch.randint(0, 256, (args.bs, 3, args.presize, args.presize), dtype=torch.uint8).pin_memory()
    augment(xb.to(dev, non_blocking=True), args.size, True, gen)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(args.steps):
        augment(xb.to(dev, non_blocking=True), args.size, True, gen)
    torch.cuda.synchronize()
    return args.bs * args.steps / (time.perf_counter() - start)


def bench_h2d(args, dev, size=None):
    """A presized uint8 batch copied to the GPU: pinned (as the pipelines do) and pageable."""
    xb = torch.randint(0, 256, (args.bs, 3, size or args.presize, size or args.presize), dtype=torch.uint8)
    res = {}
    for name, src in (("pinned", xb.pin_memory()), ("pageable", xb)):
        src.to(dev)
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(args.steps):
            src.to(dev, non_blocking=(name == "pinned"))
        torch.cuda.synchronize()
        secs = time.perf_counter() - start
        res[name] = (args.bs * args.steps / secs, args.steps * xb.numel() / secs / 1e9)
    return res


class Pets(torch.utils.data.Dataset):
    """The pets folder, labelled by name, with fastai's Resize(presize) crop."""

    def __init__(self, files, labels, presize, train):
        from torchvision.transforms import v2
        self.files, self.labels = files, labels
        crop = v2.RandomCrop(presize) if train else v2.CenterCrop(presize)
        self.tfm = v2.Compose([v2.PILToTensor(), v2.Resize(presize, antialias=True), crop])

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        from PIL import Image
        with Image.open(self.files[i]) as im:
            return self.tfm(im.convert("RGB")), self.labels[i]


def fine_tune(args, dev):
    start = time.perf_counter()
    folder = os.path.join(args.data, "images")
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".jpg"))
    names = [re.match(r"(.+)_\d+.jpg$", os.path.basename(f)).group(1) for f in files]
    vocab = sorted(set(names))
    labels = [vocab.index(n) for n in names]
    idx = list(range(len(files)))
    random.Random(42).shuffle(idx)
    cut = int(0.2 * len(idx))
    valid, train = idx[:cut], idx[cut:]
    workers = min(8, os.cpu_count() or 1)
    mk = lambda ids, tr: torch.utils.data.DataLoader(
        Pets([files[i] for i in ids], [labels[i] for i in ids], args.presize, tr), batch_size=args.bs, shuffle=tr,
        drop_last=tr, num_workers=workers, pin_memory=True, persistent_workers=workers > 0)
    train_dl, valid_dl = mk(train, True), mk(valid, False)

    model = cnn(args.arch, len(vocab)).to(dev)
    body, head = model[0], model[1]
    gen = torch.Generator(device=dev).manual_seed(0)
    loss_fn = nn.CrossEntropyLoss()

    def one_cycle(params, lr):
        opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.99), eps=1e-5, weight_decay=0.01)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=len(train_dl), pct_start=0.25)
        model.train()
        for xb, yb in train_dl:
            xb = augment(xb.to(dev, non_blocking=True), args.size, True, gen)
            opt.zero_grad(set_to_none=True)
            loss_fn(model(xb), yb.to(dev)).backward()
            opt.step()
            sched.step()
        model.eval()
        wrong = total = 0
        with torch.no_grad():
            for xb, yb in valid_dl:
                pred = model(augment(xb.to(dev, non_blocking=True), args.size, False, gen)).argmax(1)
                wrong += (pred.cpu() != yb).sum().item()
                total += len(yb)
        return wrong / max(total, 1)

    # fine_tune(1): one epoch with the body frozen (its BatchNorms still
    # train, as fastai's train_bn), then one epoch of everything.
    frozen = [p for m in body.modules() if not isinstance(m, nn.BatchNorm2d) for p in m.parameters(recurse=False)]
    for p in frozen:
        p.requires_grad_(False)
    one_cycle([p for p in model.parameters() if p.requires_grad], 2e-3)
    for p in frozen:
        p.requires_grad_(True)
    err = one_cycle(model.parameters(), 1e-3)
    torch.cuda.synchronize()
    return time.perf_counter() - start, err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="resnet34")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--presize", type=int, default=460)
    ap.add_argument("--data", default="../shared/data/oxford-iiit-pet-sample")
    ap.add_argument("--skip-finetune", action="store_true")
    ap.add_argument("--parts", default="train,h2d,aug,finetune",
                    help="train,h2d,aug,finetune (make gpu-check), and the device run's step, upload, real460, compiled")
    ap.add_argument("--bs-list", default="32,64,128", help="batch sizes of the step part")
    args = ap.parse_args()
    parts = args.parts.split(",")
    if not torch.cuda.is_available():
        emit(part="none", note="torch sees no CUDA device")
        return
    dev = torch.device("cuda")
    torch.backends.cudnn.benchmark = True
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, {torch.cuda.get_device_name(0)}",
          file=sys.stderr)
    def peak():
        """Peak GPU memory since the last call, MiB (what PyTorch's allocator held)."""
        mib = round(torch.cuda.max_memory_reserved() / 2**20)
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        return mib

    peak()
    for part in parts:
        if part == "train":
            for dtype in ("float32", "bfloat16"):
                ips = round(bench_train(args, dtype, dev), 1)
                emit(arch=args.arch, part="train", dtype=dtype, img_per_s=ips, peak_mib=peak())
        elif part == "h2d":
            h2d = bench_h2d(args, dev)
            emit(arch=args.arch, part="h2d", dtype="uint8", img_per_s=round(h2d["pinned"][0], 1), peak_mib=peak(),
                 note=f'pinned {h2d["pinned"][1]:.1f} GB/s, pageable {h2d["pageable"][1]:.1f} GB/s')
        elif part == "aug":
            emit(arch=args.arch, part="aug", dtype="float32", img_per_s=round(bench_aug(args, dev), 1), peak_mib=peak())
        elif part == "finetune" and not args.skip_finetune:
            secs, err = fine_tune(args, dev)
            emit(arch=args.arch, part="finetune", dtype="float32", seconds=round(secs, 1), peak_mib=peak(),
                 note=f"random weights, error_rate {err:.3f}")
        elif part == "step":
            # Eager, channels_last, autocast for bf16: the same-card baseline.
            for dtype in ("float32", "bfloat16"):
                for bs in (int(b) for b in args.bs_list.split(",")):
                    ips = bench_train(args, dtype, dev, bs=bs)
                    emit(arch=args.arch, part="step", dtype=dtype, bs=bs, variant="eager", img_per_s=round(ips, 1),
                         step_ms=round(1000 * bs / ips, 3), peak_mib=peak())
        elif part == "upload":
            for size in (args.size, args.presize):
                res = bench_h2d(args, dev, size=size)
                mb = args.bs * 3 * size * size / 1e6
                for kind in ("pinned", "pageable"):
                    emit(arch=args.arch, part="upload", dtype="uint8", bs=args.bs, variant=f"{kind} {mb:.1f} MB",
                         gb_per_s=round(res[kind][1], 2), step_ms=round(1000 * mb / 1e3 / res[kind][1], 3))
        elif part == "real460":
            ips = bench_train(args, "float32", dev, size=args.presize, aug=True)
            emit(arch=args.arch, part="real460", dtype="float32", bs=args.bs, variant="eager", img_per_s=round(ips, 1),
                 step_ms=round(1000 * args.bs / ips, 3), peak_mib=peak())
        elif part == "compiled":
            # torch.compile: PyTorch's best; the caller time-boxes it.
            for dtype in ("bfloat16", "float32"):
                ips, first = bench_train(args, dtype, dev, compiled=True)
                emit(arch=args.arch, part="step", dtype=dtype, bs=args.bs, variant="torch.compile",
                     img_per_s=round(ips, 1), step_ms=round(1000 * args.bs / ips, 3), compile_s=round(first, 1),
                     peak_mib=peak())


if __name__ == "__main__":
    main()
