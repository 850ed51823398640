r"""Density maps: points rendered as normalised Gaussians, boxes rendered as density, and the
peak value of one rendered object.

A density map :math:`D \in \mathbb{R}_{\ge 0}^{H \times W}` integrates to the number of
objects: every object at sub-cell position :math:`z_i = (y_i, x_i)` contributes

.. math::

    D(p) = \sum_i w_i \, \frac{g_\sigma(p - z_i)}{\sum_{q \in \Omega} g_\sigma(q - z_i)},
    \qquad g_\sigma(d) = \exp\!\big(-\lVert d \rVert^2 / 2\sigma^2\big),

with the Gaussian normalised over the image :math:`\Omega` (cells are indexed by their centres
``0..H-1``, ``0..W-1``), so an object inside the image adds exactly :math:`w_i` to
:math:`\sum_p D(p)` (Lempitsky and Zisserman, NIPS 2010).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def gaussian_peak(sigma: float) -> float:
    """Value at the centre cell of one normalised Gaussian of width ``sigma`` cells centred on a
    cell, away from the border: ``1 / sum_d exp(-|d|^2 / 2 sigma^2)`` over the integer grid."""
    if not (sigma > 0 and math.isfinite(sigma)):
        raise ValueError(f"sigma must be a positive number of cells, got {sigma}")
    r = int(math.ceil(6 * sigma))
    d = torch.arange(-r, r + 1, dtype=torch.float64)
    g = torch.exp(-d ** 2 / (2 * sigma ** 2)).sum()
    return float(1.0 / (g * g))


def render_points(points: Tensor, shape: tuple[int, int], sigma: float,
                  weights: Tensor | None = None) -> Tensor:
    """Density map ``(H, W)`` of ``points`` ``(N, 2)`` given as ``(y, x)`` in cell units.

    Points outside ``[-0.5, H - 0.5) x [-0.5, W - 0.5)`` are ignored; each point inside adds
    ``weights[i]`` (default 1) to the map's sum.
    """
    height, width = shape
    if height < 1 or width < 1:
        raise ValueError(f"shape must be (H, W) with H, W >= 1, got {shape}")
    if not (sigma > 0 and math.isfinite(sigma)):
        raise ValueError(f"sigma must be a positive number of cells, got {sigma}")
    points = torch.as_tensor(points, dtype=torch.float64).reshape(-1, 2)
    if weights is None:
        weights = torch.ones(len(points), dtype=torch.float64)
    weights = torch.as_tensor(weights, dtype=torch.float64).reshape(-1)
    if len(weights) != len(points):
        raise ValueError(f"weights must have one value per point ({len(points)}), "
                         f"got {len(weights)}")
    inside = ((points[:, 0] >= -0.5) & (points[:, 0] < height - 0.5)
              & (points[:, 1] >= -0.5) & (points[:, 1] < width - 0.5))
    points, weights = points[inside], weights[inside]
    if len(points) == 0:
        return torch.zeros(height, width, dtype=torch.float64)
    ys = torch.arange(height, dtype=torch.float64)
    xs = torch.arange(width, dtype=torch.float64)
    gy = torch.exp(-(ys[None, :] - points[:, :1]) ** 2 / (2 * sigma ** 2))   # (N, H)
    gx = torch.exp(-(xs[None, :] - points[:, 1:]) ** 2 / (2 * sigma ** 2))   # (N, W)
    gy = gy / gy.sum(1, keepdim=True)
    gx = gx / gx.sum(1, keepdim=True)
    return torch.einsum("n,nh,nw->hw", weights, gy, gx)


def render_boxes(boxes: Tensor, image_size: tuple[int, int], cell: float, sigma: float = 1.0,
                 anchor: str = "center") -> Tensor:
    """Detections rendered as density: boxes ``(N, 4)`` = ``(left, top, width, height)`` in
    pixels of an image ``(height, width)`` become one unit Gaussian each on a grid of
    ``cell``-pixel cells, at the box centre (``anchor="center"``) or its foot point
    (``"foot"``). Returns ``(ceil(height / cell), ceil(width / cell))``."""
    if anchor not in ("center", "foot"):
        raise ValueError(f"anchor must be 'center' or 'foot', got {anchor!r}")
    if not cell > 0:
        raise ValueError(f"cell must be a positive size in pixels, got {cell}")
    boxes = torch.as_tensor(boxes, dtype=torch.float64).reshape(-1, 4)
    px = pixel_to_cell(box_points(boxes, anchor), cell)
    shape = (math.ceil(image_size[0] / cell), math.ceil(image_size[1] / cell))
    return render_points(px, shape, sigma)


def box_points(boxes: Tensor, anchor: str = "center") -> Tensor:
    """``(y, x)`` pixel points of boxes ``(N, 4)`` = ``(left, top, width, height)``."""
    boxes = torch.as_tensor(boxes, dtype=torch.float64).reshape(-1, 4)
    x = boxes[:, 0] + boxes[:, 2] / 2
    y = boxes[:, 1] + (boxes[:, 3] if anchor == "foot" else boxes[:, 3] / 2)
    return torch.stack([y, x], 1)


def pixel_to_cell(points: Tensor, cell: float) -> Tensor:
    """Pixel coordinates to cell units (cell ``i`` covers pixels ``[i*cell, (i+1)*cell)`` and
    its centre is coordinate ``i``)."""
    return torch.as_tensor(points, dtype=torch.float64) / cell - 0.5


def cell_to_pixel(points: Tensor, cell: float) -> Tensor:
    """Inverse of :func:`pixel_to_cell`."""
    return (torch.as_tensor(points, dtype=torch.float64) + 0.5) * cell
