"""Running and scoring the three trackers of the tracking-by-counting comparison
(Ren et al., arXiv 2007.09509) on the same density maps.

* :func:`make_trackers` — the trackers by method name (:data:`TRACKING_METHODS`) from one set of
  settings: ``counting`` (:class:`~tenfold.track.CountingTracker`), ``peaks_hungarian`` and
  ``peaks_flow`` (peaks of the same density, linked frame to frame or by one min-cost flow);
* :func:`run_tracker` — one tracker on a density video ``(T, H, W)``: its tracks as plain lists
  (and for the counting tracker the solver's statistics per temporal chunk);
* :func:`score_tracks` — MOTA/IDF1/ID switches/FP/FN (py-motmetrics on point distances) and
  HOTA/DetA/AssA (TrackEval, similarity ``1 - d / threshold``) over frames ``[first, T)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from tenfold.track.baselines import PeakFlowTracker, PeakHungarianTracker
from tenfold.track.counting import CountingTracker
from tenfold.track.metrics import hota, mot_metrics

__all__ = ["TRACKING_METHODS", "make_trackers", "run_tracker", "score_tracks"]

TRACKING_METHODS = ("counting", "peaks_hungarian", "peaks_flow")


def make_trackers(methods: Sequence[str] = TRACKING_METHODS, *, sigma: float, max_disp: int,
                  node_thresh: float, window: int, stride: int, window_frames: int,
                  node_cost: float, move_cost: float, enter_cost: float, border_cost: float,
                  count_penalty: float, count_tolerance: float, time_limit: float,
                  mip_gap: float, chunk_length: int, chunk_overlap: int, peak_thresh: float,
                  gate: float, max_age: int) -> dict[str, Any]:
    """``{method: tracker}`` for ``methods`` (in that order), every setting given explicitly.

    The counting tracker takes the program's settings (see :class:`CountingTracker`); the peak
    trackers take ``peak_thresh`` (a peak if ``D > peak_thresh * peak``), the association
    ``gate`` (cells) and ``max_age`` (frames a lost track survives; the flow's ``max_gap``),
    and the flow shares the counting program's move/entry/border costs.
    """
    unknown = [m for m in methods if m not in TRACKING_METHODS]
    if unknown:
        raise ValueError(f"methods: expected a subset of {', '.join(TRACKING_METHODS)}, got "
                         f"{', '.join(unknown)}")
    build = {
        "counting": lambda: CountingTracker(
            sigma=sigma, max_disp=max_disp, node_thresh=node_thresh, window=window,
            stride=stride, window_frames=window_frames, node_cost=node_cost,
            move_cost=move_cost, enter_cost=enter_cost, border_cost=border_cost,
            count_penalty=count_penalty, count_tolerance=count_tolerance,
            time_limit=time_limit, mip_gap=mip_gap, chunk_length=chunk_length,
            chunk_overlap=chunk_overlap),
        "peaks_hungarian": lambda: PeakHungarianTracker(sigma=sigma, thresh=peak_thresh,
                                                        gate=gate, max_age=max_age),
        "peaks_flow": lambda: PeakFlowTracker(sigma=sigma, thresh=peak_thresh, gate=gate,
                                              max_gap=max_age, move_cost=move_cost,
                                              enter_cost=enter_cost, border_cost=border_cost),
    }
    return {m: build[m]() for m in methods}


def run_tracker(tracker, density: torch.Tensor,
                fit: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """Tracks (``[[frame, id, y, x], ...]``) plus, for the counting tracker, solver statistics
    per chunk. ``fit`` (e.g. ``lambda s: ctx.fit(key, s)``) drives the counting tracker's
    chunk-by-chunk :class:`~tenfold.track.counting.ChunkSolver` (one program per step, so a run
    resumes between chunks) instead of a plain loop."""
    if fit is not None and hasattr(tracker, "solver"):
        out = fit(tracker.solver(density)).result()
    else:
        out = tracker.track(density)
    if hasattr(out, "tracks"):
        starts = np.cumsum([0] + [s.graph.shape[0] for s in out.solutions])
        return {"tracks": out.tracks.tolist(),
                "chunk_end_frame": [int(e) for e in starts[1:]],
                "chunk_solve_s": [float(s.stats.get("total_s", 0.0)) for s in out.solutions],
                "time_limited": float(out.stats["status_limit"]),
                "fractional_share": float(out.stats["fractional_share"])}
    return {"tracks": out.tolist()}


def score_tracks(gt: torch.Tensor, tracks: list | torch.Tensor, threshold: float,
                 num_frames: int, first: int = 0) -> dict[str, float]:
    """MOT metrics and HOTA of ``tracks`` against ``gt`` (rows ``frame, id, y, x``) over frames
    ``[first, num_frames)``, renumbered from 0; a match within ``threshold`` cells."""
    if not 0 <= first < num_frames:
        raise ValueError(f"first: expected 0 <= first < num_frames = {num_frames}, got {first}")
    hyp = torch.as_tensor(tracks, dtype=torch.float64).reshape(-1, 4)
    g = gt[gt[:, 0] >= first].clone()
    h = hyp[hyp[:, 0] >= first].clone()
    g[:, 0] -= first
    h[:, 0] -= first
    m = mot_metrics(g, h, threshold, num_frames - first)
    out = {k: m[k] for k in ("mota", "idf1", "id_switches", "fp", "fn")}
    return out | hota(g, h, threshold, num_frames - first)
