"""Sample-quality metrics without Inception weights: a Fréchet distance in the feature space of a
small classifier trained on the same data ("FD-cls"), and class coverage.

    FD(a, b) = ‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^{1/2})

(the formula of FID, Heusel et al., arXiv 1706.08500, with another feature extractor; numbers are
comparable only within one feature extractor).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg
import torch
from torch import Tensor

__all__ = ["frechet_distance", "feature_statistics", "class_coverage"]


def feature_statistics(features: Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (float64) of an ``(N, d)`` feature matrix, ``N >= 2``."""
    f = features.detach().cpu().double().numpy() if isinstance(features, Tensor) \
        else np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"features must have shape (N >= 2, d), got {f.shape}")
    return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet_distance(a: Tensor | np.ndarray | tuple[np.ndarray, np.ndarray],
                     b: Tensor | np.ndarray | tuple[np.ndarray, np.ndarray]) -> float:
    """Fréchet distance between two Gaussians fitted to feature matrices ``(N, d)`` (or given
    directly as ``(mean, cov)`` pairs)."""
    mu1, s1 = a if isinstance(a, tuple) else feature_statistics(a)
    mu2, s2 = b if isinstance(b, tuple) else feature_statistics(b)
    if mu1.shape != mu2.shape:
        raise ValueError(f"feature dimensions differ: {mu1.shape} vs {mu2.shape}")
    with warnings.catch_warnings():  # singular products are handled just below
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(s1 @ s2)
    if not np.isfinite(covmean).all():
        eps = 1e-6 * np.eye(s1.shape[0])
        covmean = scipy.linalg.sqrtm((s1 + eps) @ (s2 + eps))
    covmean = np.real(covmean)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean))


def class_coverage(predicted: Tensor, num_classes: int) -> dict[str, float]:
    """How generated samples spread over classes (predicted by a classifier).

    Returns ``covered`` (classes with at least 1 % of the samples, a count), ``min_share`` (the
    rarest class's share) and ``entropy`` (of the class histogram, in nats; log K when uniform).
    """
    if predicted.dim() != 1:
        raise ValueError(f"predicted labels must have shape (N,), got {tuple(predicted.shape)}")
    counts = torch.bincount(predicted.long().cpu(), minlength=num_classes).double()
    share = counts / counts.sum().clamp(min=1)
    nz = share[share > 0]
    return {"covered": float((share >= 0.01).sum()), "min_share": float(share.min()),
            "entropy": float(-(nz * nz.log()).sum())}
