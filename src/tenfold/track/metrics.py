"""CLEAR-MOT and identity metrics through py-motmetrics, on point distances.

A ground-truth point and a hypothesis point can be paired when their Euclidean distance is below
``threshold`` (motmetrics' ``norm2squared_matrix`` with ``max_d2 = threshold^2``; its
``iou_matrix`` does not run under NumPy 2). MOTA = 1 - (FN + FP + IDSW) / GT;
IDF1 = 2 IDTP / (2 IDTP + IDFP + IDFN). HOTA through TrackEval (:func:`hota`) on a similarity that
falls linearly with the distance.
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


def hota(gt: Tensor | np.ndarray, hyp: Tensor | np.ndarray, threshold: float,
         num_frames: int | None = None) -> dict[str, float]:
    r"""HOTA, DetA and AssA (Luiten et al., IJCV 2021) of ``hyp`` against ``gt``, both rows
    ``(frame, id, y, x)``, computed by TrackEval's ``HOTA`` metric class on point similarities

    .. math::

        S(g, h) = \max(0,\ 1 - \lVert g - h \rVert_2 / \tau)

    with :math:`\tau` = ``threshold`` (same units as the points; a pair at distance
    :math:`\ge \tau` never matches, as in :func:`mot_metrics`). For each localisation threshold
    :math:`\alpha \in \{0.05, 0.10, \dots, 0.95\}`, matches need :math:`S \ge \alpha`;
    :math:`\mathrm{DetA}_\alpha = |TP| / (|TP| + |FN| + |FP|)`,
    :math:`\mathrm{AssA}_\alpha = \frac{1}{|TP|} \sum_{c \in TP} \frac{|TPA(c)|}{|TPA(c)| +
    |FNA(c)| + |FPA(c)|}`, :math:`\mathrm{HOTA}_\alpha = \sqrt{\mathrm{DetA}_\alpha
    \mathrm{AssA}_\alpha}`; the returned values are the means over :math:`\alpha`.

    Keys: ``hota, deta, assa``.
    """
    from trackeval.metrics import HOTA

    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold}")
    g, h = _rows(gt, "gt"), _rows(hyp, "hyp")
    last = int(max(g[:, 0].max(initial=-1), h[:, 0].max(initial=-1))) + 1
    T = num_frames if num_frames is not None else last
    # TrackEval wants ids renumbered 0..n-1 per sequence
    g_ids, g_idx = np.unique(g[:, 1], return_inverse=True)
    h_ids, h_idx = np.unique(h[:, 1], return_inverse=True)
    data: dict = {"num_timesteps": T, "num_gt_ids": len(g_ids), "num_tracker_ids": len(h_ids),
                  "num_gt_dets": len(g), "num_tracker_dets": len(h),
                  "gt_ids": [], "tracker_ids": [], "similarity_scores": []}
    for f in range(T):
        gm, hm = g[:, 0] == f, h[:, 0] == f
        dist = np.linalg.norm(g[gm, None, 2:4] - h[None, hm, 2:4], axis=-1)
        data["gt_ids"].append(g_idx[gm])
        data["tracker_ids"].append(h_idx[hm])
        data["similarity_scores"].append(np.clip(1.0 - dist / threshold, 0.0, 1.0))
    res = HOTA().eval_sequence(data)
    return {"hota": float(np.mean(res["HOTA"])), "deta": float(np.mean(res["DetA"])),
            "assa": float(np.mean(res["AssA"]))}
