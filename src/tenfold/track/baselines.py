"""Tracking-by-detection baselines on the same density maps: local peaks as detections, then
(a) frame-to-frame Hungarian association with a constant-velocity motion model (SORT-like,
Bewley et al. 2016, on points) or (b) one global min-cost flow over all peaks (Zhang et al.,
CVPR 2008). Neither can put two tracks on one peak, which is what merged blobs need."""

from __future__ import annotations

import numpy as np
import torch
from scipy import sparse
from scipy.optimize import linear_sum_assignment, linprog
from torch import Tensor

from tenfold.track.counting import refine_positions
from tenfold.track.density import gaussian_peak


def _density(density: Tensor | np.ndarray) -> np.ndarray:
    d = torch.as_tensor(density).detach().to("cpu", torch.float64)
    if d.ndim != 3 or min(d.shape) < 1:
        raise ValueError(f"density must have shape (T, H, W), got {tuple(d.shape)}")
    if not bool(torch.isfinite(d).all()):
        raise ValueError("density contains NaN or inf")
    return d.numpy()


def find_peaks(density: Tensor | np.ndarray, peak: float, thresh: float = 0.4) -> np.ndarray:
    """Detections: cells that are the maximum of their 3 x 3 neighbourhood and exceed
    ``thresh * peak``, refined to the density-weighted 3 x 3 centroid. Rows ``(frame, y, x)``.

    Ties (a plateau, e.g. an object exactly between two cells) keep the first cell in raster
    order: a cell must exceed its earlier neighbours strictly and its later ones weakly."""
    d = _density(density)
    T, H, W = d.shape
    pad = np.pad(d, ((0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    is_max = d > thresh * peak
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy == dx == 0:
                continue
            nb = pad[:, 1 + dy:1 + dy + H, 1 + dx:1 + dx + W]
            earlier = dy < 0 or (dy == 0 and dx < 0)
            is_max &= (d > nb) if earlier else (d >= nb)
    ft, fy, fx = np.nonzero(is_max)
    pos = refine_positions(d, ft, fy, fx)
    return np.column_stack([ft.astype(float), pos])


class PeakHungarianTracker:
    """Peaks + frame-to-frame Hungarian assignment with constant-velocity prediction.

    A track predicts ``p + v * age`` (``age`` = frames since its last detection), is matched by
    :func:`scipy.optimize.linear_sum_assignment` on Euclidean distance within ``gate`` cells,
    updates ``v <- (1 - smooth) v + smooth (p_new - p_old) / age``, and is dropped after
    ``max_age`` frames without a detection. Unmatched detections start new tracks.
    """

    def __init__(self, sigma: float = 1.0, peak: float | None = None, thresh: float = 0.4,
                 gate: float = 2.5, max_age: int = 2, smooth: float = 0.5):
        self.peak = gaussian_peak(sigma) if peak is None else float(peak)
        self.thresh, self.gate, self.max_age, self.smooth = thresh, gate, max_age, smooth
        if gate <= 0 or max_age < 1 or not 0 <= smooth <= 1:
            raise ValueError("need gate > 0, max_age >= 1 and smooth in [0, 1]")

    def track(self, density: Tensor | np.ndarray) -> Tensor:
        """Rows ``(frame, id, y, x)``."""
        d = _density(density)
        return self.track_detections(find_peaks(d, self.peak, self.thresh), d.shape[0])

    def track_detections(self, dets: np.ndarray, num_frames: int) -> Tensor:
        """Associate detections ``(frame, y, x)``; rows ``(frame, id, y, x)``."""
        tracks: list[dict] = []
        next_id, out = 0, []
        for t in range(num_frames):
            det = dets[dets[:, 0] == t][:, 1:]
            live = [tr for tr in tracks if t - tr["last"] <= self.max_age]
            tracks = live
            matched = set()
            if live and len(det):
                pred = np.array([tr["p"] + tr["v"] * (t - tr["last"]) for tr in live])
                cost = np.linalg.norm(pred[:, None] - det[None], axis=2)
                big = 1e6
                rows, cols = linear_sum_assignment(np.where(cost <= self.gate, cost, big))
                for r, c in zip(rows, cols, strict=True):
                    if cost[r, c] > self.gate:
                        continue
                    tr = live[r]
                    age = t - tr["last"]
                    tr["v"] = (1 - self.smooth) * tr["v"] + self.smooth * (det[c] - tr["p"]) / age
                    tr["p"], tr["last"] = det[c], t
                    matched.add(int(c))
                    out.append((t, tr["id"], *det[c]))
            for c in range(len(det)):
                if c not in matched:
                    tracks.append({"id": next_id, "p": det[c], "v": np.zeros(2), "last": t})
                    out.append((t, next_id, *det[c]))
                    next_id += 1
        return _sorted_rows(out)


class PeakFlowTracker:
    """Peaks + one global min-cost flow (tracking-by-detection with a network flow).

    Every peak ``v`` is a node with capacity 1 and reward ``-reward``; edges join peaks ``g``
    frames apart (``1 <= g <= max_gap``) within ``gate * g`` cells at cost
    ``move_cost * |p - q|^2 + gap_cost * (g - 1)``; entries/exits cost as in
    :class:`~tenfold.track.counting.CountingTracker` (0 in the first/last frame, ``border_cost``
    near the edge, ``enter_cost`` elsewhere). The constraint matrix is a network matrix, so the
    LP (HiGHS) is integral.
    """

    def __init__(self, sigma: float = 1.0, peak: float | None = None, thresh: float = 0.4,
                 gate: float = 2.5, max_gap: int = 2, reward: float = 1.0,
                 move_cost: float = 0.15, gap_cost: float = 0.5, enter_cost: float = 2.0,
                 border_cost: float = 0.3, border: int = 2):
        self.peak = gaussian_peak(sigma) if peak is None else float(peak)
        self.thresh, self.gate, self.max_gap = thresh, gate, max_gap
        self.reward, self.move_cost, self.gap_cost = reward, move_cost, gap_cost
        self.enter_cost, self.border_cost, self.border = enter_cost, border_cost, border
        if gate <= 0 or max_gap < 1:
            raise ValueError("need gate > 0 and max_gap >= 1")

    def track(self, density: Tensor | np.ndarray) -> Tensor:
        """Rows ``(frame, id, y, x)``."""
        d = _density(density)
        return self.track_detections(find_peaks(d, self.peak, self.thresh), d.shape)

    def track_detections(self, dets: np.ndarray, shape: tuple[int, int, int]) -> Tensor:
        """Link detections ``(frame, y, x)`` of a ``(T, H, W)`` video.

        Returns rows ``(frame, id, y, x)``."""
        T, H, W = shape
        n = len(dets)
        if n == 0:
            return torch.zeros(0, 4, dtype=torch.float64)
        order = np.argsort(dets[:, 0], kind="stable")
        dets = dets[order]
        frame = dets[:, 0].astype(int)
        eu, ev, ec = [], [], []
        starts = np.searchsorted(frame, np.arange(T + 1))
        for g in range(1, self.max_gap + 1):
            for t in range(T - g):
                a = np.arange(starts[t], starts[t + 1])
                b = np.arange(starts[t + g], starts[t + g + 1])
                if not len(a) or not len(b):
                    continue
                dist = np.linalg.norm(dets[a, None, 1:] - dets[None, b, 1:], axis=2)
                ia, ib = np.nonzero(dist <= self.gate * g)
                eu.append(a[ia])
                ev.append(b[ib])
                ec.append(self.move_cost * dist[ia, ib] ** 2 + self.gap_cost * (g - 1))
        eu = np.concatenate(eu) if eu else np.zeros(0, int)
        ev = np.concatenate(ev) if ev else np.zeros(0, int)
        ec = np.concatenate(ec) if ec else np.zeros(0)
        E = len(eu)
        y, x = dets[:, 1], dets[:, 2]
        bd = self.border
        near = (y < bd - 0.5) | (y > H - bd - 0.5) | (x < bd - 0.5) | (x > W - bd - 0.5)
        base = np.where(near, self.border_cost, self.enter_cost)
        c_in = np.where(frame == 0, 0.0, base)
        c_out = np.where(frame == T - 1, 0.0, base)
        # variables: x | f | a | b ; rows: a + in - x = 0, b + out - x = 0
        ar, ae = np.arange(n), np.arange(E)
        rows = np.concatenate([ar, ev, ar, n + ar, n + eu, n + ar])
        cols = np.concatenate([n + E + ar, n + ae, ar, 2 * n + E + ar, n + ae, ar])
        vals = np.concatenate([np.ones(n), np.ones(E), -np.ones(n),
                               np.ones(n), np.ones(E), -np.ones(n)])
        A = sparse.csr_matrix((vals, (rows, cols)), shape=(2 * n, 3 * n + E))
        cost = np.concatenate([-self.reward * np.ones(n), ec, c_in, c_out])
        res = linprog(cost, A_eq=A, b_eq=np.zeros(2 * n), bounds=(0, 1), method="highs")
        if res.status != 0:
            raise RuntimeError(f"flow LP failed: {res.message}")
        sol = np.round(res.x)
        f = sol[n:n + E]
        succ = np.full(n, -1)
        succ[eu[f > 0.5]] = ev[f > 0.5]
        out = []
        for ident, start in enumerate(np.nonzero(sol[n + E:2 * n + E] > 0.5)[0]):
            v = int(start)
            while v >= 0:
                out.append((frame[v], ident, y[v], x[v]))
                v = int(succ[v])
        return _sorted_rows(out)


def _sorted_rows(rows: list) -> Tensor:
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, 4)
    return torch.as_tensor(arr[np.lexsort((arr[:, 1], arr[:, 0]))])
