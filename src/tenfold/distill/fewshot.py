"""Few-shot subsets and light augmentation for label-free distillation.

NetGraft (arXiv 2012.04915) distils with N *unlabelled* images per class. The official code
shuffles each class's indices with a fixed seed and keeps the first N, so the subsets are
nested (the 1-shot set is inside the 5-shot set). :func:`few_shot_indices` does the same with a
``torch.Generator``. Labels are used only to pick the images, never for training.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def few_shot_indices(labels: torch.Tensor | Sequence[int], n_per_class: int, seed: int = 0,
                     classes: Sequence[int] | None = None) -> torch.Tensor:
    """Exactly ``n_per_class`` indices of every class, nested across ``n_per_class``.

    For a fixed ``seed`` each class's indices are permuted once, and the first ``n_per_class``
    are kept, so ``few_shot_indices(y, 1, s) ⊂ few_shot_indices(y, 5, s)``. The result is sorted
    by class, then by the permutation order.

    Raises:
        ValueError: if a class has fewer than ``n_per_class`` examples.
    """
    labels = torch.as_tensor(labels).long().flatten()
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be >= 1, got {n_per_class}")
    classes = sorted(int(c) for c in (classes if classes is not None else labels.unique().tolist()))
    out = []
    for c in classes:
        members = torch.nonzero(labels == c).flatten()
        if members.numel() < n_per_class:
            raise ValueError(f"class {c} has {members.numel()} examples, "
                             f"fewer than n_per_class={n_per_class}")
        gen = torch.Generator().manual_seed(int(seed) * 1009 + c)
        order = torch.randperm(members.numel(), generator=gen)
        out.append(members[order[:n_per_class]])
    return torch.cat(out)


class RandomShiftFlip:
    """Batch augmentation on tensors: random crop of a zero-padded image (a shift of up to
    ``pad`` pixels) and optionally a horizontal flip with probability 1/2, per sample.

    This is the official NetGraft augmentation (RandomCrop(32, padding=4) + flip) written for
    ``(B, C, H, W)`` tensors with an explicit ``torch.Generator``.
    """

    def __init__(self, pad: int = 4, flip: bool = True):
        if pad < 0:
            raise ValueError(f"pad must be >= 0, got {pad}")
        self.pad = pad
        self.flip = flip

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f"expected images of shape (B, C, H, W), got {tuple(x.shape)}")
        b, _, h, w = x.shape
        if self.pad:
            padded = F.pad(x, (self.pad,) * 4)
            offs = torch.randint(0, 2 * self.pad + 1, (b, 2), generator=generator).tolist()
            x = torch.stack([padded[i, :, dy:dy + h, dx:dx + w] for i, (dy, dx) in enumerate(offs)])
        if self.flip:
            mask = torch.rand(b, generator=generator) < 0.5
            x = torch.where(mask.to(x.device)[:, None, None, None], x.flip(3), x)
        return x

    def __repr__(self) -> str:
        return f"{type(self).__name__}(pad={self.pad}, flip={self.flip})"


def validation_split(x: torch.Tensor, y: torch.Tensor, seed: int = 12345) -> dict:
    """A fixed 80/20 split of a training set for tuning: a permutation from ``seed``, every 5th
    item of it held out. Returns ``{"train": (x, y), "test": (x_val, y_val)}`` (training items
    in their original order)."""
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y need the same number of items, got {x.shape[0]} and "
                         f"{y.shape[0]}")
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    val = order[::5]
    train = torch.cat([order[i::5] for i in range(1, 5)]).sort().values
    return {"train": (x[train], y[train]), "test": (x[val], y[val])}


def evaluation_sets(data: dict, *, validation: bool = False, test_size: int = 0,
                    curve_size: int = 1000, seed: int = 2012_04915) -> tuple[dict, tuple, tuple]:
    """``(data, test, curve)`` for a few-shot distillation run.

    With ``validation`` the training set is split by :func:`validation_split` and its held-out
    fifth replaces the test set (the test set is never touched). The test set is then reordered
    by ``randperm(N_test)`` from ``seed`` — so that prefixes of class-sorted folders cover every
    class — and cut to its first ``test_size`` items (0 = all) for the reported accuracies; the
    first ``curve_size`` items of it are the subset of the accuracy-vs-steps curves.
    """
    if test_size < 0 or curve_size < 1:
        raise ValueError(f"test_size >= 0 and curve_size >= 1 expected, got {test_size} and "
                         f"{curve_size}")
    if "train" not in data or (not validation and "test" not in data):
        raise ValueError(f"expected 'train' and 'test' splits, got {sorted(data)}")
    if validation:
        data = validation_split(*data["train"])
    xte, yte = data["test"]
    order = torch.randperm(len(yte), generator=torch.Generator().manual_seed(seed))
    xte, yte = xte[order], yte[order]
    if test_size:
        xte, yte = xte[:test_size], yte[:test_size]
    return data, (xte, yte), (xte[:curve_size], yte[:curve_size])
