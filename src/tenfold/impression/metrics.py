"""Image-quality and retrieval measures for the impression experiments.

* ``psnr(x, y) = 10 log10(R² / MSE)`` per image, with ``R`` the data range.
* ``ssim``: the structural similarity of Wang et al. (IEEE TIP 2004) with an 11×11 Gaussian
  window (σ = 1.5; smaller for images under 11 px), ``C1 = (0.01 R)²``, ``C2 = (0.03 R)²``,
  averaged over positions and channels, per image.
* ``loo_1nn_accuracy``: leave-one-out 1-nearest-neighbour class accuracy of feature vectors.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["loo_1nn_accuracy", "psnr", "ssim"]


def _check_pair(x: Tensor, y: Tensor) -> None:
    if x.shape != y.shape or x.dim() != 4:
        raise ValueError(f"expected two image batches (N, C, H, W) of one shape, got "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")


def psnr(x: Tensor, y: Tensor, data_range: float = 1.0) -> Tensor:
    """Peak signal-to-noise ratio per image, ``(N,)`` in dB."""
    _check_pair(x, y)
    mse = (x - y).pow(2).flatten(1).mean(1).clamp_min(1e-12)
    return 10 * torch.log10(data_range ** 2 / mse)


def _gaussian_window(size: int, sigma: float, device) -> Tensor:
    ax = torch.arange(size, dtype=torch.float32, device=device) - (size - 1) / 2
    g = torch.exp(-ax.pow(2) / (2 * sigma ** 2))
    g = g / g.sum()
    return g[:, None] * g[None, :]


def ssim(x: Tensor, y: Tensor, data_range: float = 1.0) -> Tensor:
    """Structural similarity per image, ``(N,)`` (``valid`` positions only)."""
    _check_pair(x, y)
    size = min(11, x.shape[-1], x.shape[-2])
    sigma = 1.5 * size / 11
    c = x.shape[1]
    win = _gaussian_window(size, sigma, x.device).expand(c, 1, size, size).to(x.dtype)

    def blur(t: Tensor) -> Tensor:
        return F.conv2d(t, win, groups=c)

    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx.pow(2)
    syy = blur(y * y) - my.pow(2)
    sxy = blur(x * y) - mx * my
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx.pow(2) + my.pow(2) + c1) * (sxx + syy + c2))
    return s.flatten(1).mean(1)


def loo_1nn_accuracy(features: Tensor, labels: Tensor) -> float:
    """Leave-one-out 1-NN accuracy (Euclidean) of ``features`` (N, D) against ``labels`` (N,)."""
    if features.dim() != 2 or labels.shape != (features.shape[0],) or len(labels) < 2:
        raise ValueError(f"expected features (N, D) and labels (N,) with N >= 2, got "
                         f"{tuple(features.shape)} and {tuple(labels.shape)}")
    d = torch.cdist(features.double(), features.double())
    d.fill_diagonal_(float("inf"))
    return float((labels[d.argmin(1)] == labels).float().mean())
