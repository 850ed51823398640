"""Density videos of the real sequences of the tracking-by-counting comparison, with their
ground truth in cell coordinates (rows ``frame (0-based), id, y, x``).

* :func:`pets_density` — PETS09-S2L1: the MOTChallenge public detections rendered as density
  (one unit Gaussian per box centre on ``cell``-pixel cells);
* :func:`pets_network_data` — PETS09-S2L1 frames shrunk so that one cell is ``factor x factor``
  network pixels, and the ground-truth dots as density: a density network's inputs and targets;
* :func:`tud_density` — TUD-Stadtmitte: the ground-truth box centres rendered as density with
  multiplicative noise ``D (1 + noise * n1) + 0.002 n2`` (``n1, n2 ~ N(0, 1)``), clamped at 0
  (semi-synthetic).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from tenfold.track.density import box_points, pixel_to_cell, render_boxes, render_points
from tenfold.track.motformat import zero_based

__all__ = ["PETS_BOX", "PETS_SIZE", "pets_density", "pets_network_data", "tud_density"]

PETS_SIZE = (576, 768)   # height, width of PETS09-S2L1 view 1
PETS_BOX = (32.0, 80.0)  # width, height of the boxes written around tracked points (pixels)


def _frames(last: int, video_frames: int) -> int:
    return min(last, video_frames) if video_frames else last


def pets_density(seq, cell: int, sigma: float, det_conf: float = 0.0, video_frames: int = 0
                 ) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Detections of ``seq`` (a ``VideoSequence``) with confidence ``>= det_conf`` rendered as
    density ``(T, H, W)``, the ground-truth rows in cells, and ``T`` (``video_frames``: the
    first ones only; 0 = all)."""
    det, gt = seq.load_boxes("det"), seq.load_boxes("gt")
    T = _frames(int(gt[:, 0].max()), video_frames)
    det = det[det[:, 6] >= det_conf]
    maps = [render_boxes(zero_based(det[det[:, 0] == f + 1, 2:6]), PETS_SIZE, cell, sigma)
            for f in range(T)]
    gt = gt[(gt[:, 0] <= T) & (gt[:, 6] > 0)]
    yx = pixel_to_cell(box_points(zero_based(gt[:, 2:6])), cell)
    rows = torch.column_stack([torch.as_tensor(gt[:, 0] - 1), torch.as_tensor(gt[:, 1]), yx])
    return torch.stack(maps), rows, T


def pets_network_data(seq, gt: torch.Tensor, T: int, cell: int, sigma: float, factor: int = 4
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images [T, 1, h * factor, w * factor] in [0, 1], dots [T, h, w])`` on the
    ``h x w``-cell grid of ``cell``-pixel cells: grey frames area-resized, ground truth ``gt``
    (cell rows from :func:`pets_density`) rendered as density."""
    grid = (math.ceil(PETS_SIZE[0] / cell), math.ceil(PETS_SIZE[1] / cell))
    frames = torch.stack([torch.as_tensor(f) for f in seq.frames(0, T, gray=True)]).float()
    images = F.interpolate(frames[:, None] / 255.0, size=(grid[0] * factor, grid[1] * factor),
                           mode="area")
    dots = torch.stack([render_points(gt[gt[:, 0] == t, 2:4], grid, sigma)
                        for t in range(T)]).float()
    return images, dots


def tud_density(seq, cell: int, sigma: float, noise: float, generator: torch.Generator,
                video_frames: int = 0) -> tuple[torch.Tensor, torch.Tensor, int]:
    """TUD-Stadtmitte (``seq``): ground-truth centres rendered as noisy density ``(T, H, W)``
    (noise drawn from ``generator``), the ground-truth rows in cells, and ``T``."""
    gt = seq.load_boxes()
    T = _frames(int(gt[:, 0].max()), video_frames)
    gt = gt[gt[:, 0] <= T]
    yx = pixel_to_cell(box_points(zero_based(gt[:, 2:6])), cell)
    rows = torch.column_stack([torch.as_tensor(gt[:, 0] - 1), torch.as_tensor(gt[:, 1]), yx])
    grid = tuple(math.ceil(s / cell) for s in seq.image_size)
    clean = torch.stack([render_points(rows[rows[:, 0] == t, 2:4], grid, sigma)
                         for t in range(T)])
    noisy = clean * (1 + noise * torch.randn(clean.shape, generator=generator,
                                             dtype=torch.float64))
    noisy = noisy + 0.002 * torch.randn(clean.shape, generator=generator, dtype=torch.float64)
    return noisy.clamp_min(0), rows, T
