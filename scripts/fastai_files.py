#!/usr/bin/env python3
"""fastai-shaped files for fastgo's fastai import tests, and PyTorch's
predictions for them.

    /usr/bin/python3 scripts/fastai_files.py tiny OUT_DIR IMAGES_DIR
    /usr/bin/python3 scripts/fastai_files.py full OUT_DIR IMAGES_DIR

fastai cannot be installed here: scripts/fastai_stubs.py stands in for the
classes an export pickles (same modules, names, attributes and pickling
hooks), and torch.save writes them exactly as fastai's Learner.export does
(torch.save(learn, fname, pickle_protocol=2) after dls.new_empty() and
opt=None) and as Learner.save does (save_model: {'model': state_dict,
'opt': opt.state_dict()}, or the bare state dict with with_opt=False).

tiny: small models (ResNets with a stem 1 or 2 channels wide, fastai's
head, 2-3 classes) that testdata/fastai/ commits (each file well under
1 MiB): every file layout (torch zip with the "archive/" folder, zip with
a folder named after the file, legacy non-zip), learn.save files (fastai v2
{'model','opt'}, a bare state dict, fastai v1 with numpy scalars in the
optimizer state, legacy format) and the files fastgo must refuse.

full: torchvision's ResNet18/34/50 (random weights, seeded) with fastai's
head, in OUT_DIR (build/parity/fastai under make parity): too big to commit.

Both write, for each model that fastgo should load, PyTorch's predictions
on the JPEG/GIF images of IMAGES_DIR: the images prepared as fastai's
validation set prepares them (PIL open + convert('RGB'), Resize centred,
then the GPU batch transforms' valid path), as uint8 (prep_<model>), and a
pure-PyTorch rebuild's logits and softmax probabilities (torchvision-style
body + fastai's head written out in plain torch, eval mode) in float32 and
float64 (logits32_<model>, probs64_<model>...), as scripts/parity_torch.py
writes them: NAME.bin (little-endian float64 or uint8) + manifest.json.
"""
import io
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torchvision.models import resnet as tvr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fastai_sampling  # noqa: E402
import fastai_stubs as fa  # noqa: E402

IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
PLANS = {"resnet18": (tvr.BasicBlock, [2, 2, 2, 2]), "resnet34": (tvr.BasicBlock, [3, 4, 6, 3]),
         "resnet50": (tvr.Bottleneck, [3, 4, 6, 3])}


# --- models -------------------------------------------------------------------


def resnet_body(arch, width):
    """torchvision's ResNet children up to layer4 (fastai's cut): torchvision's
    own model at width 64, the same modules with a stem `width` wide below."""
    if width == 64:
        return nn.Sequential(*list(getattr(tvr, arch)().children())[:-2])
    block, layers = PLANS[arch]
    inplanes = width
    mods = [nn.Conv2d(3, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1)]
    for stage, n in enumerate(layers):
        planes, stride = width << stage, 1 if stage == 0 else 2
        down = None
        if stride != 1 or inplanes != planes * block.expansion:
            down = nn.Sequential(tvr.conv1x1(inplanes, planes * block.expansion, stride),
                                 nn.BatchNorm2d(planes * block.expansion))
        blocks = [block(inplanes, planes, stride, down)]
        inplanes = planes * block.expansion
        blocks += [block(inplanes, planes) for _ in range(1, n)]
        mods.append(nn.Sequential(*blocks))
    return nn.Sequential(*mods)


def n_features(arch, width):
    return width * 8 * PLANS[arch][0].expansion


def randomize(model, gen):
    """Seeded weights with non-trivial batch-norm statistics everywhere."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
            elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                c = m.num_features
                m.weight.copy_(0.5 + torch.rand(c, generator=gen))
                m.bias.copy_(0.2 * torch.randn(c, generator=gen))
                m.running_mean.copy_(0.2 * torch.randn(c, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(c, generator=gen))
                m.num_batches_tracked.fill_(100)


def v1_head(nf, n_out):
    """fastai v1's create_head: bn_drop_lin blocks, whose Linear has a bias."""
    layers = [fa.AdaptiveConcatPool2d(), fa.Flatten()]
    for ni, no, p, act in ((2 * nf, 512, 0.25, nn.ReLU(inplace=True)), (512, n_out, 0.5, None)):
        layers += [nn.BatchNorm1d(ni), nn.Dropout(p), nn.Linear(ni, no)]
        if act is not None:
            layers.append(act)
    return nn.Sequential(*layers)


class PlainHead(nn.Module):
    """fastai's default head in plain torch (the reference rebuild): concat
    pooling (max, then mean), then BN1d → Linear → ReLU → BN1d → Linear, with
    fastai's module indices so the learner's state dict loads as is."""

    def __init__(self, nf, n_out, bias=False):
        super().__init__()
        self.add_module("2", nn.BatchNorm1d(2 * nf))
        self.add_module("4", nn.Linear(2 * nf, 512, bias=bias))
        self.add_module("6", nn.BatchNorm1d(512))
        self.add_module("8", nn.Linear(512, n_out, bias=bias))

    def forward(self, x):
        x = torch.cat([F.adaptive_max_pool2d(x, 1), F.adaptive_avg_pool2d(x, 1)], 1).flatten(1)
        x = F.relu(getattr(self, "4")(getattr(self, "2")(x)))
        return getattr(self, "8")(getattr(self, "6")(x))


# --- learners -------------------------------------------------------------------


def vision_learner(arch, width, vocab, item_tfms, batch_tfms, seed, head=None, loss=None, y_tfms=None,
                   x_create=None, learner_cls=None, cbs=None):
    """The object Learner.export pickles for vision_learner(dls, arch): the
    model nn.Sequential(body, create_head(...)), dls.new_empty(), and the
    learner's other attributes."""
    gen = torch.Generator().manual_seed(seed)
    body = resnet_body(arch, width) if isinstance(arch, str) else arch
    nf = n_features(arch, width) if isinstance(arch, str) else width
    head = head if head is not None else fa.create_head(nf, len(vocab))
    model = nn.Sequential(body, head)
    randomize(model, gen)
    model.eval()
    x_tfms = fa.Pipeline([fa.Transform(x_create or fa.PILImage.create)])
    if y_tfms is None:
        y_tfms = [fa.RegexLabeller(r"^(.*)_\d+.jpg$"), fa.Categorize(vocab=vocab)]
    tls = [fa.TfmdLists([], x_tfms, split_idx=s) for s in (0, 1)]
    ytls = [fa.TfmdLists([], fa.Pipeline(y_tfms), split_idx=s) for s in (0, 1)]
    loaders = []
    for split in (0, 1):
        ds = fa.Datasets([tls[split], ytls[split]])
        loaders.append(fa.TfmdDL(ds, bs=64, shuffle=split == 0, drop_last=split == 0,
                                 after_item=item_tfms + [fa.ToTensor()],
                                 after_batch=[fa.IntToFloatTensor()] + batch_tfms))
    dls = fa.DataLoaders(*loaders, path="/root/.fastai/data/oxford-iiit-pet", device=torch.device("cuda"))
    cls = learner_cls or fa.Learner
    return cls(dls, model, loss if loss is not None else fa.CrossEntropyLossFlat(), splitter=fa._resnet_split,
               metrics=[fa.error_rate], path=dls.path, cbs=cbs)


def imagenet_norm():
    return fa.Normalize.from_stats(IMAGENET_MEAN, IMAGENET_STD)


def save(obj, path, layout, location=None):
    """torch.save as fastai calls it (pickle_protocol=2) in one of the three
    layouts; location fakes the device tag of every storage (a learner
    exported on a GPU says 'cuda:0')."""
    import torch.serialization as ts

    saved_tag = ts.location_tag
    if location:
        ts.location_tag = lambda storage: location
    try:
        if layout == "archive":  # torch >= 2 writes "archive/" for files too
            buf = io.BytesIO()
            torch.save(obj, buf, pickle_protocol=2)
            with open(path, "wb") as f:
                f.write(buf.getvalue())
        elif layout == "named":  # torch 1.6-1.13: the folder is the file's stem
            torch.save(obj, path, pickle_protocol=2)
        elif layout == "legacy":  # torch < 1.6
            torch.save(obj, path, pickle_protocol=2, _use_new_zipfile_serialization=False)
        else:
            raise ValueError(layout)
    finally:
        ts.location_tag = saved_tag


# --- references -----------------------------------------------------------------


def load_rgb(path):
    """fastai's PILImage.create: PIL.Image.open, load, convert('RGB')."""
    im = Image.open(path)
    im.load()
    return im.convert("RGB")


def resize_valid(im, size, method="crop", pad_mode="reflection"):
    """fastai's Resize on the validation set (centred), square target:
    crop_pad to the box of the target's ratio, then BILINEAR to size."""
    w, h = im.size
    if method == "squish":
        return im.resize((size, size), Image.BILINEAR)
    m = min(w / size, h / size) if method == "crop" else max(w / size, h / size)
    cw, ch = int(m * size), int(m * size)
    left, top = int(0.5 * (w - cw)), int(0.5 * (h - ch))
    if method == "crop":
        return im.crop((left, top, left + cw, top + ch)).resize((size, size), Image.BILINEAR)
    # Pad: fastai pads with torch's pad modes on the PIL image's array.
    a = torch.from_numpy(np.asarray(im)).permute(2, 0, 1)[None].float()
    pl, pt = -left, -top
    pr, pb = cw - w - pl, ch - h - pt
    mode = {"zeros": "constant", "reflection": "reflect", "border": "replicate"}[pad_mode]
    a = F.pad(a, (pl, pr, pt, pb), mode=mode)
    padded = Image.fromarray(a[0].permute(1, 2, 0).byte().numpy())
    return padded.resize((size, size), Image.BILINEAR)


def gpu_valid(x, size=None, square_crop=False, area=True):
    """The valid path of aug_transforms' batch transforms on x [B,3,H,W]
    in [0,1], as fastai runs it: with square_crop (min_scale < 1), the
    merged AffineCoordTfm's identity at the input size (its matrix is the
    identity on the validation set, and size=None) and
    RandomResizedCropGPU's centred square (ratio 1, valid_scale 1), then
    affine_coord to size: an identity affine_grid through _grid_sample.
    area=False leaves out _grid_sample's area step (fastgo's resize before
    it had one), for comparison."""
    if size is None:
        return x
    if square_crop:
        h, w = x.shape[-2:]
        x = fastai_sampling.resize(x, h, w, area)  # the affine step, at the input size
        s = min(h, w)
        t, l = (h - s) // 2, (w - s) // 2
        x = x[..., t:t + s, l:l + s]
    return fastai_sampling.resize(x, size, size, area)


class Refs:
    def __init__(self, out):
        self.out, self.manifest = out, {}
        os.makedirs(out, exist_ok=True)

    def save(self, name, value, dtype="float64"):
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        arr = np.ascontiguousarray(np.asarray(value, dtype=np.float64 if dtype == "float64" else np.uint8))
        arr.astype("<f8" if dtype == "float64" else "u1").tofile(os.path.join(self.out, name + ".bin"))
        self.manifest[name] = {"shape": list(arr.shape), "dtype": dtype}

    def write(self, extra):
        with open(os.path.join(self.out, "manifest.json"), "w") as f:
            json.dump(dict(extra, torch=torch.__version__, tensors=self.manifest), f, indent=1, sort_keys=True)


def reference(refs, name, learn, arch, width, images, item, gpu=None, v1=False, logit_std=1.5, variants=None):
    """PyTorch's predictions for one model: the images prepared as fastai's
    validation set, then a plain-torch rebuild in float32 and float64.
    First the classifier's last Linear is scaled so that the logits on
    these images have standard deviation logit_std (random weights give
    saturated probabilities otherwise): call it before saving the model.
    variants maps other names to other gpu settings, predicted by the same
    calibrated model."""
    size, method, pad_mode = item
    pix = np.stack([np.asarray(resize_valid(load_rgb(p), size, method, pad_mode)) for p in images])
    refs.save("prep_" + name, pix, dtype="uint8")
    nf = n_features(arch, width)
    rebuild = nn.Sequential(resnet_body(arch, width), PlainHead(nf, learn.model[1][-1].out_features, bias=v1))
    norm = [n for n in learn.dls.loaders[1].after_batch.fs if isinstance(n, fa.Normalize)][0]

    def run(dtype, gpu=gpu):
        rebuild.load_state_dict(learn.model.state_dict())
        m = rebuild.to(dtype).eval()
        x = torch.from_numpy(pix).permute(0, 3, 1, 2).to(dtype) / 255.0
        if gpu is not None:
            x = gpu_valid(x, **gpu)
        x = (x - torch.as_tensor(norm.mean, dtype=dtype)) / torch.as_tensor(norm.std, dtype=dtype)
        with torch.no_grad():
            return m(x)

    with torch.no_grad():
        last = learn.model[1][-1]
        logits = run(torch.float64)
        scale = logit_std / logits.std().item()
        last.weight.mul_(scale)
        if last.bias is not None:
            last.bias.mul_(scale)
    for vname, vgpu in [(name, gpu)] + list((variants or {}).items()):
        for dtype, tag in ((torch.float32, "32"), (torch.float64, "64")):
            logits = run(dtype, vgpu)
            refs.save(f"logits{tag}_{vname}", logits)
            refs.save(f"probs{tag}_{vname}", torch.softmax(logits, dim=1))


def image_files(images_dir):
    return sorted(os.path.join(images_dir, f) for f in os.listdir(images_dir) if f.lower().endswith(".jpg"))


# --- the files ----------------------------------------------------------------------

PETS3 = ["Abyssinian", "Bengal", "pug"]


def tiny(out, images_dir):
    os.makedirs(out, exist_ok=True)
    refs = Refs(os.path.join(out, "refs"))
    images = image_files(images_dir)

    # One learner in the three layouts (the named one as exported on a GPU).
    learn = vision_learner("resnet18", 2, PETS3, [fa.Resize(64)], [imagenet_norm()], seed=1)
    reference(refs, "resnet18", learn, "resnet18", 2, images, (64, "crop", "reflection"))
    save(learn, os.path.join(out, "resnet18_archive.pkl"), "archive")
    save(learn, os.path.join(out, "resnet18_named.pkl"), "named", location="cuda:0")
    save(learn, os.path.join(out, "resnet18_legacy.pkl"), "legacy")

    # learn.save of the same model: fastai v2 with the optimizer (numpy
    # hyper-parameters, as after fit_one_cycle), and without it.
    sd = learn.model.state_dict()
    opt_state = [{"grad_avg": torch.zeros_like(p), "sqr_avg": torch.zeros_like(p), "step": 7, "do_wd": True}
                 for p in learn.model.parameters()]
    hypers = [{"wd": 0.01, "sqr_mom": 0.99, "lr": np.float64(lr), "mom": np.float64(0.95), "eps": 1e-05}
              for lr in (1e-5, 1e-4, 1e-3)]
    save({"model": sd, "opt": {"state": opt_state, "hypers": hypers}},
         os.path.join(out, "resnet18_save_v2.pth"), "named")
    save(sd, os.path.join(out, "resnet18_save_plain.pth"), "archive")

    # fastai v1's learn.save (torch < 1.6: legacy format): its head's Linear
    # layers have biases; the optimizer state is torch.optim.Adam's with
    # numpy scalars in the param groups.
    v1 = vision_learner("resnet34", 1, ["cat", "dog"], [fa.Resize(48)], [imagenet_norm()], seed=2,
                        head=v1_head(n_features("resnet34", 1), 2))
    reference(refs, "resnet34_v1", v1, "resnet34", 1, images, (48, "crop", "reflection"), v1=True)
    params = list(v1.model.parameters())
    v1_opt = {"state": {i: {"step": 12, "exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.zeros_like(p)}
                        for i, p in enumerate(params)},
              "param_groups": [{"lr": np.float64(3e-3), "betas": (np.float64(0.9), np.float64(0.99)), "eps": 1e-08,
                                "weight_decay": np.float64(0.01), "amsgrad": False,
                                "params": list(range(len(params)))}]}
    save({"model": v1.model.state_dict(), "opt": v1_opt}, os.path.join(out, "resnet34_save_v1.pth"), "legacy")

    # The chapter's shape: presizing (Resize larger than the model's input)
    # and aug_transforms(size, min_scale=0.75), whose valid path crops the
    # centre square and resizes on the GPU.
    aug = vision_learner("resnet34", 1, PETS3, [fa.Resize(48)],
                         fa.aug_transforms(size=32, min_scale=0.75) + [imagenet_norm()], seed=3)
    reference(refs, "resnet34_aug", aug, "resnet34", 1, images, (48, "crop", "reflection"),
              gpu=dict(size=32, square_crop=True))
    save(aug, os.path.join(out, "resnet34_aug.pkl"), "archive", location="cuda:0")

    # Bottlenecks; Resize with method pad / zeros; statistics computed from
    # the data (Normalize.setups: TensorImage values).
    mean = fa.TensorImage(torch.tensor([0.47, 0.44, 0.39]).view(1, 3, 1, 1))
    std = fa.TensorImage(torch.tensor([0.27, 0.26, 0.27]).view(1, 3, 1, 1))
    r50 = vision_learner("resnet50", 1, ["cat", "dog"], [fa.Resize(40, method="pad", pad_mode="zeros")],
                         [fa.Normalize(mean, std)], seed=4)
    reference(refs, "resnet50_pad", r50, "resnet50", 1, images, (40, "pad", "zeros"))
    save(r50, os.path.join(out, "resnet50_pad.pkl"), "legacy")

    # Small seeds for the readers' fuzz tests.
    small = {"w": torch.arange(6.0).view(2, 3).t(), "n": torch.tensor([1, 2]), "lr": np.float64(0.01)}
    save(small, os.path.join(out, "small_legacy.pth"), "legacy")
    save(small, os.path.join(out, "small_zip.pth"), "archive")

    negatives(out)
    refs.write({"images": [os.path.basename(p) for p in images], "width": {"resnet18": 2, "resnet34": 1}})
    print(f"tiny fastai files in {out}: " + ", ".join(sorted(os.listdir(out))))


def negatives(out):
    """Files fastgo must refuse, each naming what it cannot reproduce."""
    base = dict(vocab=PETS3, item_tfms=[fa.Resize(32)], seed=9)

    def write(name, learn, layout="archive"):
        save(learn, os.path.join(out, "refuse_" + name + ".pkl"), layout)

    # Another architecture: a plain conv body (no residual blocks).
    other = nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1, bias=False), nn.BatchNorm2d(4), nn.ReLU(inplace=True),
                          nn.Conv2d(4, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
    write("vgg_body", vision_learner(other, 8, batch_tfms=[imagenet_norm()], **base))

    # A custom item transform, defined in the user's notebook (__main__).
    class Grayscale(fa.Transform):
        order = 2

    Grayscale.__module__, Grayscale.__qualname__ = "__main__", "Grayscale"
    sys.modules["__main__"].Grayscale = Grayscale
    custom = dict(base, item_tfms=[fa.Resize(32), Grayscale()])
    write("custom_tfm", vision_learner("resnet18", 1, batch_tfms=[imagenet_norm()], **custom))

    # Tabular and text learners (the class says it before the model does).
    write("tabular", vision_learner("resnet18", 1, batch_tfms=[imagenet_norm()],
                                    learner_cls=sys.modules["fastai.tabular.learner"].TabularLearner, **base))
    write("text", vision_learner("resnet18", 1, batch_tfms=[imagenet_norm()],
                                 learner_cls=sys.modules["fastai.text.learner"].TextLearner, **base))

    # A regression head: y_range adds SigmoidRange, MSE loss, no vocab.
    reg = dict(base, vocab=["y"])
    write("y_range", vision_learner("resnet18", 1, batch_tfms=[imagenet_norm()],
                                    head=fa.create_head(8, 1, y_range=(0, 5)), loss=fa.MSELossFlat(),
                                    y_tfms=[fa.RegressionSetup()], **reg))

    # A custom loss (its activation, if any, is the user's code).
    class FocalLoss(nn.Module):
        pass

    FocalLoss.__module__, FocalLoss.__qualname__ = "__main__", "FocalLoss"
    sys.modules["__main__"].FocalLoss = FocalLoss
    write("custom_loss", vision_learner("resnet18", 1, batch_tfms=[imagenet_norm()], loss=FocalLoss(), **base))

    # Multi-label: sigmoid activation, a threshold, MultiCategorize.
    write("multi_label", vision_learner("resnet18", 1, batch_tfms=[imagenet_norm()],
                                        loss=fa.BCEWithLogitsLossFlat(),
                                        y_tfms=[fa.MultiCategorize(vocab=PETS3)], **base))

    # A grayscale input block (PILImageBW.create).
    write("grayscale", vision_learner("resnet18", 1, batch_tfms=[imagenet_norm()],
                                      x_create=fa.PILImageBW.create, **base))

    # A pickle that would run a shell command if it were executed.
    class Evil:
        def __reduce__(self):
            return (os.system, ("touch /tmp/fastgo-pickle-executed",))

    save({"model": Evil()}, os.path.join(out, "refuse_exec.pkl"), "archive")


def full(out, images_dir):
    os.makedirs(out, exist_ok=True)
    refs = Refs(out)
    images = image_files(images_dir)[:8]  # 8 images: float64 ResNet50 is slow on two cores
    vocab = ["Abyssinian", "Bengal", "Birman", "Bombay", "beagle", "boxer", "pug"]
    for i, arch in enumerate(("resnet18", "resnet34", "resnet50")):
        learn = vision_learner(arch, 64, vocab, [fa.Resize(224)], [imagenet_norm()], seed=10 + i)
        reference(refs, arch, learn, arch, 64, images, (224, "crop", "reflection"))
        save(learn, os.path.join(out, f"{arch}_export.pkl"), "archive")
        if arch == "resnet34":  # the chapter's: learn.save('stage-1') too
            save({"model": learn.model.state_dict(), "opt": None}, os.path.join(out, f"{arch}_save.pth"), "named")
    # The chapter's presizing: Resize(460), then aug_transforms(size=224,
    # min_scale=0.75), whose valid path shrinks 460 -> 224: "chapter" is
    # what fastai predicts (its _grid_sample area-averages 460 -> 448
    # first), "chapter_noarea" the same without the area step (how far
    # leaving it out moves the predictions).
    learn = vision_learner("resnet34", 64, vocab, [fa.Resize(460)],
                           fa.aug_transforms(size=224, min_scale=0.75) + [imagenet_norm()], seed=20)
    valid = dict(size=224, square_crop=True)
    reference(refs, "chapter", learn, "resnet34", 64, images, (460, "crop", "reflection"), gpu=valid,
              variants={"chapter_noarea": dict(valid, area=False)})
    save(learn, os.path.join(out, "chapter_export.pkl"), "archive")
    refs.write({"images": [os.path.basename(p) for p in images], "images_dir": os.path.abspath(images_dir)})
    print(f"full-size fastai files in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("tiny", "full"):
        sys.exit(__doc__)
    torch.manual_seed(0)
    fa.random.seed(0)
    torch.set_num_threads(2)
    (tiny if sys.argv[1] == "tiny" else full)(sys.argv[2], sys.argv[3])
