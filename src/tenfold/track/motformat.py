"""Trajectories in the MOTChallenge text format, so that any external evaluator reads them.

A line is ``frame,id,bb_left,bb_top,bb_width,bb_height,conf,x,y,z`` with 1-based frames and
pixel boxes whose coordinates are 1-based (the first pixel is 1, as motmetrics' reader assumes
when it subtracts 1). Point tracks in cell units become boxes of a given size centred on the
point: ``bb_left = (x + 0.5) * cell - width / 2 + 1`` (cell ``i`` covers the 0-based pixels
``[i*cell, (i+1)*cell)``).
"""

from __future__ import annotations

import io

import numpy as np
import torch
from torch import Tensor

from tenfold.track.density import box_points, cell_to_pixel, pixel_to_cell


def zero_based(boxes: Tensor) -> Tensor:
    """MOTChallenge boxes ``(left, top, width, height)`` with 0-based corners."""
    boxes = torch.as_tensor(boxes, dtype=torch.float64).clone()
    boxes[:, :2] -= 1
    return boxes


def format_mot(tracks: Tensor, cell: float = 1.0, box_size: tuple[float, float] = (1.0, 1.0)
               ) -> str:
    """MOTChallenge text for rows ``(frame, id, y, x)`` (0-based frames, cell units); boxes are
    ``box_size = (width, height)`` pixels centred on each point; ``conf = 1``, ``x,y,z = -1``."""
    rows = torch.as_tensor(tracks, dtype=torch.float64).reshape(-1, 4)
    px = cell_to_pixel(rows[:, 2:4], cell) + 1
    w, h = box_size
    lines = [f"{int(f) + 1},{int(i)},{x - w / 2:.3f},{y - h / 2:.3f},{w:.3f},{h:.3f},1,-1,-1,-1"
             for f, i, (y, x) in zip(rows[:, 0].tolist(), rows[:, 1].tolist(), px.tolist(),
                                     strict=True)]
    return "\n".join(lines) + ("\n" if lines else "")


def parse_mot(text: str, cell: float = 1.0, min_conf: float | None = None) -> Tensor:
    """Rows ``(frame, id, y, x)`` (0-based frames, box centres in cell units) of MOTChallenge
    text; with ``min_conf`` only lines whose 7th column is at least that."""
    if not text.strip():
        return torch.zeros(0, 4, dtype=torch.float64)
    try:
        arr = np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2)
    except ValueError as exc:
        raise ValueError(f"not MOTChallenge text (frame,id,left,top,width,height,...): "
                         f"{exc}") from exc
    if arr.shape[1] < 6:
        raise ValueError(f"MOTChallenge lines need at least 6 columns, got {arr.shape[1]}")
    if min_conf is not None and arr.shape[1] >= 7:
        arr = arr[arr[:, 6] >= min_conf]
    t = torch.as_tensor(arr)
    yx = pixel_to_cell(box_points(zero_based(t[:, 2:6])), cell)
    return torch.column_stack([t[:, 0] - 1, t[:, 1], yx])
