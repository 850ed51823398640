"""``CountingTracker``: tracking-by-counting (Ren et al., arXiv 2007.09509) on density maps,
solved in overlapping temporal chunks so that the cost grows linearly with the video.

Chunking. With chunk length ``L`` and overlap ``O`` (``1 <= O < L``), chunk ``k`` covers frames
``[s_k, s_k + L)`` with ``s_k = k (L - O)``. Its solution is kept for frames
``[s_k, s_{k+1})``; frames ``[s_{k+1}, s_k + L)`` are look-ahead only. Chunk ``k + 1`` starts with
its first frame's occupancy fixed to chunk ``k``'s solution at frame ``s_{k+1}``, so every path
continues exactly, and a path of chunk ``k + 1`` that starts in its first frame inherits the
identity of the path of chunk ``k`` through the same cell (unique, since paths are
vertex-disjoint). Every program has at most ``L`` frames, so its size and solve time do not
grow with the video.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import torch
from torch import Tensor

from tenfold.track.density import gaussian_peak
from tenfold.track.program import ProgramSettings, Solution, extract_paths, solve_program


@dataclass
class TrackResult:
    """Trajectories of one video.

    Attributes:
        tracks: ``(N, 4)`` float64 rows ``frame, track_id, y, x`` (sub-cell positions, frame
            0-based), sorted by frame then id.
        cells: ``(N, 2)`` int64 grid cell ``(y, x)`` of each row's node.
        stats: sizes and solver times summed (``*_s``), maxima (``max_*``) and counts over the
            chunks; ``status_limit`` counts programs stopped by the time limit.
        solutions: the integral solution of every chunk (for invariant checks).
    """

    tracks: Tensor
    cells: Tensor
    stats: dict[str, float] = field(default_factory=dict)
    solutions: list[Solution] = field(default_factory=list)

    def count_per_frame(self, num_frames: int) -> Tensor:
        """Number of tracked points in each frame."""
        return torch.bincount(self.tracks[:, 0].long(), minlength=num_frames)

    def check(self, max_disp: int) -> None:
        """Raise ``AssertionError`` unless every program's flow is conserved exactly, no cell
        holds two tracks in one frame, no track has two points in one frame, and every step of
        a track is a move of at most ``max_disp`` cells to the next frame."""
        for sol in self.solutions:
            if sol.conservation_residual() != 0:
                raise AssertionError("flow conservation violated")
        frame = self.tracks[:, 0].long()
        ident = self.tracks[:, 1].long()
        cell_keys = torch.stack([frame, self.cells[:, 0], self.cells[:, 1]], 1)
        if len(torch.unique(cell_keys, dim=0)) != len(cell_keys):
            raise AssertionError("two tracks share a node")
        if len(torch.unique(torch.stack([frame, ident], 1), dim=0)) != len(frame):
            raise AssertionError("a track has two points in one frame")
        order = torch.argsort(ident * (int(frame.max()) + 2 if len(frame) else 1) + frame)
        f, i, c = frame[order], ident[order], self.cells[order]
        same = i[1:] == i[:-1]
        if bool((f[1:][same] - f[:-1][same] != 1).any()):
            raise AssertionError("a track skips a frame")
        step = (c[1:] - c[:-1]).abs().amax(1)
        if bool((step[same] > max_disp).any()):
            raise AssertionError("a track moves further than max_disp")


class CountingTracker:
    """Joint detection, counting and tracking on density maps as one network-flow program.

    Args:
        sigma: width (cells) of one rendered object; sets ``peak`` (the value of one object's
            centre cell) unless ``peak`` is given.
        peak: ``D_peak`` explicitly.
        max_disp: ``r``, the largest move per frame (Chebyshev, cells).
        node_thresh: ``rho``: cells with ``D > rho * D_peak`` are candidate nodes.
        window, stride, window_frames: count windows of ``window x window`` cells x
            ``window_frames`` frames at spatial stride ``stride``.
        node_cost: ``alpha``, cost ``alpha * max(0, 1 - D(v) / D_peak)`` of occupying ``v``.
        move_cost: ``beta``, cost per squared cell of a move.
        enter_cost, border_cost, border: entry/exit costs inside the image and within
            ``border`` cells of its edge (0 in a program's first/last frame).
        count_penalty: ``mu``, L1 cost of a count outside the dead-zone.
        count_tolerance: ``delta``, half width of the dead-zone.
        time_limit, mip_gap: HiGHS MILP limits per program (seconds, relative gap).
        lp_support: restrict the MILP to the variables the LP relaxation uses.
        chunk_length, chunk_overlap: temporal chunking (``chunk_length=0``: one program).

    The equations are in :mod:`tenfold.track.program`.
    """

    def __init__(self, sigma: float = 1.0, peak: float | None = None, max_disp: int = 2,
                 node_thresh: float = 0.3, window: int = 4, stride: int = 2,
                 window_frames: int = 1, node_cost: float = 1.0, move_cost: float = 0.15,
                 enter_cost: float = 2.0, border_cost: float = 0.3, border: int = 2,
                 count_penalty: float = 3.0, count_tolerance: float = 0.5,
                 time_limit: float = 60.0, mip_gap: float = 0.01, lp_support: bool = True,
                 chunk_length: int = 20, chunk_overlap: int = 5):
        self.peak = gaussian_peak(sigma) if peak is None else float(peak)
        self.settings = ProgramSettings(
            max_disp=max_disp, node_thresh=node_thresh, window=window, stride=stride,
            window_frames=window_frames, node_cost=node_cost, move_cost=move_cost,
            enter_cost=enter_cost, border_cost=border_cost, border=border,
            count_penalty=count_penalty, count_tolerance=count_tolerance,
            time_limit=time_limit, mip_gap=mip_gap, lp_support=lp_support)
        self.chunk_length, self.chunk_overlap = int(chunk_length), int(chunk_overlap)
        self._validate()

    def _validate(self) -> None:
        s = self.settings
        if not (self.peak > 0 and math.isfinite(self.peak)):
            raise ValueError(f"peak must be positive, got {self.peak}")
        for name in ("max_disp", "window", "stride", "window_frames"):
            if getattr(s, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(s, name)}")
        if s.border < 0:
            raise ValueError(f"border must be >= 0, got {s.border}")
        for name in ("node_thresh", "node_cost", "move_cost", "enter_cost", "border_cost",
                     "count_penalty", "count_tolerance", "mip_gap"):
            value = getattr(s, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        if not s.time_limit > 0:
            raise ValueError(f"time_limit must be > 0 seconds, got {s.time_limit}")
        if self.chunk_length < 0 or (self.chunk_length and not
                                     1 <= self.chunk_overlap < self.chunk_length):
            raise ValueError("chunking needs chunk_length = 0 (off) or chunk_length >= 2 with "
                             f"1 <= chunk_overlap < chunk_length, got {self.chunk_length} / "
                             f"{self.chunk_overlap}")

    def __repr__(self) -> str:
        args = ", ".join(f"{f.name}={getattr(self.settings, f.name)}"
                         for f in fields(self.settings))
        return (f"CountingTracker(peak={self.peak:.4g}, {args}, "
                f"chunk_length={self.chunk_length}, chunk_overlap={self.chunk_overlap})")

    def with_settings(self, **changes) -> CountingTracker:
        """A copy with some program settings changed."""
        other = object.__new__(CountingTracker)
        other.peak = self.peak
        other.chunk_length, other.chunk_overlap = self.chunk_length, self.chunk_overlap
        other.settings = replace(self.settings, **changes)
        other._validate()
        return other

    def track(self, density: Tensor | np.ndarray) -> TrackResult:
        """Trajectories of ``density`` ``(T, H, W)`` (non-negative, finite)."""
        solver = self.solver(density)
        while not solver.stopped:
            solver.step()
        return solver.result()

    def solver(self, density: Tensor | np.ndarray) -> ChunkSolver:
        """The chunk-by-chunk solve of ``density`` as a resumable :class:`ChunkSolver` (one
        program per ``step()``; for ``ctx.fit``)."""
        dens = torch.as_tensor(density).detach().to("cpu", torch.float64)
        if dens.ndim != 3 or min(dens.shape) < 1:
            raise ValueError(f"density must have shape (T, H, W) with T, H, W >= 1, got "
                             f"{tuple(dens.shape)}")
        if not bool(torch.isfinite(dens).all()):
            raise ValueError("density contains NaN or inf")
        return ChunkSolver(self, dens.clamp_min(0).numpy())

    def _result(self, d: np.ndarray, rows: list, solutions: list[Solution]) -> TrackResult:
        arr = np.asarray(rows, dtype=np.int64).reshape(-1, 4)
        arr = arr[np.lexsort((arr[:, 1], arr[:, 0]))]
        pos = refine_positions(d, arr[:, 0], arr[:, 2], arr[:, 3])
        tracks = torch.as_tensor(np.column_stack([arr[:, :2].astype(float), pos]))
        stats: dict[str, float] = {"chunks": float(len(solutions))}
        for key in ("nodes", "edges", "windows", "variables", "lp_s", "mip_s", "total_s"):
            values = [s.stats.get(key, 0.0) for s in solutions]
            stats[key] = float(np.sum(values))
            stats[f"max_{key}"] = float(np.max(values))
        stats["status_limit"] = float(sum(s.stats.get("status", 0) == 1 for s in solutions))
        stats["fractional_share"] = float(np.mean([s.stats["fractional_share"]
                                                   for s in solutions]))
        stats["objective"] = float(np.sum([s.stats["objective"] for s in solutions]))
        stats["lp_objective"] = float(np.sum([s.stats["lp_objective"] for s in solutions]))
        return TrackResult(tracks, torch.as_tensor(arr[:, 2:]), stats, solutions)


class ChunkSolver:
    """The temporal chunks of one video solved one program per :meth:`step` (a ``Stepper``:
    ``epoch`` chunks done of ``max_epochs``), so that ``ctx.fit`` can checkpoint between
    programs and a killed run resumes at the next chunk; :meth:`result` gives the
    :class:`TrackResult` once ``stopped``. :meth:`CountingTracker.track` drives it to the end.

    Chunk ``k`` covers frames ``[s_k, min(T, s_k + L))`` with ``s_k = k (L - O)`` (one chunk of
    ``T`` frames when chunking is off); the last chunk is the first that reaches frame ``T``.
    """

    def __init__(self, tracker: CountingTracker, density: np.ndarray):
        self.tracker, self.density = tracker, density
        T = density.shape[0]
        L = tracker.chunk_length
        self.length = L if L else T
        self.step_frames = L - tracker.chunk_overlap if L else T
        self.max_epochs = 1 if self.length >= T else \
            1 + math.ceil((T - self.length) / self.step_frames)
        self.epoch = 0
        self.start = 0
        self.next_id = 0
        self.rows: list[tuple[int, int, int, int]] = []     # frame, id, cell y, cell x
        self.solutions: list[Solution] = []
        self.carry: dict[tuple[int, int], int] | None = None   # cell at chunk start -> id

    @property
    def stopped(self) -> bool:
        return self.epoch >= self.max_epochs

    def step(self) -> dict[str, float]:
        """Solve the next chunk; its program's size."""
        if self.stopped:
            raise RuntimeError("every chunk is solved already")
        d, T, carry = self.density, self.density.shape[0], self.carry
        start = self.start
        stop = min(T, start + self.length)
        keep_until = stop if stop == T else start + self.step_frames
        first = None
        if carry is not None:
            first = np.zeros(d.shape[1:], bool)
            for cy, cx in carry:
                first[cy, cx] = True
        sol = solve_program(d[start:stop], self.tracker.peak, self.tracker.settings, first)
        self.solutions.append(sol)
        g = sol.graph
        new_carry: dict[tuple[int, int], int] = {}
        for path in extract_paths(sol):
            t0 = int(g.node_t[path[0]])
            key = (int(g.node_y[path[0]]), int(g.node_x[path[0]]))
            if t0 == 0 and carry is not None and key in carry:
                ident = carry[key]
            else:
                ident, self.next_id = self.next_id, self.next_id + 1
            for v in path:
                t = start + int(g.node_t[v])
                cell = (int(g.node_y[v]), int(g.node_x[v]))
                if t < keep_until:
                    self.rows.append((t, ident, *cell))
                elif t == keep_until and stop < T:
                    new_carry[cell] = ident
        self.carry, self.start = new_carry, keep_until
        self.epoch += 1
        if (stop == T) != self.stopped:
            raise AssertionError(f"chunk {self.epoch} of {self.max_epochs} ends at frame {stop}")
        return {"nodes": float(sol.stats.get("nodes", 0.0)),
                "variables": float(sol.stats.get("variables", 0.0))}

    def result(self) -> TrackResult:
        if not self.stopped:
            raise RuntimeError(f"{self.max_epochs - self.epoch} chunks are still unsolved")
        return self.tracker._result(self.density, self.rows, self.solutions)

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "start": self.start, "next_id": self.next_id,
                "rows": list(self.rows), "solutions": list(self.solutions),
                "carry": None if self.carry is None else dict(self.carry)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch, self.start, self.next_id = state["epoch"], state["start"], state["next_id"]
        self.rows, self.solutions = list(state["rows"]), list(state["solutions"])
        self.carry = state["carry"]


def refine_positions(density: np.ndarray, t: np.ndarray, y: np.ndarray, x: np.ndarray
                     ) -> np.ndarray:
    """Density-weighted centroid ``(y, x)`` of the 3 x 3 cells around each cell (clipped at the
    border; the cell itself when the neighbourhood has no mass)."""
    T, H, W = density.shape
    num = np.zeros((len(t), 2))
    den = np.zeros(len(t))
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            yy, xx = y + dy, x + dx
            ok = (yy >= 0) & (yy < H) & (xx >= 0) & (xx < W)
            w = np.zeros(len(t))
            w[ok] = density[t[ok], yy[ok], xx[ok]]
            num[:, 0] += w * yy
            num[:, 1] += w * xx
            den += w
    out = np.column_stack([y, x]).astype(float)
    has = den > 0
    out[has] = num[has] / den[has, None]
    return out
