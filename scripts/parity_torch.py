#!/usr/bin/env python3
"""Reference tensors for fastgo's parity suite (make parity).

    /usr/bin/python3 scripts/parity_torch.py OUT_DIR [PETS_IMAGES_DIR]

Writes into OUT_DIR, with Debian's PyTorch/torchvision/Pillow:
  - resnet18.pth, resnet34.pth, resnet50.pth: torchvision models with
    seeded random weights and non-trivial batch-norm statistics, in
    torchvision's state_dict format; their eval-mode logits on a fixed batch
    in float32 and in float64 (eval_<arch>_*);
  - resnet18_train.pth: resnet18 with a 10-class fc; in train mode on a
    fixed batch of 4 at 64 px: the cross-entropy loss, the gradient of every
    parameter and the updated batch-norm running statistics, in float32 and
    float64 (train_*);
  - adam_*: a few steps of fastai's Adam (decoupled weight decay,
    debiasing, one parameter with weight decay and one without) fed with
    fixed gradients and one-cycle lr/mom values, in float32 and float64;
  - sched_*: fastai's fit_one_cycle and fine_tune schedules (lr per group
    and mom per batch), in float64;
  - aug_*: fastai's batch augmentation (Flip, Rotate, Zoom, Warp,
    Brightness, Contrast with given draws, and the RandomResizedCropGPU
    step) written from fastai/vision/augment.py's formulas in PyTorch: the
    prepared affine matrices, the warped sampling grid, the lighting alone
    and the augmented images, in float32 and float64; aug460_*: the same
    at the chapter's 460 -> 224, where fastai's _grid_sample area-averages
    first (validation, training batches that shrink and one that does not,
    the crop step);
  - resize_*: Pillow's valid-mode Resize(224) (fastai: centred crop_pad,
    then BILINEAR) of every JPEG in PETS_IMAGES_DIR, as uint8 RGB.

Every tensor is a raw little-endian file NAME.bin (float64, or uint8 for
images) listed in manifest.json with its shape and dtype. fastgo's Go tests
(TestParity*, run with FASTGO_PARITY_DIR=OUT_DIR) compare against them.
"""
import copy
import json
import math
import os
import sys

import numpy as np
import torch
from PIL import Image
import torch.nn.functional as F
import torchvision

import fastai_sampling  # scripts/fastai_sampling.py

out = sys.argv[1]
images_dir = sys.argv[2] if len(sys.argv) > 2 else ""
os.makedirs(out, exist_ok=True)
manifest = {}
torch.set_num_threads(2)


def save(name, value, dtype="float64"):
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    arr = np.ascontiguousarray(np.asarray(value, dtype=np.float64 if dtype == "float64" else np.uint8))
    arr.astype("<f8" if dtype == "float64" else "u1").tofile(os.path.join(out, name + ".bin"))
    manifest[name] = {"shape": list(arr.shape), "dtype": dtype}


def randomize_bn(model, gen):
    """Batch-norm weights, biases and running statistics away from their
    initial 1/0/0/1, so that evaluation really uses them."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(0.5 + torch.rand(c, generator=gen))
                m.bias.copy_(0.1 * torch.randn(c, generator=gen))
                m.running_mean.copy_(0.1 * torch.randn(c, generator=gen))
                m.running_var.copy_(0.5 + 1.5 * torch.rand(c, generator=gen))


# --- eval-mode logits of torchvision's resnets --------------------------------
for i, arch in enumerate(["resnet18", "resnet34", "resnet50"]):
    torch.manual_seed(100 + i)
    gen = torch.Generator().manual_seed(200 + i)
    model = getattr(torchvision.models, arch)()
    randomize_bn(model, gen)
    model.eval()
    torch.save(model.state_dict(), os.path.join(out, arch + ".pth"))
    x = torch.randn(2, 3, 64, 64, generator=gen)
    with torch.no_grad():
        y32 = model(x)
        y64 = model.double()(x.double())
    save(f"eval_{arch}_x", x)
    save(f"eval_{arch}_logits32", y32)
    save(f"eval_{arch}_logits64", y64)

# --- train-mode loss and gradients of resnet18 + a 10-class fc ---------------
torch.manual_seed(7)
gen = torch.Generator().manual_seed(8)
model = torchvision.models.resnet18(num_classes=10)
randomize_bn(model, gen)
initial = copy.deepcopy(model.state_dict())  # before any forward updates the running statistics
torch.save(initial, os.path.join(out, "resnet18_train.pth"))
x = torch.randn(4, 3, 64, 64, generator=gen)
y = torch.tensor([3, 7, 0, 9])
save("train_x", x)
save("train_y", y.double())
names = [n for n, _ in model.named_parameters()]
for suffix, dt in [("32", torch.float32), ("64", torch.float64)]:
    m = torchvision.models.resnet18(num_classes=10)
    m.load_state_dict(initial)  # the same float32 weights, in float32 or float64
    m.to(dt)
    xx = x.to(dt)
    m.train()
    m.zero_grad()
    loss = F.cross_entropy(m(xx), y)
    loss.backward()
    save(f"train_loss{suffix}", loss.reshape(1))
    for n, p in m.named_parameters():
        save(f"train_grad{suffix}_{n}", p.grad)
    for n, b in m.named_buffers():
        if n.endswith("running_mean") or n.endswith("running_var"):
            save(f"train_stat{suffix}_{n}", b)
with open(os.path.join(out, "train_params.txt"), "w") as f:
    f.write("\n".join(names) + "\n")

# --- the same training step on many inputs -----------------------------------
# One input's errors say little: a ReLU whose input float32 rounds to the
# other side of zero changes a gradient by far more than rounding does, on
# one input for PyTorch and on another for fastgo. So the suite also runs
# resnet18's training step (train mode, batch 4, 64 px, 10 classes, the
# weights above) on SEEDS inputs and saves, per input, float64 references
# and PyTorch float32's own distance from them:
#   - the activations after bn1 (before its ReLU), after each of the 8
#     residual blocks, and the logits, keeping channels [0, KEEP) of each
#     (a sample of every layer; the logits whole), and the loss:
#     seeds_act64_<layer> [SEEDS, 4, KEEP, H, W], seeds_act64_loss [SEEDS, 1];
#     seeds_act_err32 [SEEDS, layers + 1] (seeds_layers.txt names them);
#   - the gradient of every parameter, keeping the first GRAD_ROWS rows
#     (output channels) of kernels and of fc.weight, vectors whole:
#     seeds_grad64_<param> [SEEDS, ...]; seeds_grad_err32 [SEEDS, params].
# The Go test judges the mean (activations) and the median (gradients) over
# the inputs, so a rare flipped ReLU on either side decides nothing.
SEEDS, KEEP, GRAD_ROWS = 40, 8, 2
act_layers = ["bn1"] + [f"layer{s}.{i}" for s in range(1, 5) for i in range(2)] + ["fc"]
seed_outputs = act_layers + ["loss"]  # the activations, then the loss


def rel_err(got, ref):
    num = (got.double() - ref).pow(2).sum()
    den = ref.pow(2).sum()
    return float((num / den).sqrt()) if den > 0 else float(num.sqrt())


def grad_part(g):
    return g[:GRAD_ROWS] if g.dim() >= 2 else g


def step_outputs(m, xx, yy):
    acts = {}
    hooks = []
    for name, mod in m.named_modules():
        if name in act_layers:
            keep = KEEP if name != "fc" else None
            hooks.append(mod.register_forward_hook(
                lambda _m, _i, o, name=name, keep=keep: acts.__setitem__(name, (o if keep is None else o[:, :keep]).detach().clone())))
    m.zero_grad()
    loss = F.cross_entropy(m(xx), yy)
    loss.backward()
    for h in hooks:
        h.remove()
    acts["loss"] = loss.detach().reshape(1)
    return acts, {n: grad_part(p.grad).detach().clone() for n, p in m.named_parameters()}


models = {}
for suffix, dt in [("32", torch.float32), ("64", torch.float64)]:
    m = torchvision.models.resnet18(num_classes=10)
    m.load_state_dict(initial)
    models[suffix] = m.to(dt).train()
xs, ys = [], []
act64 = {l: [] for l in seed_outputs}
grad64 = {n: [] for n in names}
act_err, grad_err = [], []
for seed in range(SEEDS):
    g = torch.Generator().manual_seed(1000 + seed)
    x = torch.randn(4, 3, 64, 64, generator=g)
    y = torch.randint(0, 10, (4,), generator=g)
    a32, g32 = step_outputs(models["32"], x, y)
    a64, g64 = step_outputs(models["64"], x.double(), y)
    xs.append(x)
    ys.append(y.double())
    act_err.append([rel_err(a32[l], a64[l]) for l in seed_outputs])
    grad_err.append([rel_err(g32[n], g64[n]) for n in names])
    for l in seed_outputs:
        act64[l].append(a64[l])
    for n in names:
        grad64[n].append(g64[n])
save("seeds_x", torch.stack(xs))
save("seeds_y", torch.stack(ys))
save("seeds_act_err32", act_err)
save("seeds_grad_err32", grad_err)
for l in seed_outputs:
    save(f"seeds_act64_{l}", torch.stack(act64[l]))
for n in names:
    save(f"seeds_grad64_{n}", torch.stack(grad64[n]))
with open(os.path.join(out, "seeds_layers.txt"), "w") as f:
    f.write("\n".join(seed_outputs) + "\n")
manifest["seeds_x"]["keep"] = KEEP
manifest["seeds_x"]["grad_rows"] = GRAD_ROWS


# --- fastai's schedules -------------------------------------------------------
def sched_cos(a, b, t):
    return a + (1 + math.cos(math.pi * (1 - t))) * (b - a) / 2


def combined_cos(pct, a, m, e):
    return lambda t: sched_cos(a, m, t / pct) if t < pct else sched_cos(m, e, (t - pct) / (1 - pct))


def even_mults(lo, hi, n):
    return [lo * (hi / lo) ** (i / (n - 1)) for i in range(n)]


def one_cycle(n_epoch, n_iter, lrs, div=25.0, div_final=1e5, pct=0.25, moms=(0.95, 0.85, 0.95)):
    """lr of every group and mom per training batch (t = i / total)."""
    total = n_epoch * n_iter
    lr_s = [combined_cos(pct, m / div, m, m / div_final) for m in lrs]
    mom_s = combined_cos(pct, *moms)
    return [[s(i / total) for s in lr_s] for i in range(total)], [mom_s(i / total) for i in range(total)]


# fit_one_cycle(2, 1e-2) with 3 groups and 16 batches per epoch; fine_tune(1)
# (base_lr 2e-3): the frozen one-cycle then the unfrozen one.
lrs, moms = one_cycle(2, 16, [1e-2] * 3)
save("sched_fit_one_cycle_lrs", lrs)
save("sched_fit_one_cycle_moms", moms)
lrs1, moms1 = one_cycle(1, 16, [2e-3 / 10, 2e-3 / 10, 2e-3], pct=0.99)
lrs2, moms2 = one_cycle(1, 16, even_mults(1e-3 / 100, 1e-3, 3), div=5.0, pct=0.3)
save("sched_fine_tune_lrs", lrs1 + lrs2)
save("sched_fine_tune_moms", moms1 + moms2)

# --- fastai's Adam ------------------------------------------------------------
steps = 6
gen = torch.Generator().manual_seed(9)
p0 = {"weight": torch.randn(5, 7, generator=gen), "bias": torch.randn(7, generator=gen)}
grads = {k: torch.randn(steps, *v.shape, generator=gen) for k, v in p0.items()}
sched_lrs, sched_moms = one_cycle(1, steps, [3e-2])
wd, sqr_mom, eps = 0.1, 0.99, 1e-5
save("adam_lrs", [l[0] for l in sched_lrs])
save("adam_moms", sched_moms)
for k in p0:
    save(f"adam_p0_{k}", p0[k])
    save(f"adam_grads_{k}", grads[k])
for suffix, dt in [("32", torch.float32), ("64", torch.float64)]:
    for k in p0:
        p = p0[k].clone().to(dt)
        grad_avg, sqr_avg = torch.zeros_like(p), torch.zeros_like(p)
        do_wd = k == "weight"  # fastai: no weight decay on biases (and batch norm)
        for step in range(1, steps + 1):
            lr, mom = sched_lrs[step - 1][0], sched_moms[step - 1]
            g = grads[k][step - 1].to(dt)
            if do_wd:
                p.mul_(1 - lr * wd)  # weight_decay (decoupled)
            grad_avg.mul_(mom).add_(g, alpha=1 - mom)  # average_grad(dampening=True)
            sqr_avg.mul_(sqr_mom).addcmul_(g, g, value=1 - sqr_mom)  # average_sqr_grad
            debias1, debias2 = 1 - mom**step, 1 - sqr_mom**step
            p.addcdiv_(grad_avg, (sqr_avg / debias2).sqrt() + eps, value=-lr / debias1)  # adam_step
        save(f"adam_p{suffix}_{k}", p)
save("adam_hyper", [wd, sqr_mom, eps])

# --- fastai's batch augmentation with given draws ------------------------------
# fastai/vision/augment.py's formulas (09_vision.augment), written here in
# PyTorch: flip_mat, rotate_mat, zoom_mat composed as AffineCoordTfm does
# (I @ flip @ rotate @ zoom, then _prepare_mat's aspect correction),
# affine_grid, _WarpCoord (find_coeffs + apply_perspective), grid_sample
# (bilinear, reflection, align_corners=True), then LightingTfm:
# sigmoid(contrast * (logit(x) + logit(brightness))) with fastai's clamped
# logit. Every sampling is fastai's _grid_sample, area pre-shrink included
# (scripts/fastai_sampling.py): the 48x64 -> 40 cases never shrink; the
# aug460_ cases are the chapter's sizes, 460 -> 224, where it does.
def aug_affine_mat(*ms):
    t0, t1 = torch.zeros_like(ms[0]), torch.ones_like(ms[0])
    return torch.stack([torch.stack([ms[0], ms[1], ms[2]], dim=1),
                        torch.stack([ms[3], ms[4], ms[5]], dim=1),
                        torch.stack([t0, t0, t1], dim=1)], dim=1)


def aug_find_coeffs(p1, p2):
    m = []
    p = p1[:, 0, 0]
    t0, t1 = torch.zeros_like(p), torch.ones_like(p)
    for i in range(p1.shape[1]):
        m.append(torch.stack([p2[:, i, 0], p2[:, i, 1], t1, t0, t0, t0, -p1[:, i, 0] * p2[:, i, 0], -p1[:, i, 0] * p2[:, i, 1]]))
        m.append(torch.stack([t0, t0, t0, p2[:, i, 0], p2[:, i, 1], t1, -p1[:, i, 1] * p2[:, i, 0], -p1[:, i, 1] * p2[:, i, 1]]))
    A = torch.stack(m).permute(2, 0, 1)
    B = p1.reshape(p1.shape[0], 8, 1)
    return torch.linalg.solve(A, B)


def aug_apply_perspective(coords, coeffs):
    sz = coords.shape
    coords = coords.reshape(sz[0], -1, 2)
    coeffs = torch.cat([coeffs, torch.ones_like(coeffs[:, :1])], dim=1).reshape(coeffs.shape[0], 3, 3)
    coords1 = coords @ coeffs[..., :2].transpose(1, 2) + coeffs[..., 2].unsqueeze(1)
    coords = coords1 / coords1[..., 2].unsqueeze(-1)
    return coords[..., :2].reshape(*sz)


def aug_logit(x):
    x = x.clamp(1e-7, 1 - 1e-7)
    return -(1 / x - 1).log()


def aug_matrices(draws, h, w, dt):
    """The prepared 2x3 affine matrices and the warp coefficients of each image."""
    d = torch.tensor(draws, dtype=dt)
    flip, rot, zoom, zx, zy, wx, wy = (d[:, i] for i in range(7))
    t0, t1 = torch.zeros_like(flip), torch.ones_like(flip)
    mask = t1 - 2 * flip  # flip_mat with draw given and p=1
    fm = aug_affine_mat(mask, t0, t0, t0, t1, t0)
    th = rot * math.pi / 180  # rotate_mat
    rm = aug_affine_mat(th.cos(), th.sin(), t0, -th.sin(), th.cos(), t0)
    s = 1 / zoom  # zoom_mat
    zm = aug_affine_mat(s, t0, (1 - s) * (2 * zx - 1), t0, s, (1 - s) * (2 * zy - 1))
    aff = torch.eye(3, dtype=dt).unsqueeze(0).expand(len(draws), 3, 3)
    for m in (fm, rm, zm):
        aff = aff @ m
    aff = aff.clone()
    aff[:, 0, 1] *= h / w  # _prepare_mat
    aff[:, 1, 0] *= w / h
    orig = torch.tensor([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=dt).unsqueeze(0).expand(len(draws), 4, 2)
    targ = torch.stack([torch.stack([-1 - wy, -1 - wx]), torch.stack([-1 + wy, 1 + wx]),
                        torch.stack([1 + wy, -1 + wx]), torch.stack([1 - wy, 1 - wx])]).permute(2, 0, 1)
    return aff[:, :2], aug_find_coeffs(orig, targ)


def aug_lighting(x, draws, dt):
    d = torch.tensor(draws, dtype=dt)
    b, c = d[:, 7], d[:, 8]
    return torch.sigmoid((aug_logit(x) + aug_logit(b)[:, None, None, None]) * c[:, None, None, None])


def aug_geometry(x, draws, size, dt):
    """AffineCoordTfm with the draws: one grid_sample to size x size (size None: the input size)."""
    h, w = x.shape[-2:]
    mat, coeffs = aug_matrices(draws, h, w, dt)
    out_hw = (h, w) if size is None else (size, size)
    coords = F.affine_grid(mat, (x.shape[0], x.shape[1]) + out_hw, align_corners=True)
    coords = aug_apply_perspective(coords, coeffs)
    return fastai_sampling.grid_sample(x, coords), mat, coords


def aug_crop_box(crop, h, w):
    """fastgo's Draws.Crop(scale, top, left) as the square fastai's RandomResizedCropGPU slices."""
    scale, top, left = crop
    side = min(int(round(math.sqrt(scale * h * w))), h, w)
    return side, int(math.floor(top * (h - side))), int(math.floor(left * (w - side)))


def aug_two_pass(x, draws, crops, size, dt):
    """min_scale < 1: the affine step at the input size, then
    RandomResizedCropGPU on each image as its own batch (its crop sliced,
    then affine_coord to size through _grid_sample), then lighting."""
    h, w = x.shape[-2:]
    full, _, _ = aug_geometry(x, draws, None, dt)
    out = []
    for i, crop in enumerate(crops):
        side, top, left = aug_crop_box(crop, h, w)
        out.append(fastai_sampling.resize(full[i:i + 1, :, top:top + side, left:left + side], size, size))
    return aug_lighting(torch.cat(out), draws, dt)


# Per image: flip, rotate (deg), zoom, zoom x, zoom y, warp x, warp y,
# brightness, contrast; image 0 is the book's figure (rotate 30, zoom 1.2,
# warp -0.2/0.2).
aug_draws = [
    [0, 30, 1.2, 0.5, 0.5, -0.2, 0.2, 0.5, 1.0],
    [1, -17, 1.5, 0.2, 0.9, 0.1, -0.05, 0.6, 1.2],
    [0, 0, 1.0, 0.5, 0.5, 0.0, 0.0, 0.35, 0.8],
    [0, 95, 0.8, 0.7, 0.4, 0.15, 0.15, 0.45, 1.1],
]
aug_crops = [[0.5, 0.3, 0.8], [0.7, 0.5, 0.5], [0.4, 0.0, 1.0], [0.6, 1.0, 0.0]]
aug_h, aug_w, aug_size = 48, 64, 40
def photo_batch(h, w, seed):
    """Four h x w images in [0, 1]: the first JPEG of images_dir resized
    (as after presizing; deterministic) and its flips, or smooth noise
    without images; values fastgo holds exactly in float32."""
    if images_dir:
        first = sorted(f for f in os.listdir(images_dir) if f.lower().endswith(".jpg"))[0]
        im = Image.open(os.path.join(images_dir, first)).convert("RGB").resize((w, h), Image.BILINEAR)
        base = torch.from_numpy(np.asarray(im).copy()).permute(2, 0, 1).double() / 255
        x = torch.stack([base, base.flip(-1), base.flip(-2), base.flip(-1).flip(-2)])
    else:
        gen = torch.Generator().manual_seed(seed)
        x = F.interpolate(torch.rand(4, 3, h // 4, w // 4, generator=gen, dtype=torch.float64), size=(h, w), mode="bicubic", align_corners=True).clamp(0, 1)
    return x.float().double()


aug_x = photo_batch(aug_h, aug_w, 31)
save("aug_x", aug_x.permute(0, 2, 3, 1))  # NHWC, as fastgo's batches
save("aug_draws", aug_draws)
save("aug_crops", aug_crops)
save("aug_size", [aug_size])
for suffix, dt in [("32", torch.float32), ("64", torch.float64)]:
    x = aug_x.to(dt)
    geo, mat, coords = aug_geometry(x, aug_draws, aug_size, dt)
    save(f"aug_affine{suffix}", mat)
    save(f"aug_coords{suffix}", coords)  # normalised (x, y) of each output pixel, after the warp
    save(f"aug_lighting{suffix}", aug_lighting(x, aug_draws, dt).permute(0, 2, 3, 1))
    save(f"aug_out{suffix}", aug_lighting(geo, aug_draws, dt).permute(0, 2, 3, 1))
    # min_scale < 1: the affine step at the input size, then RandomResizedCropGPU
    # (slice, then an identity affine_coord to size), then lighting.
    save(f"aug_crop_out{suffix}", aug_two_pass(x, aug_draws, aug_crops, aug_size, dt).permute(0, 2, 3, 1))

# The chapter's sizes: four 460x460 photos (the first JPEG squished to 460,
# and its flips) to 224, where _grid_sample's area pre-shrink decides:
#   valid          RandomResizedCropGPU's validation path (the centre
#                  square, all of it) after the identity affine step at
#                  460: area 460 -> 448, then bilinear to 224;
#   train_small    aug_transforms(224) (no min_scale: the affine step
#                  samples straight to 224) with zooms of at most 1.02:
#                  the batch's grid spans more than 2/d, it shrinks;
#   train_large    the same with zooms of 1.5 about the centre and small
#                  rotations: fastai's zoom z is above d, no shrink;
#   train_mixed    train_large's draws but one image unzoomed: the whole
#                  batch shrinks (fastai decides per batch);
#   crop           the chapter's min_scale 0.75: affine at 460, then each
#                  image's crop sliced and resized, shrunk when wider than
#                  448 (453 -> 448, 450 -> 447, 420 kept, 460 -> 448).
aug460_draws = {
    "train_small": [[0, 8, 1.0, 0.5, 0.5, 0.1, -0.1, 0.55, 1.1], [1, -6, 1.02, 0.3, 0.6, 0.0, 0.0, 0.5, 1.0],
                    [0, 0, 1.0, 0.5, 0.5, -0.15, 0.05, 0.45, 0.9], [1, 3, 1.01, 0.7, 0.2, 0.05, 0.1, 0.6, 1.2]],
    "train_large": [[0, -5, 1.5, 0.5, 0.5, 0.0, 0.0, 0.55, 1.1], [1, 3, 1.5, 0.5, 0.5, 0.0, 0.0, 0.5, 1.0],
                    [0, 0, 1.6, 0.5, 0.5, 0.0, 0.0, 0.45, 0.9], [1, 5, 1.5, 0.5, 0.5, 0.0, 0.0, 0.6, 1.2]],
}
aug460_draws["train_mixed"] = aug460_draws["train_large"][:3] + [[1, 5, 1.0, 0.5, 0.5, 0.0, 0.0, 0.6, 1.2]]
aug460_draws["crop"] = [[0, 7, 1.1, 0.4, 0.6, 0.1, -0.05, 0.55, 1.1], [1, -4, 1.0, 0.5, 0.5, 0.0, 0.0, 0.5, 1.0],
                        [0, 0, 1.05, 0.5, 0.5, -0.1, 0.1, 0.45, 0.9], [1, 9, 1.0, 0.5, 0.5, 0.0, 0.0, 0.6, 1.2]]
aug460_crops = [[(453 / 460) ** 2, 0.5, 0.5], [(450 / 460) ** 2, 1.0, 0.0], [(420 / 460) ** 2, 0.3, 0.8], [1.0, 0.5, 0.5]]
aug460_n, aug460_size = 460, 224
aug460_x = photo_batch(aug460_n, aug460_n, 32)
save("aug460_x", aug460_x.permute(0, 2, 3, 1))
for name, draws in aug460_draws.items():
    save(f"aug460_draws_{name}", draws)
save("aug460_crops", aug460_crops)
for suffix, dt in [("32", torch.float32), ("64", torch.float64)]:
    x = aug460_x.to(dt)
    valid = fastai_sampling.resize(fastai_sampling.resize(x, aug460_n, aug460_n), aug460_size, aug460_size)  # the affine step at 460, then the crop step
    save(f"aug460_valid{suffix}", valid.permute(0, 2, 3, 1))
    for name in ("train_small", "train_large", "train_mixed"):
        geo, _, _ = aug_geometry(x, aug460_draws[name], aug460_size, dt)
        save(f"aug460_{name}{suffix}", aug_lighting(geo, aug460_draws[name], dt).permute(0, 2, 3, 1))
    save(f"aug460_crop{suffix}", aug_two_pass(x, aug460_draws["crop"], aug460_crops, aug460_size, dt).permute(0, 2, 3, 1))

# --- Pillow's valid-mode Resize -----------------------------------------------
if images_dir:
    size = 224
    files = sorted(f for f in os.listdir(images_dir) if f.lower().endswith(".jpg"))
    kept, pixels = [], []
    for name in files:
        im = Image.open(os.path.join(images_dir, name))
        if im.format != "JPEG":
            continue  # fastgo and Pillow agree exactly on the other formats
        im = im.convert("RGB")
        w, h = im.size
        m = min(w / size, h / size)  # fastai's Resize(size, method='crop'), centred (valid)
        cw, ch = int(m * size), int(m * size)
        left, top = int(0.5 * (w - cw)), int(0.5 * (h - ch))
        im = im.crop((left, top, left + cw, top + ch)).resize((size, size), Image.BILINEAR)
        kept.append(name)
        pixels.append(np.asarray(im))
    save("resize_pillow", np.stack(pixels), dtype="uint8")
    with open(os.path.join(out, "resize_files.txt"), "w") as f:
        f.write("\n".join(kept) + "\n")
    manifest["resize_pillow"]["size"] = size
    manifest["resize_pillow"]["images_dir"] = os.path.abspath(images_dir)

with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump({"torch": torch.__version__, "torchvision": torchvision.__version__, "tensors": manifest}, f, indent=1)
print(f"parity references: {len(manifest)} tensors in {out} (torch {torch.__version__})")
