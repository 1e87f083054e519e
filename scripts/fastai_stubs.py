"""Stand-ins for the fastai 2.7 / fastcore 1.5 classes that a vision
learner's export.pkl pickles, so that Debian's python3 + torch can write
the same object graph without fastai (which cannot be installed here).

Each class lives in the module fastai defines it in and has the name,
base classes, instance attributes (__dict__ layout) and pickling hooks of
fastai's own, read from fastai's source (fastai/learner.py, vision/learner.py,
layers.py, torch_core.py, data/core.py, data/load.py, data/transforms.py,
vision/augment.py, vision/core.py, losses.py, metrics.py, callback/*.py) and
fastcore's (basics.py, foundation.py, transform.py, dispatch.py). Only what
pickling records is reproduced: constructors store the attributes fastai
stores, forward passes exist only where the reference rebuild needs none
(it is written in plain torch in fastai_files.py). Nothing here is fastai's
code; it is a description of what fastai's objects look like once pickled.

fastgo's reader (fastgo/vision/models/fastai) parses these files as data; the
tests in that package say which parts it reads.
"""
import collections
import functools
import inspect
import pathlib
import random
import re
import sys
import types

import torch
from torch import nn

try:  # Pillow >= 9.1 pickles resampling filters as an enum, as fastai 2.7 stores them
    from PIL.Image import Resampling

    BILINEAR, NEAREST = Resampling.BILINEAR, Resampling.NEAREST
except ImportError:  # pragma: no cover
    BILINEAR, NEAREST = 2, 0


def _module(name):
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        n = ".".join(parts[:i])
        if n not in sys.modules:
            sys.modules[n] = types.ModuleType(n)
            if i > 1:
                setattr(sys.modules[".".join(parts[: i - 1])], parts[i - 1], sys.modules[n])
    return sys.modules[name]


def lives_in(module):
    """Places a class or function in module (as fastai defines it there),
    so that pickle records it as module.name."""

    def place(obj):
        obj.__module__ = module
        obj.__qualname__ = obj.__name__
        setattr(_module(module), obj.__name__, obj)
        return obj

    return place


def camel2snake(name):
    s1 = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z0-9])([A-Z])", r"\1_\2", s1).lower()


# --- fastcore -----------------------------------------------------------------


def store_attr(self, **attrs):
    """fastcore.basics.store_attr: the attributes, and the same values in
    __stored_args__ (store_args defaults to True for classes without slots)."""
    if not hasattr(self, "__stored_args__"):
        self.__stored_args__ = {}
    for k, v in attrs.items():
        setattr(self, k, v)
        self.__stored_args__[k] = v


@lives_in("fastcore.basics")
class GetAttr:
    _default = "default"

    def __setstate__(self, data):
        self.__dict__.update(data)


@lives_in("fastcore.basics")
class fastuple(tuple):
    pass


@lives_in("fastcore.foundation")
class CollBase:
    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, k):
        return self.items[k]

    def __iter__(self):
        return iter(self.items)


@lives_in("fastcore.foundation")
class L(GetAttr, CollBase):
    _default = "items"

    def __init__(self, items=None):
        if items is None:
            items = []
        elif isinstance(items, L):
            items = list(items.items)
        elif isinstance(items, (list, tuple)):
            items = list(items)
        else:
            items = [items]
        CollBase.__init__(self, items)

    def __add__(self, other):
        return L(self.items + list(L(other).items))


@lives_in("fastcore.dispatch")
class _TypeDict:
    def __init__(self):
        self.d, self.cache = {}, {}


@lives_in("fastcore.dispatch")
class TypeDispatch:
    def __init__(self, funcs=(), bases=()):
        self.funcs, self.bases = _TypeDict(), L(bases)
        for f in funcs:
            self.add(f)
        self.inst, self.owner = None, None

    def add(self, f):
        self.funcs.d[object] = f


@lives_in("fastcore.transform")
class _TfmMeta(type):
    def __call__(cls, *args, **kwargs):
        obj = super().__call__(*args, **kwargs)
        # fastcore 1.5 sets each instance's __signature__ (an inspect.Signature).
        if hasattr(obj, "__call__"):
            obj.__signature__ = inspect.signature(obj.__call__)
        return obj


@lives_in("fastcore.transform")
class Transform(metaclass=_TfmMeta):
    split_idx, init_enc, order, train_setup = None, None, 0, None

    def __init__(self, enc=None, dec=None, split_idx=None, order=None):
        self.split_idx = split_idx if split_idx is not None else self.split_idx
        if order is not None:
            self.order = order
        self.init_enc = enc or dec
        if not self.init_enc:
            return
        self.encodes, self.decodes, self.setups = TypeDispatch(), TypeDispatch(), TypeDispatch()
        if enc:
            self.encodes.add(enc)
            self.order = getattr(enc, "order", self.order)
            self._name = getattr(enc, "__qualname__", type(enc).__name__)

    def __call__(self, x, **kwargs):
        return x


@lives_in("fastcore.transform")
class DisplayedTransform(Transform):
    pass


@lives_in("fastcore.transform")
class ItemTransform(Transform):
    _retain = True


@lives_in("fastcore.transform")
class Pipeline:
    def __init__(self, funcs=None, split_idx=None):
        self.split_idx, self.default = split_idx, None
        funcs = [] if funcs is None else list(funcs)
        funcs = [f if isinstance(f, (Transform, Pipeline)) else Transform(f) for f in funcs]  # mk_transform
        self.fs = L(sorted(funcs, key=lambda f: f.order))
        for f in self.fs:
            name = camel2snake(type(f).__name__)
            a = self.__dict__.get(name)
            if a is not None:
                f = L(a) + f
            setattr(self, name, f)

    def __setstate__(self, data):
        self.__dict__.update(data)


# --- fastai: torch_core, layers ---------------------------------------------


@lives_in("fastai.torch_core")
class PrePostInitMeta(type):
    def __call__(cls, *args, **kwargs):
        res = cls.__new__(cls)
        if type(res) == cls:
            if hasattr(res, "__pre_init__"):
                res.__pre_init__(*args, **kwargs)
            res.__init__(*args, **kwargs)
        return res


@lives_in("fastai.torch_core")
class Module(nn.Module, metaclass=PrePostInitMeta):
    def __pre_init__(self, *args, **kwargs):
        super().__init__()

    def __init__(self):
        pass


@lives_in("fastai.torch_core")
def _rebuild_from_type(func, type, args, dict):
    ret = func(*args).as_subclass(type)
    ret.__dict__ = dict
    return ret


@lives_in("fastai.torch_core")
class TensorBase(torch.Tensor):
    def __reduce_ex__(self, proto):
        args = (self.storage(), self.storage_offset(), tuple(self.size()), self.stride(), self.requires_grad,
                collections.OrderedDict())
        return (_rebuild_from_type, (torch._utils._rebuild_tensor_v2, type(self), args, self.__dict__))


for _name in ("TensorImage", "TensorCategory", "TensorMultiCategory"):
    lives_in("fastai.torch_core")(type(_name, (TensorBase,), {}))


@lives_in("fastai.torch_core")
def trainable_params(m):
    return [p for p in m.parameters() if p.requires_grad]


@lives_in("fastai.layers")
class AdaptiveConcatPool2d(Module):
    def __init__(self, size=None):
        self.size = size or 1
        self.ap = nn.AdaptiveAvgPool2d(self.size)
        self.mp = nn.AdaptiveMaxPool2d(self.size)


@lives_in("fastai.layers")
class Flatten(Module):
    def __init__(self, full=False):
        self.full = full


@lives_in("fastai.layers")
class SigmoidRange(Module):
    def __init__(self, low, high):
        self.low, self.high = low, high


@lives_in("fastai.layers")
def BatchNorm(nf, ndim=2, zero=False, **kwargs):
    bn = getattr(nn, f"BatchNorm{ndim}d")(nf, **kwargs)
    with torch.no_grad():
        bn.bias.fill_(1e-3)
        bn.weight.fill_(0.0 if zero else 1.0)
    return bn


@lives_in("fastai.layers")
class LinBnDrop(nn.Sequential):
    def __init__(self, n_in, n_out, bn=True, p=0.0, act=None, lin_first=False):
        layers = [BatchNorm(n_out if lin_first else n_in, ndim=1)] if bn else []
        if p != 0:
            layers.append(nn.Dropout(p))
        lin = [nn.Linear(n_in, n_out, bias=not bn)]
        if act is not None:
            lin.append(act)
        layers = lin + layers if lin_first else layers + lin
        super().__init__(*layers)


@lives_in("fastai.vision.learner")
def create_head(nf, n_out, lin_ftrs=None, ps=0.5, pool=True, concat_pool=True, first_bn=True,
                bn_final=False, lin_first=False, y_range=None):
    """fastai 2.7's create_head (nf is the body's channel count)."""
    if pool and concat_pool:
        nf *= 2
    lin_ftrs = [nf, 512, n_out] if lin_ftrs is None else [nf] + lin_ftrs + [n_out]
    bns = [first_bn] + [True] * len(lin_ftrs[1:])
    ps = [ps] if not isinstance(ps, (list, tuple)) else list(ps)
    if len(ps) == 1:
        ps = [ps[0] / 2] * (len(lin_ftrs) - 2) + ps
    actns = [nn.ReLU(inplace=True)] * (len(lin_ftrs) - 2) + [None]
    layers = []
    if pool:
        layers += [AdaptiveConcatPool2d() if concat_pool else nn.AdaptiveAvgPool2d(1), Flatten()]
    if lin_first:
        layers.append(nn.Dropout(ps.pop(0)))
    for ni, no, bn, p, actn in zip(lin_ftrs[:-1], lin_ftrs[1:], bns, ps, actns):
        layers += LinBnDrop(ni, no, bn=bn, p=p, act=actn, lin_first=lin_first)
    if lin_first:
        layers.append(nn.Linear(lin_ftrs[-2], n_out))
    if bn_final:
        layers.append(nn.BatchNorm1d(lin_ftrs[-1], momentum=0.01))
    if y_range is not None:
        layers.append(SigmoidRange(*y_range))
    return nn.Sequential(*layers)


@lives_in("fastai.vision.learner")
def _resnet_split(m):
    return [m[0][:6], m[0][6:], m[1:]]


# --- fastai: losses, metrics, optimizer ---------------------------------------


@lives_in("fastai.losses")
class BaseLoss:
    def __init__(self, loss_cls, *args, axis=-1, flatten=True, floatify=False, is_2d=True, **kwargs):
        store_attr(self, axis=axis, flatten=flatten, floatify=floatify, is_2d=is_2d)
        self.func = loss_cls(*args, **kwargs)
        functools.update_wrapper(self, self.func)


@lives_in("fastai.losses")
class CrossEntropyLossFlat(BaseLoss):
    y_int = True

    def __init__(self, *args, axis=-1, **kwargs):
        super().__init__(nn.CrossEntropyLoss, *args, axis=axis, **kwargs)


@lives_in("fastai.losses")
class BCEWithLogitsLossFlat(BaseLoss):
    def __init__(self, *args, axis=-1, floatify=True, thresh=0.5, **kwargs):
        super().__init__(nn.BCEWithLogitsLoss, *args, axis=axis, floatify=floatify, is_2d=False, **kwargs)
        self.thresh = thresh


@lives_in("fastai.losses")
class MSELossFlat(BaseLoss):
    def __init__(self, *args, axis=-1, floatify=True, **kwargs):
        super().__init__(nn.MSELoss, *args, axis=axis, floatify=floatify, is_2d=False, **kwargs)


@lives_in("fastai.metrics")
def error_rate(inp, targ, axis=-1):
    return 1 - (inp.argmax(dim=axis) == targ).float().mean()


@lives_in("fastai.optimizer")
def Adam(params, lr, mom=0.9, sqr_mom=0.99, eps=1e-5, wd=0.01, decouple_wd=True):
    raise NotImplementedError


# --- fastai: callbacks, learner -----------------------------------------------


@lives_in("fastai.callback.core")
class Callback(GetAttr):
    _default, learn, run, run_train, run_valid = "learn", None, True, True, True


@lives_in("fastai.callback.core")
class TrainEvalCallback(Callback):
    order, run_valid = -10, False


@lives_in("fastai.callback.core")
class CastToTensor(Callback):
    order = -9


@lives_in("fastai.callback.progress")
class ProgressCallback(Callback):
    order = 60


@lives_in("fastai.learner")
class AvgLoss:
    def __init__(self):
        self.total, self.count = torch.tensor(0.0), 0


@lives_in("fastai.learner")
class AvgSmoothLoss:
    def __init__(self, beta=0.98):
        store_attr(self, beta=beta)
        self.count, self.val = 0, torch.tensor(0.0)


@lives_in("fastai.learner")
class AvgMetric:
    def __init__(self, func):
        self.func = func
        self.total, self.count = 0.0, 0


@lives_in("fastai.learner")
class Recorder(Callback):
    order = 50

    def __init__(self, add_time=True, train_metrics=False, valid_metrics=True, beta=0.98):
        store_attr(self, add_time=add_time, train_metrics=train_metrics, valid_metrics=valid_metrics)
        self.loss, self.smooth_loss = AvgLoss(), AvgSmoothLoss(beta=beta)
        self.lrs, self.iters, self.losses, self.values = [], [], [], []


@lives_in("fastai.learner")
class Learner(GetAttr):
    _default = "model"

    def __init__(self, dls, model, loss_func, opt_func=Adam, lr=1e-3, splitter=trainable_params, cbs=None,
                 metrics=None, path=None, model_dir="models", wd=None, wd_bn_bias=False, train_bn=True,
                 moms=(0.95, 0.85, 0.95), default_cbs=True):
        path = pathlib.Path(path) if path is not None else getattr(dls, "path", pathlib.Path("."))
        store_attr(self, dls=dls, model=model, opt_func=opt_func, lr=lr, splitter=splitter, path=path,
                   model_dir=model_dir, wd=wd, wd_bn_bias=wd_bn_bias, train_bn=train_bn, moms=moms,
                   default_cbs=default_cbs, loss_func=loss_func)
        self.training, self.create_mbar, self.logger, self.opt, self.cbs = False, True, print, None, L()
        self._metrics = L([AvgMetric(m) for m in (metrics or [])])
        for cb in [TrainEvalCallback(), Recorder(), CastToTensor(), ProgressCallback()] + list(cbs or []):
            cb.learn = self
            setattr(self, camel2snake(type(cb).__name__).replace("_callback", ""), cb)
            self.cbs.items.append(cb)
        self.epoch, self.n_epoch = 0, 1
        # Learner._end_cleanup, which export runs first.
        self.dl, self.xb, self.yb, self.pred, self.loss = None, (None,), (None,), None, None


for _mod, _cls in (("fastai.tabular.learner", "TabularLearner"), ("fastai.text.learner", "TextLearner")):
    lives_in(_mod)(type(_cls, (Learner,), {}))


# --- fastai: data -------------------------------------------------------------


@lives_in("fastai.data.load")
class _FakeLoader:
    def __init__(self, d, pin_memory, num_workers, timeout, persistent_workers, pin_memory_device):
        self.batch_size, self.drop_last, self.dataset_kind, self.pin_memory_device = 1, False, 0, pin_memory_device
        self.d, self.pin_memory, self.num_workers, self.timeout = d, pin_memory, num_workers, timeout
        self.persistent_workers = persistent_workers
        self._index_sampler, self.generator, self.prefetch_factor = None, None, 2
        self._DataLoader__initialized, self._IterableDataset_len_called = True, None


@lives_in("fastai.data.load")
class DataLoader(GetAttr):
    def __init__(self, dataset=None, bs=None, num_workers=0, pin_memory=False, timeout=0, shuffle=False,
                 drop_last=False, indexed=None, n=None, device=None, persistent_workers=False,
                 pin_memory_device="", **kwargs):
        for k in ("after_item", "before_batch", "after_batch"):
            if k in kwargs:
                setattr(self, k, kwargs.pop(k))
        if indexed is None:
            indexed = True
        if n is None:
            n = len(dataset)
        store_attr(self, dataset=dataset, bs=bs, shuffle=shuffle, drop_last=drop_last, indexed=indexed, n=n,
                   pin_memory=pin_memory, timeout=timeout, device=device)
        self.rng, self.num_workers, self.offs = random.Random(random.randint(0, 2 ** 32 - 1)), 1, 0
        self.fake_l = _FakeLoader(self, pin_memory, num_workers, timeout, persistent_workers, pin_memory_device)


@lives_in("fastai.data.core")
class TfmdDL(DataLoader):
    def __init__(self, dataset, bs=64, shuffle=False, num_workers=None, verbose=False, do_setup=True, **kwargs):
        for nm in ("after_item", "before_batch", "after_batch"):
            kwargs[nm] = Pipeline(kwargs.get(nm, None))
        super().__init__(dataset, bs=bs, shuffle=shuffle, num_workers=num_workers or 0, **kwargs)
        # TfmdDL.new copies these from the loader it was made from.
        self._n_inp = 1
        self._types = {TensorImage: [TensorImage, TensorCategory]}  # noqa: F821 (placed above)


TensorImage = sys.modules["fastai.torch_core"].TensorImage
TensorCategory = sys.modules["fastai.torch_core"].TensorCategory


@lives_in("fastai.data.core")
class DataLoaders(GetAttr):
    _default = "train"

    def __init__(self, *loaders, path=".", device=None):
        self.loaders, self.path = list(loaders), pathlib.Path(path)
        self.device = device


@lives_in("fastai.data.core")
class FilteredBase:
    _dl_type, _dbunch_type = TfmdDL, DataLoaders

    def __init__(self, *args, dl_type=None, **kwargs):
        # fastai keeps the delegates()-wrapped bound method in the instance:
        # it pickles as getattr(self, 'dataloaders').
        self.dataloaders = self.dataloaders
        super().__init__(*args, **kwargs)

    def dataloaders(self, bs=64, **kwargs):
        raise NotImplementedError


@lives_in("fastai.data.core")
class TfmdLists(FilteredBase, L, GetAttr):
    _default = "tfms"

    def __init__(self, items, tfms, split_idx=None, splits=None, types=None):
        super().__init__(items)
        self.splits = L([slice(None), []] if splits is None else splits)
        self.tfms = tfms if isinstance(tfms, Pipeline) else Pipeline(tfms, split_idx=split_idx)
        store_attr(self, types=types, split_idx=split_idx)
        self.pretty_types = ""


@lives_in("fastai.data.core")
class Datasets(FilteredBase):
    def __init__(self, tls, n_inp=1):
        super().__init__()
        self.tls = L(tls)
        self.n_inp = n_inp

    def __len__(self):
        return len(self.tls.items[0])


@lives_in("fastai.data.transforms")
class ToTensor(Transform):
    order = 5


@lives_in("fastai.data.transforms")
class IntToFloatTensor(DisplayedTransform):
    order = 10

    def __init__(self, div=255.0, div_mask=1):
        store_attr(self, div=div, div_mask=div_mask)
        super().__init__()


@lives_in("fastai.data.transforms")
class Normalize(DisplayedTransform):
    order = 99

    def __init__(self, mean=None, std=None, axes=(0, 2, 3)):
        store_attr(self, mean=mean, std=std, axes=axes)
        super().__init__()

    @classmethod
    def from_stats(cls, mean, std, dim=1, ndim=4):
        v = [1] * ndim
        v[dim] = -1
        return cls(torch.tensor(mean).view(*v), torch.tensor(std).view(*v))


@lives_in("fastai.data.transforms")
class CategoryMap(CollBase):
    def __init__(self, col, sort=True, add_na=False):
        items = sorted(set(col)) if sort else list(dict.fromkeys(col))
        if add_na:
            items = ["#na#"] + items
        CollBase.__init__(self, L(items))
        self.o2i = {v: k for k, v in enumerate(items)}


@lives_in("fastai.data.transforms")
class Categorize(DisplayedTransform):
    order = 1

    def __init__(self, vocab=None, sort=True, add_na=False):
        if vocab is not None:
            vocab = CategoryMap(vocab, sort=sort, add_na=add_na)
        store_attr(self, vocab=vocab, sort=sort, add_na=add_na)
        super().__init__()


@lives_in("fastai.data.transforms")
class MultiCategorize(Categorize):
    order = 1


@lives_in("fastai.data.transforms")
class RegressionSetup(DisplayedTransform):
    def __init__(self, c=None):
        store_attr(self, c=c)
        super().__init__()


@lives_in("fastai.data.transforms")
class RegexLabeller:
    def __init__(self, pat, match=False):
        self.pat, self.match = re.compile(pat), match
        self.matcher = self.pat.match if match else self.pat.search


@lives_in("fastai.data.transforms")
def parent_label(o):
    return pathlib.Path(o).parent.name


@lives_in("fastai.vision.core")
class PILBase:
    _open_args, _show_args = {"mode": "RGB"}, {}

    @classmethod
    def create(cls, fn, **kwargs):
        raise NotImplementedError


@lives_in("fastai.vision.core")
class PILImage(PILBase):
    pass


@lives_in("fastai.vision.core")
class PILImageBW(PILImage):
    _open_args = {"mode": "L"}


# --- fastai: vision.augment -----------------------------------------------------


@lives_in("fastai.vision.augment")
class RandTransform(DisplayedTransform):
    do, nm, supports, split_idx = True, None, [], 0

    def __init__(self, p=1.0, nm=None, before_call=None, **kwargs):
        store_attr(self, p=p)
        super().__init__(**kwargs)
        # fastai keeps the bound method in the instance (getattr(self, 'before_call') once pickled).
        self.before_call = before_call if before_call is not None else self.before_call

    def before_call(self, b, split_idx):
        self.do = True


def _process_sz(size):
    if isinstance(size, int):
        size = (size, size)
    return fastuple((size[1], size[0]))


@lives_in("fastai.vision.augment")
class Resize(RandTransform):
    split_idx, mode, mode_mask, order = None, BILINEAR, NEAREST, 1

    def __init__(self, size, method="crop", pad_mode="reflection", resamples=(BILINEAR, NEAREST), **kwargs):
        size = _process_sz(size)
        store_attr(self, size=size, method=method, pad_mode=pad_mode, resamples=resamples)
        super().__init__(**kwargs)
        self.mode, self.mode_mask = resamples


@lives_in("fastai.vision.augment")
class RandomResizedCrop(RandTransform):
    split_idx, order = None, 1

    def __init__(self, size, min_scale=0.08, ratio=(3 / 4, 4 / 3), resamples=(BILINEAR, NEAREST), val_xtra=0.14,
                 max_scale=1.0, **kwargs):
        size = _process_sz(size)
        store_attr(self, size=size, min_scale=min_scale, ratio=ratio, val_xtra=val_xtra, max_scale=max_scale)
        super().__init__(**kwargs)
        self.mode, self.mode_mask = resamples


for _f in ("flip_mat", "rotate_mat", "zoom_mat"):
    lives_in("fastai.vision.augment")(types.FunctionType((lambda *a, **k: None).__code__, {}, _f))


@lives_in("fastai.vision.augment")
class _WarpCoord:
    def __init__(self, magnitude=0.2, p=0.5, draw_x=None, draw_y=None, batch=False):
        store_attr(self, magnitude=magnitude, p=p, draw_x=draw_x, draw_y=draw_y, batch=batch)


@lives_in("fastai.vision.augment")
class AffineCoordTfm(RandTransform):
    order, split_idx = 30, None

    def __init__(self, aff_fs=None, coord_fs=None, size=None, mode="bilinear", pad_mode="reflection",
                 mode_mask="nearest", align_corners=None, **kwargs):
        store_attr(self, size=size, mode=mode, pad_mode=pad_mode, mode_mask=mode_mask, align_corners=align_corners)
        super().__init__(**kwargs)
        self.aff_fs, self.coord_fs = L(aff_fs), L(coord_fs)
        self.cp_size = None if size is None else (size, size) if isinstance(size, int) else tuple(size)

    def compose(self, tfm):
        self.aff_fs = self.aff_fs + tfm.aff_fs
        self.coord_fs = self.coord_fs + tfm.coord_fs


_aug = sys.modules["fastai.vision.augment"]


@lives_in("fastai.vision.augment")
class Flip(AffineCoordTfm):
    def __init__(self, p=0.5, draw=None, size=None, mode="bilinear", pad_mode="reflection", align_corners=True,
                 batch=False):
        aff_fs = functools.partial(_aug.flip_mat, p=p, draw=draw, batch=batch)
        super().__init__(aff_fs, size=size, mode=mode, pad_mode=pad_mode, align_corners=align_corners, p=p)


@lives_in("fastai.vision.augment")
class Rotate(AffineCoordTfm):
    def __init__(self, max_deg=10, p=0.5, draw=None, size=None, mode="bilinear", pad_mode="reflection",
                 align_corners=True, batch=False):
        aff_fs = functools.partial(_aug.rotate_mat, max_deg=max_deg, p=p, draw=draw, batch=batch)
        super().__init__(aff_fs, size=size, mode=mode, pad_mode=pad_mode, align_corners=align_corners)


@lives_in("fastai.vision.augment")
class Zoom(AffineCoordTfm):
    def __init__(self, min_zoom=1.0, max_zoom=1.1, p=0.5, draw=None, draw_x=None, draw_y=None, size=None,
                 mode="bilinear", pad_mode="reflection", batch=False, align_corners=True):
        aff_fs = functools.partial(_aug.zoom_mat, min_zoom=min_zoom, max_zoom=max_zoom, p=p, draw=draw,
                                   draw_x=draw_x, draw_y=draw_y, batch=batch)
        super().__init__(aff_fs, size=size, mode=mode, pad_mode=pad_mode, align_corners=align_corners)


@lives_in("fastai.vision.augment")
class Warp(AffineCoordTfm):
    def __init__(self, magnitude=0.2, p=0.5, draw_x=None, draw_y=None, size=None, mode="bilinear",
                 pad_mode="reflection", batch=False, align_corners=True):
        store_attr(self, magnitude=magnitude, p=p)
        coord_fs = _WarpCoord(magnitude=magnitude, p=p, draw_x=draw_x, draw_y=draw_y, batch=batch)
        super().__init__(coord_fs=coord_fs, size=size, mode=mode, pad_mode=pad_mode, align_corners=align_corners)


@lives_in("fastai.vision.augment")
class LightingTfm(RandTransform):
    order = 40

    def __init__(self, fs, **kwargs):
        super().__init__(**kwargs)
        self.fs = L(fs)

    def compose(self, tfm):
        self.fs = self.fs + tfm.fs


@lives_in("fastai.vision.augment")
class _BrightnessLogit:
    def __init__(self, max_lighting=0.2, p=0.75, draw=None, batch=False):
        store_attr(self, max_lighting=max_lighting, p=p, draw=draw, batch=batch)


@lives_in("fastai.vision.augment")
class _ContrastLogit:
    def __init__(self, max_lighting=0.2, p=0.75, draw=None, batch=False):
        store_attr(self, max_lighting=max_lighting, p=p, draw=draw, batch=batch)


@lives_in("fastai.vision.augment")
class Brightness(LightingTfm):
    def __init__(self, max_lighting=0.2, p=0.75, draw=None, batch=False):
        super().__init__(_BrightnessLogit(max_lighting, p, draw, batch))


@lives_in("fastai.vision.augment")
class Contrast(LightingTfm):
    def __init__(self, max_lighting=0.2, p=0.75, draw=None, batch=False):
        super().__init__(_ContrastLogit(max_lighting, p, draw, batch))


@lives_in("fastai.vision.augment")
class RandomResizedCropGPU(RandTransform):
    split_idx, order = None, 30

    def __init__(self, size, min_scale=0.08, ratio=(3 / 4, 4 / 3), mode="bilinear", valid_scale=1.0,
                 max_scale=1.0, mode_mask="nearest", **kwargs):
        if isinstance(size, int):
            size = (size, size)
        store_attr(self, size=size, min_scale=min_scale, ratio=ratio, mode=mode, valid_scale=valid_scale,
                   max_scale=max_scale, mode_mask=mode_mask)
        super().__init__(**kwargs)


@lives_in("fastai.vision.augment")
def aug_transforms(mult=1.0, do_flip=True, max_rotate=10.0, min_zoom=1.0, max_zoom=1.1, max_lighting=0.2,
                   max_warp=0.2, p_affine=0.75, p_lighting=0.75, size=None, mode="bilinear",
                   pad_mode="reflection", align_corners=True, batch=False, min_scale=1.0):
    """fastai 2.7's aug_transforms followed by setup_aug_tfms (affine and
    lighting transforms each merged into the first of their kind)."""
    tkw = dict(size=size if min_scale == 1.0 else None, mode=mode, pad_mode=pad_mode, batch=batch,
               align_corners=align_corners)
    max_rotate, max_lighting, max_warp = max_rotate * mult, max_lighting * mult, max_warp * mult
    res = []
    if do_flip:
        res.append(Flip(p=0.5, **tkw))
    if max_warp:
        res.append(Warp(magnitude=max_warp, p=p_affine, **tkw))
    if max_rotate:
        res.append(Rotate(max_deg=max_rotate, p=p_affine, **tkw))
    if min_zoom < 1 or max_zoom > 1:
        res.append(Zoom(min_zoom=min_zoom, max_zoom=max_zoom, p=p_affine, **tkw))
    if max_lighting:
        res.append(Brightness(max_lighting=max_lighting, p=p_lighting, batch=batch))
        res.append(Contrast(max_lighting=max_lighting, p=p_lighting, batch=batch))
    xtra = [RandomResizedCropGPU(size, min_scale=min_scale, ratio=(1, 1))] if min_scale != 1.0 else []
    aff = [t for t in res if isinstance(t, AffineCoordTfm)]
    lig = [t for t in res if isinstance(t, LightingTfm)]
    for t in aff[1:]:
        aff[0].compose(t)
    for t in lig[1:]:
        lig[0].compose(t)
    return aff[:1] + lig[:1] + xtra
