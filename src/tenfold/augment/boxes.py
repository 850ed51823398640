"""Random boxes for cut-and-paste mixing (CutMix, arXiv 1905.04899; SnapMix, arXiv 2012.04846).

A box is ``(top, left, bottom, right)`` in pixels with exclusive ``bottom``/``right``, so its
pixels are ``x[..., top:bottom, left:right]`` and its area is ``(bottom-top) * (right-left)``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

Box = tuple[int, int, int, int]


def sample_beta(alpha: float, generator: torch.Generator | None = None, size: int | None = None
                ) -> float | np.ndarray:
    """Draw from ``Beta(alpha, alpha)`` reproducibly from a ``torch.Generator``.

    ``torch.distributions.Beta`` takes no generator, so a NumPy generator is seeded with one
    64-bit draw from ``generator`` (or from torch's global stream when ``generator`` is None).
    """
    if alpha <= 0:
        raise ValueError(f"Beta parameter must be > 0, got {alpha}")
    seed = int(torch.randint(0, 2**62, (1,), generator=generator).item())
    rng = np.random.default_rng(seed)
    return float(rng.beta(alpha, alpha)) if size is None else rng.beta(alpha, alpha, size)


def random_box(height: int, width: int, lam: float, generator: torch.Generator | None = None
               ) -> Box:
    """A box covering about a ``1 - lam`` fraction of an ``height x width`` image.

    Its sides are ``int(H * sqrt(1 - lam))`` and ``int(W * sqrt(1 - lam))``; its centre is
    uniform over the image and the box is clipped at the border (as in CutMix), so the real
    area can be smaller than ``(1 - lam) H W``: use :func:`box_area` for the exact value.
    """
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam must lie in [0, 1], got {lam}")
    ratio = math.sqrt(1.0 - lam)
    cut_h, cut_w = int(height * ratio), int(width * ratio)
    cy = int(torch.randint(0, height, (1,), generator=generator).item())
    cx = int(torch.randint(0, width, (1,), generator=generator).item())
    top, bottom = max(cy - cut_h // 2, 0), min(cy + cut_h - cut_h // 2, height)
    left, right = max(cx - cut_w // 2, 0), min(cx + cut_w - cut_w // 2, width)
    return top, left, bottom, right


def box_area(box: Box) -> int:
    """Number of pixels in ``box`` (0 for an empty box)."""
    top, left, bottom, right = box
    return max(bottom - top, 0) * max(right - left, 0)


def box_mask(box: Box, height: int, width: int, device: torch.device | str | None = None
             ) -> torch.Tensor:
    """A ``(height, width)`` boolean mask that is True inside ``box``."""
    mask = torch.zeros(height, width, dtype=torch.bool, device=device)
    top, left, bottom, right = box
    mask[top:bottom, left:right] = True
    return mask
