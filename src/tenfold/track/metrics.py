"""CLEAR-MOT and identity metrics through py-motmetrics, on point distances.

A ground-truth point and a hypothesis point can be paired when their Euclidean distance is below
``threshold`` (motmetrics' ``norm2squared_matrix`` with ``max_d2 = threshold^2``; its
``iou_matrix`` does not run under NumPy 2). MOTA = 1 - (FN + FP + IDSW) / GT;
IDF1 = 2 IDTP / (2 IDTP + IDFP + IDFN).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

METRICS = ("mota", "idf1", "num_switches", "num_false_positives", "num_misses",
           "precision", "recall", "num_objects")
NAMES = {"num_switches": "id_switches", "num_false_positives": "fp", "num_misses": "fn",
         "num_objects": "gt"}


def _rows(tracks: Tensor | np.ndarray, name: str) -> np.ndarray:
    arr = torch.as_tensor(tracks, dtype=torch.float64).reshape(-1, 4).numpy() \
        if len(tracks) else np.zeros((0, 4))
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{name} must be rows (frame, id, y, x), got shape {arr.shape}")
    return arr


def mot_metrics(gt: Tensor | np.ndarray, hyp: Tensor | np.ndarray, threshold: float,
                num_frames: int | None = None) -> dict[str, float]:
    """MOTA, IDF1, ID switches, FP, FN, precision, recall and GT count of ``hyp`` against
    ``gt``, both rows ``(frame, id, y, x)``; points pair within ``threshold`` (same units).

    Keys: ``mota, idf1, id_switches, fp, fn, precision, recall, gt``.
    """
    import motmetrics as mm

    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold}")
    g, h = _rows(gt, "gt"), _rows(hyp, "hyp")
    last = int(max(g[:, 0].max(initial=-1), h[:, 0].max(initial=-1))) + 1
    frames = range(num_frames if num_frames is not None else last)
    acc = mm.MOTAccumulator(auto_id=True)
    g_by = {f: g[g[:, 0] == f] for f in np.unique(g[:, 0])}
    h_by = {f: h[h[:, 0] == f] for f in np.unique(h[:, 0])}
    empty = np.zeros((0, 4))
    for f in frames:
        gf, hf = g_by.get(f, empty), h_by.get(f, empty)
        dist = mm.distances.norm2squared_matrix(gf[:, 2:4], hf[:, 2:4],
                                                max_d2=threshold ** 2)
        acc.update(gf[:, 1].astype(int).tolist(), hf[:, 1].astype(int).tolist(), dist)
    summary = mm.metrics.create().compute(acc, metrics=list(METRICS), name="x")
    out = {NAMES.get(k, k): float(summary[k].iloc[0]) for k in METRICS}
    for key in ("precision", "recall", "idf1"):
        if not np.isfinite(out[key]):
            out[key] = 0.0
    return out
