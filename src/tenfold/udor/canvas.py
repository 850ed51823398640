"""Multi-object canvases with exact object-removed ground truth (UDOR, arXiv 2004.01426).

An image holds up to ``K`` objects, one per *category*; each category is present or absent.
Category ``c`` is drawn at slot ``c`` of a 2×2 grid (the official Multi-MNIST generator: digit
0 top-left, 1 top-right, 2 bottom-left, a fourth category bottom-right), optionally moved by a
uniform integer offset in ``[-max_offset, max_offset]`` per axis (the "offset" variant, which
breaks the shortcut "category = position"). Objects are combined by the pixel-wise maximum

    x = max_{c present} P_c,        x^{-c} = max_{c' present, c' ≠ c} P_{c'}

where ``P_c`` is object ``c`` pasted on an empty canvas. ``x^{-c}`` (``removed[:, c]``) is
rendered separately, so it is the *exact* image with object ``c`` removed; for an absent
category it equals ``x``. With fixed slots objects never overlap and ``x = x^{-c} + P_c``.

The number of objects is uniform in ``{0, …, K}`` and the present subset uniform given the number
(as in the official generator). Values are in ``[0, 1]``, empty canvas = 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

Slots = Literal["fixed", "offset"]


def object_pools(images: Tensor, labels: Tensor, classes: Sequence[int], size: int = 14
                 ) -> list[Tensor]:
    """One ``(M_c, size, size)`` pool of object patches per category ``classes[c]``.

    ``images`` ``(N, 1, H, W)`` or ``(N, H, W)`` in ``[0, 1]`` are resized with area averaging
    (bilinear when enlarging, e.g. scikit-learn's 8×8 digits) and clamped to ``[0, 1]``.
    """
    if images.dim() == 3:
        images = images.unsqueeze(1)
    if images.dim() != 4 or images.shape[1] != 1:
        raise ValueError(f"images: expected (N, 1, H, W) or (N, H, W), got {tuple(images.shape)}")
    if labels.shape != (images.shape[0],):
        raise ValueError(f"labels: expected ({images.shape[0]},), got {tuple(labels.shape)}")
    if len(set(classes)) != len(classes) or not classes:
        raise ValueError(f"classes: expected distinct labels, got {list(classes)}")
    pools = []
    for cls in classes:
        x = images[labels == cls].float()
        if len(x) == 0:
            raise ValueError(f"no image of class {cls}")
        mode = "area" if x.shape[-1] >= size else "bilinear"
        kwargs = {} if mode == "area" else {"align_corners": False}
        pools.append(F.interpolate(x, size=(size, size), mode=mode, **kwargs)
                     .clamp(0, 1).squeeze(1))
    return pools


def slot_origins(num_categories: int, canvas: int, size: int) -> Tensor:
    """``(K, 2)`` top-left corners of the fixed slots: a 2×2 grid with a one-pixel margin."""
    if not 1 <= num_categories <= 4:
        raise ValueError(f"num_categories: expected 1..4 slots of a 2×2 grid, got {num_categories}")
    if 2 * size + 4 > canvas:
        raise ValueError(f"canvas {canvas} too small for two objects of {size} px and margins")
    lo, hi = 1, canvas - size - 1
    grid = [(lo, lo), (lo, hi), (hi, lo), (hi, hi)]
    return torch.tensor(grid[:num_categories], dtype=torch.long)


@dataclass
class MultiObjectCanvas:
    """A set of multi-object images with their presence vectors and exact removed images.

    Attributes:
        images: ``(N, 1, H, W)`` in ``[0, 1]``.
        present: ``(N, K)`` bool, category ``c`` in image ``i``.
        removed: ``(N, K, 1, H, W)``, image ``i`` with object ``c`` removed (``None`` when not
            requested).
        instances: ``(N, K)`` index of the object in its category's pool, ``-1`` when absent.
        positions: ``(N, K, 2)`` top-left corner of each object.
    """

    images: Tensor
    present: Tensor
    removed: Tensor | None
    instances: Tensor
    positions: Tensor
    pools: list[Tensor]

    @property
    def num_categories(self) -> int:
        return self.present.shape[1]

    def __len__(self) -> int:
        return self.images.shape[0]

    def render(self, keep: Tensor) -> Tensor:
        """Re-render every image with only the objects where ``keep`` ``(N, K)`` is true (and
        present): ``(N, 1, H, W)``. ``render(present)`` equals ``images``."""
        if keep.shape != self.present.shape:
            raise ValueError(f"keep: expected {tuple(self.present.shape)}, got {tuple(keep.shape)}")
        return _render(self.pools, self.instances, self.positions, keep & self.present,
                       self.images.shape[-1])

    @classmethod
    def generate(cls, pools: Sequence[Tensor], num_images: int, canvas: int = 32,
                 slots: Slots = "fixed", max_offset: int = 0,
                 generator: torch.Generator | None = None, with_removed: bool = True,
                 fixed: tuple[int, int] | None = None) -> MultiObjectCanvas:
        """Draw ``num_images`` canvases from ``pools`` (one ``(M_c, S, S)`` tensor per category).

        ``slots="offset"`` jitters each object by up to ``max_offset`` px per axis (clipped to the
        canvas). ``fixed=(c, m)`` puts instance ``m`` of category ``c`` in every image (the groups
        of the modularity metric); the other categories stay random.
        """
        num_k = len(pools)
        if num_images < 1:
            raise ValueError(f"num_images: expected ≥ 1, got {num_images}")
        if slots not in ("fixed", "offset"):
            raise ValueError(f"slots: expected 'fixed' or 'offset', got {slots!r}")
        if max_offset < 0 or (slots == "fixed" and max_offset):
            raise ValueError("max_offset: expected ≥ 0, and 0 with fixed slots")
        size = pools[0].shape[-1]
        if any(p.dim() != 3 or p.shape[1:] != (size, size) or len(p) == 0 for p in pools):
            raise ValueError(f"pools: expected non-empty (M, {size}, {size}) tensors")
        origins = slot_origins(num_k, canvas, size)
        g = generator
        count = torch.randint(0, num_k + 1, (num_images,), generator=g)
        order = torch.rand(num_images, num_k, generator=g).argsort(dim=1)
        rank = torch.empty_like(order)
        rank.scatter_(1, order, torch.arange(num_k).expand(num_images, -1).contiguous())
        present = rank < count[:, None]
        instances = torch.stack([torch.randint(0, len(p), (num_images,), generator=g)
                                 for p in pools], dim=1)
        if fixed is not None:
            c, m = fixed
            if not (0 <= c < num_k and 0 <= m < len(pools[c])):
                raise ValueError(f"fixed: expected (category < {num_k}, instance in its pool), "
                                 f"got {fixed}")
            present[:, c] = True
            instances[:, c] = m
        instances = torch.where(present, instances, torch.full_like(instances, -1))
        positions = origins.expand(num_images, -1, -1).clone()
        if slots == "offset" and max_offset:
            jitter = torch.randint(-max_offset, max_offset + 1, positions.shape, generator=g)
            positions = (positions + jitter).clamp(0, canvas - size)
        pools = [p.float() for p in pools]
        images = _render(pools, instances, positions, present, canvas)
        removed = None
        if with_removed:
            eye = torch.eye(num_k, dtype=torch.bool)
            removed = torch.stack([_render(pools, instances, positions, present & ~eye[c], canvas)
                                   for c in range(num_k)], dim=1)
        return cls(images, present, removed, instances, positions, pools)


def _render(pools: Sequence[Tensor], instances: Tensor, positions: Tensor, keep: Tensor,
            canvas: int) -> Tensor:
    """Paste object ``instances[i, c]`` at ``positions[i, c]`` wherever ``keep[i, c]``; combine
    overlapping objects by the pixel-wise maximum."""
    n, num_k = keep.shape
    size = pools[0].shape[-1]
    out = torch.zeros(n, 1, canvas, canvas)
    for c in range(num_k):
        idx = keep[:, c].nonzero().flatten()
        for i in idx.tolist():
            top, left = positions[i, c].tolist()
            view = out[i, 0, top:top + size, left:left + size]
            torch.maximum(view, pools[c][instances[i, c]], out=view)
    return out
