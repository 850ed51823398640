"""Synthetic crowds for tracking-by-counting: targets that move, leave and re-enter, rendered
as noisy density maps (spec tracking.md §1.4)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from tenfold.data.synthetic import register_generator
from tenfold.track.density import render_points


@dataclass(frozen=True)
class CrowdSequence:
    """A synthetic crowd video.

    Attributes:
        density: ``(T, H, W)`` noisy density maps (what a tracker sees).
        clean: ``(T, H, W)`` noise-free density maps (each visible target integrates to 1).
        tracks: ``(N, 4)`` ground truth rows ``frame, id, y, x`` in cell units (0-based
            frames); a target that leaves and re-enters gets a new id.
    """

    density: Tensor
    clean: Tensor
    tracks: Tensor


@register_generator("synthetic-crowd", "moving targets that leave and re-enter, rendered as "
                    "noisy Gaussian density maps (embedded)")
def synthetic_crowd(num_targets: int = 40, size: int = 32, frames: int = 20, sigma: float = 1.0,
                    noise: float = 0.1, additive_noise: float = 0.002,
                    speed: tuple[float, float] = (0.3, 1.0), heading_noise: float = 0.3,
                    seed: int = 0) -> CrowdSequence:
    """``num_targets`` targets on a ``size x size`` grid for ``frames`` frames.

    Each target moves at a constant speed drawn from ``U(speed)`` cells per frame with a heading
    that takes ``N(0, heading_noise^2)`` turns; one that leaves the image re-enters at once at a
    random point of a random border, heading inward, under a new id, so the number of targets
    stays ``num_targets``. Density: one normalised Gaussian of width ``sigma`` per target, times
    ``1 + noise * N(0, 1)`` per cell, plus ``N(0, additive_noise^2)``, clipped at 0.
    """
    if num_targets < 0 or size < 1 or frames < 1:
        raise ValueError(f"need num_targets >= 0, size >= 1 and frames >= 1, got "
                         f"{num_targets}, {size}, {frames}")
    if not (0 < speed[0] <= speed[1]):
        raise ValueError(f"speed must be a range (low, high) with 0 < low <= high, got {speed}")
    gen = torch.Generator().manual_seed(seed)
    lo, hi = -0.5, size - 0.5
    pos = torch.rand(num_targets, 2, generator=gen, dtype=torch.float64) * size - 0.5
    heading = torch.rand(num_targets, generator=gen, dtype=torch.float64) * 2 * math.pi
    vel = speed[0] + (speed[1] - speed[0]) * torch.rand(num_targets, generator=gen,
                                                        dtype=torch.float64)
    ids = torch.arange(num_targets)
    next_id = num_targets
    rows, clean = [], []
    for t in range(frames):
        if t > 0:
            heading = heading + heading_noise * torch.randn(num_targets, generator=gen,
                                                            dtype=torch.float64)
            pos = pos + vel[:, None] * torch.stack([torch.sin(heading), torch.cos(heading)], 1)
            out = ((pos < lo) | (pos >= hi)).any(1)
            for i in torch.nonzero(out).view(-1).tolist():
                side = int(torch.randint(4, (1,), generator=gen))
                along = float(torch.rand(1, generator=gen, dtype=torch.float64)) * size - 0.5
                edge = (lo + 1e-3, hi - 1e-3)[side % 2]
                pos[i] = torch.tensor([edge, along] if side < 2 else [along, edge],
                                      dtype=torch.float64)
                inward = (0.0, math.pi)[side % 2] + (math.pi / 2 if side < 2 else 0.0)
                heading[i] = inward + (float(torch.rand(1, generator=gen)) - 0.5) * math.pi / 2
                ids[i] = next_id
                next_id += 1
        clean.append(render_points(pos, (size, size), sigma))
        rows.append(torch.column_stack([torch.full((num_targets,), float(t), dtype=torch.float64),
                                        ids.double(), pos]))
    clean_t = torch.stack(clean)
    noisy = clean_t * (1 + noise * torch.randn(clean_t.shape, generator=gen, dtype=torch.float64))
    noisy = (noisy + additive_noise * torch.randn(clean_t.shape, generator=gen,
                                                  dtype=torch.float64)).clamp_min(0)
    return CrowdSequence(noisy, clean_t, torch.cat(rows))
