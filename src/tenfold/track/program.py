r"""The tracking-by-counting network-flow program over one stretch of density maps.

Reconstructed from the abstract and project page of Ren et al., *Tracking-by-Counting* (arXiv
2007.09509, CVPR 2021): nodes are density cells, edges possible associations, and count
constraints tie the occupied nodes of each space-time window to the density's integral. The
exact costs below are ours (see docs/methods/tracking.md).

Nodes :math:`V = \{(t, p) : D_t(p) > \rho D_{peak}\}`. Variables, all in :math:`[0, 1]` and
integral in the MILP: occupancy :math:`x_v`, flow :math:`f_{uv}` for :math:`u = (t, p)`,
:math:`v = (t + 1, q)`, :math:`\lVert p - q \rVert_\infty \le r`, entry :math:`a_v`, exit
:math:`b_v`; per count window :math:`W` (``k x k`` cells x ``tau`` frames, spatial stride ``s``)
slacks :math:`s^+_W, s^-_W \ge 0` and a dead-zone :math:`u_W \in [-\delta, \delta]`.

.. math::

    a_v + \textstyle\sum_u f_{uv} = x_v = b_v + \sum_w f_{vw}
    \qquad \text{(flow conservation; } x_v \le 1 \text{ makes paths vertex-disjoint)}

    \textstyle\sum_{v \in W} x_v - C_W = s^+_W - s^-_W + u_W, \qquad
    C_W = \sum_{(t, p) \in W} D_t(p)

    \min \sum_v \alpha \max(0, 1 - D(v)/D_{peak}) x_v
    + \sum \beta \lVert p - q \rVert^2 f_{uv}
    + \sum_v c_{in}(v) a_v + c_{out}(v) b_v + \mu \sum_W (s^+_W + s^-_W)

:math:`c_{in}(v)` is 0 in the first frame, ``border_cost`` within ``border`` cells of the image
edge and ``enter_cost`` elsewhere; :math:`c_{out}` mirrors it with the last frame.

Solving: the LP relaxation (HiGHS through :func:`scipy.optimize.linprog`), then the MILP
(:func:`scipy.optimize.milp`, HiGHS branch and bound) with every integer variable whose LP value
is :math:`\le 10^{-7}` fixed to 0 — a heuristic that keeps the MILP small, not a proof of
global optimality.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

log = logging.getLogger(__name__)

SUPPORT_TOL = 1e-7


@dataclass(frozen=True)
class ProgramSettings:
    """Costs and sizes of the program (defaults: spec §1.2, tuned on the synthetic crowds)."""

    max_disp: int = 2            # r, Chebyshev cells per frame
    node_thresh: float = 0.3     # rho, node if D > rho * peak
    window: int = 4              # k, window side in cells
    stride: int = 2              # s, spatial stride of the windows
    window_frames: int = 1       # tau, temporal extent of the windows
    node_cost: float = 1.0       # alpha
    move_cost: float = 0.15      # beta
    enter_cost: float = 2.0      # c_enter (interior entry / exit)
    border_cost: float = 0.3     # c_border
    border: int = 2              # cells from the edge counted as border
    count_penalty: float = 3.0   # mu
    count_tolerance: float = 0.5  # delta, dead-zone half width
    time_limit: float = 60.0     # seconds for the MILP
    mip_gap: float = 0.01        # relative gap of the MILP
    lp_support: bool = True      # restrict the MILP to the LP's support


@dataclass
class Graph:
    """Nodes, edges and count windows of one program."""

    shape: tuple[int, int, int]
    node_t: np.ndarray
    node_y: np.ndarray
    node_x: np.ndarray
    node_d: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    win_rows: np.ndarray      # membership (window row, node) pairs
    win_cols: np.ndarray
    win_count: np.ndarray     # C_W of every kept window

    @property
    def num_nodes(self) -> int:
        return len(self.node_t)

    @property
    def num_edges(self) -> int:
        return len(self.edge_u)

    @property
    def num_windows(self) -> int:
        return len(self.win_count)


@dataclass
class Solution:
    """An integral solution of one program: occupancy, flows, entries and exits."""

    graph: Graph
    x: np.ndarray
    f: np.ndarray
    a: np.ndarray
    b: np.ndarray
    window_excess: np.ndarray     # sum_W x - C_W for every window
    stats: dict[str, float] = field(default_factory=dict)

    def conservation_residual(self) -> int:
        """``max_v |a_v + in(v) - x_v| + |b_v + out(v) - x_v|`` (0 for a valid flow)."""
        n = self.graph.num_nodes
        inflow = np.bincount(self.graph.edge_v, weights=self.f, minlength=n)
        outflow = np.bincount(self.graph.edge_u, weights=self.f, minlength=n)
        res = np.abs(self.a + inflow - self.x) + np.abs(self.b + outflow - self.x)
        return int(res.max()) if n else 0


def build_graph(density: np.ndarray, peak: float, settings: ProgramSettings) -> Graph:
    """Candidate nodes, flow edges within ``max_disp`` and count windows of ``density``."""
    T, H, W = density.shape
    mask = density > settings.node_thresh * peak
    node_t, node_y, node_x = np.nonzero(mask)
    node_d = density[node_t, node_y, node_x]
    index = np.full((T, H, W), -1, dtype=np.int64)
    index[node_t, node_y, node_x] = np.arange(len(node_t))
    # edges (t, p) -> (t + 1, q), |p - q|_inf <= r
    eu, ev = [], []
    r = settings.max_disp
    src = node_t < T - 1
    st, sy, sx = node_t[src], node_y[src], node_x[src]
    sid = np.nonzero(src)[0]
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            ty, tx = sy + dy, sx + dx
            ok = (ty >= 0) & (ty < H) & (tx >= 0) & (tx < W)
            tgt = np.full(len(st), -1, dtype=np.int64)
            tgt[ok] = index[st[ok] + 1, ty[ok], tx[ok]]
            hit = tgt >= 0
            eu.append(sid[hit])
            ev.append(tgt[hit])
    edge_u = np.concatenate(eu) if eu else np.zeros(0, np.int64)
    edge_v = np.concatenate(ev) if ev else np.zeros(0, np.int64)
    order = np.lexsort((edge_v, edge_u))
    edge_u, edge_v = edge_u[order], edge_v[order]
    # windows: starts 0, s, 2s, ... covering the image; tau frames, temporal stride 1
    k, s, tau = settings.window, settings.stride, min(settings.window_frames, T)
    ny = max(1, math.ceil(max(H - k, 0) / s) + 1)
    nx = max(1, math.ceil(max(W - k, 0) / s) + 1)
    nt = T - tau + 1
    rows, cols = [], []
    reach = math.ceil(k / s)
    for dt in range(tau):
        wt = node_t - dt
        for di in range(reach):
            wy = node_y // s - di
            for dj in range(reach):
                wx = node_x // s - dj
                ok = ((wt >= 0) & (wt < nt) & (wy >= 0) & (wy < ny) & (wx >= 0) & (wx < nx)
                      & (wy * s + k > node_y) & (wx * s + k > node_x))
                rows.append(((wt * ny + wy) * nx + wx)[ok])
                cols.append(np.nonzero(ok)[0])
    win_id = np.concatenate(rows)
    win_node = np.concatenate(cols)
    kept, win_row = np.unique(win_id, return_inverse=True)
    # C_W from a 3-D integral image
    cum = np.zeros((T + 1, H + 1, W + 1))
    cum[1:, 1:, 1:] = density.cumsum(0).cumsum(1).cumsum(2)
    t0 = kept // (ny * nx)
    y0 = (kept // nx) % ny * s
    x0 = kept % nx * s
    t1, y1, x1 = t0 + tau, np.minimum(y0 + k, H), np.minimum(x0 + k, W)
    counts = (cum[t1, y1, x1] - cum[t0, y1, x1] - cum[t1, y0, x1] - cum[t1, y1, x0]
              + cum[t0, y0, x1] + cum[t0, y1, x0] + cum[t1, y0, x0] - cum[t0, y0, x0])
    return Graph((T, H, W), node_t, node_y, node_x, node_d, edge_u, edge_v,
                 win_row.astype(np.int64), win_node, counts)


def entry_exit_costs(graph: Graph, settings: ProgramSettings) -> tuple[np.ndarray, np.ndarray]:
    """``c_in`` and ``c_out`` of every node (0 in the first / last frame)."""
    T, H, W = graph.shape
    bd = settings.border
    at_border = ((graph.node_y < bd) | (graph.node_y >= H - bd)
                 | (graph.node_x < bd) | (graph.node_x >= W - bd))
    base = np.where(at_border, settings.border_cost, settings.enter_cost)
    c_in = np.where(graph.node_t == 0, 0.0, base)
    c_out = np.where(graph.node_t == T - 1, 0.0, base)
    return c_in, c_out


def solve_program(density: np.ndarray, peak: float, settings: ProgramSettings,
                  first_frame: np.ndarray | None = None) -> Solution:
    """Build and solve the program on ``density`` ``(T, H, W)``.

    ``first_frame`` (``(H, W)`` bool) fixes the occupancy of frame 0 (used to continue the
    previous chunk exactly); every node of frame 0 is then occupied iff it is set there.
    """
    t_start = time.perf_counter()
    graph = build_graph(density, peak, settings)
    V, E, Wn = graph.num_nodes, graph.num_edges, graph.num_windows
    ar_v = np.arange(V)
    # variable blocks: x | f | a | b | s+ | s- | u
    ox, of, oa, ob = 0, V, V + E, 2 * V + E
    osp, osm, ou = 3 * V + E, 3 * V + E + Wn, 3 * V + E + 2 * Wn
    n_var = 3 * V + E + 3 * Wn
    ar_e, ar_w = np.arange(E), np.arange(Wn)
    # rows: in(v) [0, V), out(v) [V, 2V), window W [2V, 2V + Wn)
    r_in = np.concatenate([ar_v, graph.edge_v, ar_v])
    c_in_ = np.concatenate([oa + ar_v, of + ar_e, ox + ar_v])
    v_in = np.concatenate([np.ones(V), np.ones(E), -np.ones(V)])
    r_out = V + np.concatenate([ar_v, graph.edge_u, ar_v])
    c_out_ = np.concatenate([ob + ar_v, of + ar_e, ox + ar_v])
    r_w = 2 * V + np.concatenate([graph.win_rows, ar_w, ar_w, ar_w])
    c_w = np.concatenate([ox + graph.win_cols, osp + ar_w, osm + ar_w, ou + ar_w])
    v_w = np.concatenate([np.ones(len(graph.win_rows)), -np.ones(Wn), np.ones(Wn), -np.ones(Wn)])
    A = sparse.csr_matrix((np.concatenate([v_in, v_in, v_w]),
                           (np.concatenate([r_in, r_out, r_w]),
                            np.concatenate([c_in_, c_out_, c_w]))), shape=(2 * V + Wn, n_var))
    rhs = np.concatenate([np.zeros(2 * V), graph.win_count])
    # costs
    c_enter, c_exit = entry_exit_costs(graph, settings)
    move = ((graph.node_y[graph.edge_u] - graph.node_y[graph.edge_v]) ** 2
            + (graph.node_x[graph.edge_u] - graph.node_x[graph.edge_v]) ** 2)
    cost = np.concatenate([
        settings.node_cost * np.maximum(0.0, 1.0 - graph.node_d / peak),
        settings.move_cost * move, c_enter, c_exit,
        np.full(2 * Wn, settings.count_penalty), np.zeros(Wn)])
    lb = np.zeros(n_var)
    ub = np.ones(n_var)
    ub[osp:ou] = np.inf
    lb[ou:], ub[ou:] = -settings.count_tolerance, settings.count_tolerance
    if first_frame is not None:
        first = graph.node_t == 0
        fixed = first_frame[graph.node_y[first], graph.node_x[first]].astype(float)
        lb[ox + ar_v[first]] = ub[ox + ar_v[first]] = fixed
    build_s = time.perf_counter() - t_start
    stats: dict[str, float] = {"nodes": V, "edges": E, "windows": Wn, "variables": n_var,
                               "rows": A.shape[0], "build_s": build_s}
    if V == 0:
        empty = np.zeros(0)
        return Solution(graph, empty, empty, empty, empty, -graph.win_count,
                        {**stats, "lp_s": 0.0, "mip_s": 0.0, "status": 0.0,
                         "lp_objective": 0.0, "objective": 0.0, "fractional_share": 0.0})
    t0 = time.perf_counter()
    lp = linprog(cost, A_eq=A, b_eq=rhs, bounds=np.stack([lb, ub], 1), method="highs")
    stats["lp_s"] = time.perf_counter() - t0
    if lp.status != 0:
        raise RuntimeError(f"tracking LP failed: {lp.message}")
    n_int = 3 * V + E
    frac = lp.x[:n_int]
    stats["lp_objective"] = float(lp.fun)
    stats["fractional_share"] = float(np.mean((frac > 1e-6) & (frac < 1 - 1e-6)))
    if stats["fractional_share"] == 0.0:
        sol = np.round(lp.x[:n_int])
        stats.update(mip_s=0.0, status=0.0, objective=float(lp.fun), mip_gap=0.0)
    else:
        ub_m = ub.copy()
        if settings.lp_support:
            drop = np.zeros(n_var, bool)
            drop[:n_int] = lp.x[:n_int] <= SUPPORT_TOL
            ub_m[drop] = np.minimum(ub_m[drop], lb[drop])
        integrality = np.zeros(n_var)
        integrality[:n_int] = 1
        t0 = time.perf_counter()
        res = milp(cost, integrality=integrality, bounds=Bounds(lb, ub_m),
                   constraints=LinearConstraint(A, rhs, rhs),
                   options={"time_limit": settings.time_limit,
                            "mip_rel_gap": settings.mip_gap, "disp": False})
        stats["mip_s"] = time.perf_counter() - t0
        stats["status"] = float(res.status)
        if res.x is None:
            log.warning("MILP found no solution within %.0f s (%s); keeping the pure flow part "
                        "of the LP rounded down", settings.time_limit, res.message)
            sol = _flow_round(lp.x, graph, (ox, of, oa, ob))
            stats["objective"] = float("nan")
            stats["mip_gap"] = float("nan")
        else:
            sol = np.round(res.x[:n_int])
            stats["objective"] = float(res.fun)
            stats["mip_gap"] = float(getattr(res, "mip_gap", 0.0) or 0.0)
    x, f = sol[ox:of], sol[of:oa]
    a, b = sol[oa:ob], sol[ob:ob + V]
    excess = np.bincount(graph.win_rows, weights=x[graph.win_cols], minlength=Wn) - graph.win_count
    stats["total_s"] = time.perf_counter() - t_start
    return Solution(graph, x, f, a, b, excess, stats)


def _flow_round(values: np.ndarray, graph: Graph, offsets: tuple[int, int, int, int]
                ) -> np.ndarray:
    """Fallback when the MILP has no incumbent: keep only whole paths of flow-1 edges whose
    ends are covered (a valid integral flow, possibly with fewer tracks)."""
    ox, of, oa, ob = offsets
    V = graph.num_nodes
    f = (values[of:oa] > 1 - 1e-6).astype(float)
    in_deg = np.bincount(graph.edge_v, weights=f, minlength=V)
    out_deg = np.bincount(graph.edge_u, weights=f, minlength=V)
    bad = (in_deg > 1) | (out_deg > 1)
    f[bad[graph.edge_u] | bad[graph.edge_v]] = 0
    in_deg = np.bincount(graph.edge_v, weights=f, minlength=V)
    out_deg = np.bincount(graph.edge_u, weights=f, minlength=V)
    x = ((in_deg + out_deg) > 0).astype(float)
    return np.concatenate([x, f, x - in_deg, x - out_deg])


def extract_paths(solution: Solution) -> list[np.ndarray]:
    """Vertex-disjoint paths of an integral solution: each path is the array of its node ids,
    from a node with ``a_v = 1`` along the unique out-edge with flow 1 to a node with
    ``b_v = 1``."""
    g = solution.graph
    succ = np.full(g.num_nodes, -1, dtype=np.int64)
    used = solution.f > 0.5
    succ[g.edge_u[used]] = g.edge_v[used]
    paths = []
    for start in np.nonzero(solution.a > 0.5)[0]:
        path = [int(start)]
        while succ[path[-1]] >= 0:
            path.append(int(succ[path[-1]]))
        paths.append(np.asarray(path, dtype=np.int64))
    return paths
