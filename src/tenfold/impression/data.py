"""Data preparation for the impression-space experiments (Fang et al., arXiv 2007.05441):
images resized to the template's input side, class-sorted test sets mixed by a fixed
permutation, a fixed training subset, and the ``"a-b"`` class pairs of the translation task.
Pure tensor code: the caller loads the splits (``tenfold.data.tensor_images``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["MIX_SEED", "class_pair", "prepare_images"]

MIX_SEED = 2007_05441
"""Seed of the fixed permutations (the paper's arXiv number)."""


def prepare_images(splits: dict[str, tuple[Tensor, Tensor]], image_size: int, *,
                   mix_test: bool = False, train_subset: int = 0, seed: int = MIX_SEED
                   ) -> dict[str, tuple[Tensor, Tensor]]:
    """Images as float in [0, 1] at ``image_size`` px, labels as ``long``.

    Every split ``x`` (``(N, C, H, W)``) not already ``image_size`` wide is resized bilinearly
    (``align_corners=False``) and clamped back to [0, 1]. With ``mix_test`` the ``"test"`` split
    is reordered by ``randperm(N_test)`` from ``seed`` (so that its first items, used as small
    evaluation subsets, cover every class of a class-sorted folder); with ``train_subset > 0``
    the ``"train"`` split keeps the first ``train_subset`` items of ``randperm(N_train)`` from
    ``seed`` — the same subset for every run.
    """
    if image_size < 1:
        raise ValueError(f"image_size: expected a side >= 1 px, got {image_size}")
    if train_subset < 0:
        raise ValueError(f"train_subset: expected >= 0 (0 = all), got {train_subset}")
    for need, flag in (("test", mix_test), ("train", train_subset)):
        if flag and need not in splits:
            raise ValueError(f"expected a {need!r} split, got {sorted(splits)}")
    out = {}
    for split, (x, y) in splits.items():
        if x.dim() != 4 or len(x) != len(y):
            raise ValueError(f"split {split!r}: expected images (N, C, H, W) and N labels, got "
                             f"{tuple(x.shape)} and {tuple(y.shape)}")
        x = x.float()
        if x.shape[-1] != image_size:
            x = F.interpolate(x, size=(image_size,) * 2, mode="bilinear",
                              align_corners=False).clamp(0, 1)
        out[split] = (x, y.long())
    if mix_test:
        order = torch.randperm(len(out["test"][1]), generator=torch.Generator().manual_seed(seed))
        out["test"] = (out["test"][0][order], out["test"][1][order])
    if train_subset:
        idx = torch.randperm(len(out["train"][1]),
                             generator=torch.Generator().manual_seed(seed))[:train_subset]
        out["train"] = (out["train"][0][idx], out["train"][1][idx])
    return out


def class_pair(pair: str, num_classes: int = 10) -> tuple[int, int]:
    """``"a-b"`` → ``(a, b)``: a translation from class ``a`` to class ``b``, two different
    classes in ``0..num_classes - 1``; anything else raises ``ValueError``."""
    parts = pair.split("-")
    if len(parts) != 2 or not all(p.isdigit() and int(p) < num_classes for p in parts) \
            or int(parts[0]) == int(parts[1]):
        raise ValueError(f"expected 'a-b' with two different classes 0..{num_classes - 1}, "
                         f"got {pair!r}")
    return int(parts[0]), int(parts[1])
