"""fastai's resampling step, written from fastai/vision/augment.py for the
parity references (scripts/parity_torch.py, scripts/fastai_files.py): every
geometric batch transform of fastai ends in _grid_sample."""
import torch
import torch.nn.functional as F


def grid_sample(x, coords):
    """fastai's _grid_sample in bilinear mode, as written there: the zoom z
    from the whole batch's coords (x and y together), d from x's and
    coords' shapes (coords is [B, H_out, W_out, 2]: coords.shape[-2] is the
    output width, coords.shape[-1] the 2 of (x, y)), the area interpolation
    by 1/d when d > 1 and d > z (460 -> 448 for the chapter's 224), then
    grid_sample with reflection padding and align_corners=True."""
    mn, mx = coords.min(), coords.max()
    z = 1 / (mx - mn).item() * 2
    d = min(x.shape[-2] / coords.shape[-2], x.shape[-1] / coords.shape[-1]) / 2
    if d > 1 and d > z:
        x = F.interpolate(x, scale_factor=1 / d, mode="area", recompute_scale_factor=True)
    return F.grid_sample(x, coords, mode="bilinear", padding_mode="reflection", align_corners=True)


def resize(x, h, w, area=True):
    """affine_coord with no matrix or warp to h x w: an identity affine_grid
    through _grid_sample (fastai's validation resize, and
    RandomResizedCropGPU's resize of its slice). area=False leaves out
    _grid_sample's area step."""
    theta = torch.eye(2, 3, dtype=x.dtype)[None].expand(x.shape[0], 2, 3)
    grid = F.affine_grid(theta, (x.shape[0], x.shape[1], h, w), align_corners=True)
    if area:
        return grid_sample(x, grid)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=True)
