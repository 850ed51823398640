"""Shortest paths for SPAGAN (Yang et al., IJCAI 2019, arXiv 2101.03464).

SPAGAN lets each centre node attend over *shortest paths* that start at it instead of over its
one-hop neighbours. The paths come from a weighted graph whose edge costs are derived from a
trained attention layer:

.. math::

    \\bar\\alpha_{ij} = \\frac{1}{K}\\sum_{k=1}^{K} \\alpha^{(k)}_{ij}, \\qquad
    \\mathrm{cost}(i \\to j) = 1 - \\frac{\\bar\\alpha_{ij}}{\\max_{u \\ne v} \\bar\\alpha_{uv}}

(head-averaged, self loops dropped, directed: leaving centre ``i`` towards ``j`` costs what ``i``'s
attention to ``j`` implies). For every node ``i`` a single-source Dijkstra gives its shortest-path
tree; the ``c``-hop paths of ``i`` are the tree's depth-``c`` nodes with their tree branches
``(i, v_1, ..., v_c)``. A neighbour reached more cheaply through a detour is therefore *not* a
one-hop path of ``i``. All one-hop paths are kept; of the ``c``-hop paths (``c >= 2``) the
``k_i = floor(min(degree_ratio * |P_i^(1)|, max_ratio * |P_i^(c)|))`` cheapest are kept, ties
broken by node id, and a self path ``(i, i, ..., i)`` is added for every node at every length so
that no attention group is empty. This follows the official code's sampling rule
(``degree_ratio = 0.5``, ``max_ratio = 1.0`` in its training script).

Dijkstra runs in :func:`scipy.sparse.csgraph.dijkstra` (no graph-tool needed) on the CPU, in
blocks of sources so that memory stays ``O(block * N)``. It never needs to search farther than
``max_hops * max(cost)`` (no node of tree depth ``<= max_hops`` lies farther), but for the
paper's two hops it usually needs much less: only the one-hop neighbours and the ``k_i``
cheapest two-hop tree nodes are kept, so each source is first searched up to a guessed radius
``r_i`` (at least its most expensive out-edge; about its ``k_i``-th cheapest two-hop distance).
Every node within ``r_i`` is settled exactly as in the full search, and every node outside lies
farther than all of them, so when the settled depth-``c`` nodes alone fill the quota
(``floor(degree_ratio * |P^(1)|) <= floor(max_ratio * settled)``), the kept paths are the
full search's. The other sources are searched again farther, the last time up to the full
radius. On Amazon Photo this settles ~150 nodes per source (1.26 searches per source on
average) instead of ~830.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.csgraph import dijkstra
from torch import Tensor
from torch_geometric.utils import add_self_loops, coalesce, remove_self_loops

log = logging.getLogger(__name__)

__all__ = ["PathSet", "ShortestPathSampler", "attention_to_cost"]


@dataclass
class PathSet:
    """Paths grouped by length, as flat index tensors (cheap to move between devices).

    For hop count ``c = 1 .. max_hops`` (list index ``c - 1``):

    * ``center[c-1]``: ``LongTensor [P_c]``, the node each path starts at;
    * ``nodes[c-1]``: ``LongTensor [P_c, c]``, the path's nodes after the centre, in order
      (``nodes[c-1][p, -1]`` is where path ``p`` ends);
    * ``cost[c-1]``: ``Tensor [P_c]``, the path's total edge cost (0 for self paths; ``None``
      when the paths were not built from costs).

    Paths are stored centre by centre; within one centre by cost (ties: end node id), self path
    last.
    """

    center: list[Tensor]
    nodes: list[Tensor]
    num_nodes: int
    cost: list[Tensor] | None = None

    def __post_init__(self) -> None:
        if len(self.center) != len(self.nodes) or not self.center:
            raise ValueError("PathSet needs one (center, nodes) pair per hop count, at least one")
        for c, (ctr, nds) in enumerate(zip(self.center, self.nodes, strict=True), start=1):
            if ctr.dim() != 1 or nds.dim() != 2 or nds.size(0) != ctr.size(0) or nds.size(1) != c:
                raise ValueError(f"hop {c}: expected center [P] and nodes [P, {c}], got "
                                 f"{tuple(ctr.shape)} and {tuple(nds.shape)}")

    @property
    def max_hops(self) -> int:
        return len(self.center)

    @property
    def device(self) -> torch.device:
        return self.center[0].device

    def to(self, device: str | torch.device) -> PathSet:
        """The same paths on ``device``."""
        cost = None if self.cost is None else [t.to(device) for t in self.cost]
        return PathSet([t.to(device) for t in self.center], [t.to(device) for t in self.nodes],
                       self.num_nodes, cost)

    def restrict(self, max_hops: int) -> PathSet:
        """Only the paths of at most ``max_hops`` hops (e.g. the one-hop ablation)."""
        if not 1 <= max_hops <= self.max_hops:
            raise ValueError(f"max_hops must be in 1..{self.max_hops}, got {max_hops}")
        cost = None if self.cost is None else self.cost[:max_hops]
        return PathSet(self.center[:max_hops], self.nodes[:max_hops], self.num_nodes, cost)

    def counts(self) -> Tensor:
        """``LongTensor [num_nodes, max_hops]``: paths per centre node and length."""
        return torch.stack([torch.bincount(c, minlength=self.num_nodes) for c in self.center], 1)

    def num_paths(self) -> list[int]:
        """Number of paths per length (self paths included)."""
        return [int(c.numel()) for c in self.center]

    def state_dict(self) -> dict:
        """Plain tensors, for checkpoints (``PathSet.from_state_dict`` inverts it)."""
        return {"center": list(self.center), "nodes": list(self.nodes),
                "num_nodes": self.num_nodes, "cost": self.cost}

    @classmethod
    def from_state_dict(cls, state: dict) -> PathSet:
        return cls(list(state["center"]), list(state["nodes"]), int(state["num_nodes"]),
                   None if state["cost"] is None else list(state["cost"]))

    @classmethod
    def from_edge_index(cls, edge_index: Tensor, num_nodes: int,
                        self_loops: bool = True) -> PathSet:
        """One-hop paths over the edges of ``edge_index`` (PyG convention: the path of centre
        ``edge_index[1, e]`` goes to ``edge_index[0, e]``), plus one self loop per node if
        ``self_loops`` — i.e. the neighbourhood a GAT layer attends over."""
        _check_edge_index(edge_index, num_nodes)
        if self_loops:   # as GATConv does: drop existing self loops, add one per node
            edge_index, _ = remove_self_loops(edge_index)
            edge_index, _ = add_self_loops(edge_index, num_nodes=num_nodes)
        return cls([edge_index[1]], [edge_index[0].view(-1, 1)], num_nodes)


def _check_edge_index(edge_index: Tensor, num_nodes: int) -> None:
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"edge_index must have shape [2, E], got {tuple(edge_index.shape)}")
    if edge_index.numel() and (int(edge_index.min()) < 0 or int(edge_index.max()) >= num_nodes):
        raise ValueError(f"edge_index has node ids outside [0, {num_nodes})")


def attention_to_cost(edge_index: Tensor, alpha: Tensor, num_nodes: int | None = None
                      ) -> tuple[Tensor, Tensor]:
    """Edge costs for the shortest-path search from attention coefficients.

    Args:
        edge_index: ``[2, E]`` edges in PyG's convention (messages flow ``edge_index[0] ->
            edge_index[1]``; ``alpha`` is normalised over the edges entering each centre
            ``edge_index[1]``), as returned by ``GATConv(..., return_attention_weights=True)``.
        alpha: ``[E]`` or ``[E, heads]`` attention coefficients; heads are averaged.
        num_nodes: number of nodes (default: ``edge_index.max() + 1``).

    Returns:
        ``(cost_edge_index, cost)``: directed edges ``centre -> neighbour`` (i.e. ``edge_index``
        flipped, self loops removed, duplicates merged by their mean) and
        ``cost = 1 - alpha / alpha_max`` in ``[0, 1]``, where ``alpha_max`` is the largest
        off-diagonal coefficient; the most attended edge costs 0.
    """
    if alpha.dim() == 2:
        alpha = alpha.mean(dim=1)
    if alpha.dim() != 1 or alpha.numel() != edge_index.size(-1):
        raise ValueError(f"alpha must have shape [E] or [E, heads] with E = "
                         f"{edge_index.size(-1)}, got {tuple(alpha.shape)}")
    if num_nodes is None:
        num_nodes = int(edge_index.max()) + 1 if edge_index.numel() else 0
    _check_edge_index(edge_index, num_nodes)
    if not torch.isfinite(alpha).all() or (alpha < 0).any():
        raise ValueError("attention coefficients must be finite and non-negative")
    ei, a = remove_self_loops(edge_index.flip(0), alpha.detach().float())
    ei, a = coalesce(ei, a, num_nodes=num_nodes, reduce="mean")
    if a.numel() == 0:
        return ei, a
    a_max = a.max()
    if a_max <= 0:
        raise ValueError("all off-diagonal attention coefficients are zero; no costs defined")
    return ei, (1.0 - a / a_max).clamp_(min=0.0)


class ShortestPathSampler:
    """Build SPAGAN's :class:`PathSet` from a weighted directed graph.

    Args:
        max_hops: longest path length ``c`` in edges (the paper's default is 2).
        degree_ratio: ``c``-hop paths kept per node are at most ``degree_ratio * |P^(1)|``.
        max_ratio: ... and at most ``max_ratio`` times the number of ``c``-hop paths.
        self_paths: add ``(i, i, ..., i)`` for every node at every length.
        block_size: sources per Dijkstra call (memory ``~ 12 * block_size * N`` bytes; small
            blocks keep the bounded searches' radii close to each source's own).

    Call it as ``sampler(edge_index, edge_cost, num_nodes)`` where ``edge_index[0] ->
    edge_index[1]`` are directed edges with non-negative ``edge_cost`` (for example the output
    of :func:`attention_to_cost`). Ties between equally cheap paths are broken by the end
    node's id, so the result is deterministic. (Which of two exactly equally cheap routes to
    the *same* node becomes its tree branch is scipy's choice; with distinct route costs the
    paths equal a plain Dijkstra over the whole graph, which the tests check.)
    """

    # Search radii of the successive rounds, relative to the per-source guess (see __call__).
    # The full radius always follows as the last round.
    _RADII = (-0.02, 0.0, 0.05)

    def __init__(self, max_hops: int = 2, degree_ratio: float = 0.5, max_ratio: float = 1.0,
                 self_paths: bool = True, block_size: int = 128):
        if max_hops < 1:
            raise ValueError(f"max_hops must be ≥ 1, got {max_hops}")
        if degree_ratio < 0 or max_ratio < 0:
            raise ValueError("degree_ratio and max_ratio must be non-negative")
        if block_size < 1:
            raise ValueError("block_size must be ≥ 1")
        self.max_hops, self.degree_ratio, self.max_ratio = max_hops, degree_ratio, max_ratio
        self.self_paths, self.block_size = self_paths, block_size

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(max_hops={self.max_hops}, degree_ratio="
                f"{self.degree_ratio}, max_ratio={self.max_ratio}, self_paths={self.self_paths})")

    def __call__(self, edge_index: Tensor, edge_cost: Tensor, num_nodes: int) -> PathSet:
        _check_edge_index(edge_index, num_nodes)
        if edge_cost.dim() != 1 or edge_cost.numel() != edge_index.size(1):
            raise ValueError(f"edge_cost must have shape [E] with E = {edge_index.size(1)}, "
                             f"got {tuple(edge_cost.shape)}")
        cost = edge_cost.detach().cpu().double()
        if not torch.isfinite(cost).all() or (cost < 0).any():
            raise ValueError("edge costs must be finite and non-negative")
        ei, cost = remove_self_loops(edge_index.detach().cpu(), cost)
        ei, cost = coalesce(ei, cost, num_nodes=num_nodes, reduce="min")
        # csr keeps explicit zero entries as edges (the most attended edge costs exactly 0).
        graph = sp.csr_matrix((cost.numpy(), (ei[0].numpy(), ei[1].numpy())),
                              shape=(num_nodes, num_nodes))
        # A path of at most max_hops edges costs at most max_hops * max(cost): searching no
        # farther leaves the tree up to depth max_hops unchanged.
        full = self.max_hops * float(cost.max()) if cost.numel() else 0.0
        reach, guess = self._limit_guess(graph)
        guess = np.minimum(guess, full)
        parts: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = [
            [] for _ in range(self.max_hops)]
        pending = np.argsort(guess, kind="stable")       # similar limits share a block
        # Rounds: search every pending source up to a radius, keep the sources whose kept
        # paths are provably all inside it, search the others again farther; the last round
        # uses the full radius, which always suffices. A negative share shrinks the guess, a
        # positive one moves it towards the full radius.
        for share in (*self._RADII, 1.0) if self.max_hops == 2 else (1.0,):
            if share < 0:
                radius = np.maximum(guess * (1 + share), reach)
            else:
                radius = guess + share * (full - guess)
            retry = []
            for start in range(0, len(pending), self.block_size):
                sources = pending[start:start + self.block_size]
                limit = float(radius[sources].max())
                dist, pred = dijkstra(graph, directed=True, indices=sources,
                                      return_predecessors=True, limit=limit)
                found, unresolved = self._read_trees(sources, dist, pred, limit >= full,
                                                     limit >= reach[sources])
                for c, part in enumerate(found):
                    parts[c].append(part)
                retry.append(unresolved)
            pending = np.concatenate(retry) if retry else pending[:0]
            if not len(pending):
                break
        center, nodes, costs = [], [], []
        ids = np.arange(num_nodes)
        for c in range(1, self.max_hops + 1):
            ctr = np.concatenate([p[0] for p in parts[c - 1]] + [ids[:0]])
            nds = np.concatenate([p[1] for p in parts[c - 1]] + [ids[:0]]).reshape(-1, c)
            dst = np.concatenate([p[2] for p in parts[c - 1]] + [np.zeros(0)])
            if self.self_paths:
                ctr = np.concatenate([ctr, ids])
                nds = np.concatenate([nds, np.repeat(ids[:, None], c, axis=1)])
                dst = np.concatenate([dst, np.zeros(num_nodes)])
            order = np.argsort(ctr, kind="stable")      # centre by centre, self path last
            ctr, nds, dst = ctr[order], nds[order], dst[order]
            device = edge_index.device
            center.append(torch.from_numpy(ctr.astype(np.int64)).to(device))
            nodes.append(torch.from_numpy(nds.astype(np.int64)).to(device))
            costs.append(torch.from_numpy(dst).float().to(device))
        return PathSet(center, nodes, num_nodes, costs)

    def _limit_guess(self, graph: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """Per source: ``reach``, its most expensive out-edge (a radius that settles every
        neighbour, so that the one-hop paths and the degree are exact), and ``guess``, a radius
        that probably holds every tree node the sampling keeps: for ``max_hops == 2`` the
        larger of ``reach`` and the ``k``-th smallest of ``cost(i, u) + min_v cost(u, v)`` over
        the out-neighbours ``u`` (one cheap continuation per neighbour; ``inf`` otherwise).
        Only speed depends on the guess: a source whose kept paths are not provably all inside
        the searched radius is searched again, farther."""
        n = graph.shape[0]
        indptr, w = graph.indptr, graph.data
        degree = np.diff(indptr)
        has = degree > 0
        reach = np.zeros(n)
        if not has.any():
            return reach, reach.copy()
        reach[has] = np.maximum.reduceat(w, indptr[:-1][has])
        if self.max_hops != 2:
            return reach, np.full(n, np.inf)
        cheapest = np.full(n, np.inf)
        cheapest[has] = np.minimum.reduceat(w, indptr[:-1][has])
        step = w + cheapest[graph.indices]                  # per edge i -> u
        src = np.repeat(np.arange(n), degree)
        step = step[np.lexsort((step, src))]                # by source, then value
        k = np.floor(self.degree_ratio * degree).astype(np.int64)
        pick = has & (k > 0)
        kth = np.full(n, np.inf)
        kth[pick] = step[indptr[:-1][pick] + np.minimum(k[pick], degree[pick]) - 1]
        return reach, np.maximum(reach, np.where(k > 0, kth, 0.0))

    def _read_trees(self, sources: np.ndarray, dist: np.ndarray, pred: np.ndarray,
                    complete: bool, reached: np.ndarray):
        """Per hop count ``(centre [P], nodes [P*c], cost [P])`` of the kept tree paths of the
        sources whose kept paths are certainly all settled, and the other sources.
        ``reached``: per source, whether the radius was at least its most expensive out-edge
        (every neighbour settled).

        Only the settled nodes are listed (sparse: by source, then node id); a node's depth is
        one more than its predecessor's. A source is resolved when the search was ``complete``
        (radius ``max_hops * max(cost)``) or, for every ``c >= 2``, the settled depth-``c``
        nodes alone already fill its quota: the unsettled ones lie farther than every settled
        one, so the cheapest ``k`` are among the settled ones and ``k`` is the same."""
        n = pred.shape[1]
        b, v = np.nonzero(pred >= 0)                        # by source, then node id
        p = pred[b, v].astype(np.int64)
        d = dist[b, v]
        key = b.astype(np.int64) * n + v
        root = p == sources[b]
        parent = np.searchsorted(key, b.astype(np.int64) * n + p)
        parent[root] = 0
        depth = np.where(root, 1, 0)
        for c in range(2, self.max_hops + 1):
            depth[(depth == 0) & ~root & (depth[parent] == c - 1)] = c
        ok = np.asarray(reached, dtype=bool) | complete
        found_by_c = []
        degree = None
        for c in range(1, self.max_hops + 1):
            idx = np.nonzero(depth == c)[0]                  # by source, then node id
            # by source, then cost, then node id: two stable sorts (faster than a lexsort)
            idx = idx[np.argsort(d[idx], kind="stable")]
            idx = idx[np.argsort(b[idx].astype(np.int32), kind="stable")]
            found = np.bincount(b[idx], minlength=len(sources))
            if c == 1:
                degree = found
                keep = np.ones(len(idx), dtype=bool)
            else:
                quota = np.floor(np.minimum(self.degree_ratio * degree,
                                            np.floor(self.max_ratio * found)))
                if not complete:   # floor(min(a, F)) = floor(a) for every F >= floor(a)
                    ok &= np.floor(self.degree_ratio * degree) <= np.floor(self.max_ratio * found)
                first = np.concatenate([[0], np.cumsum(found)[:-1]])
                keep = np.arange(len(idx)) - first[b[idx]] < quota[b[idx]]
            found_by_c.append(idx[keep])
        out = []
        for c, idx in enumerate(found_by_c, start=1):
            idx = idx[ok[b[idx]]]
            path = np.empty((len(idx), c), dtype=np.int64)   # nodes after the centre, outward
            node = idx
            for h in range(c - 1, -1, -1):
                path[:, h] = v[node]
                node = parent[node]
            out.append((sources[b[idx]], path.reshape(-1), d[idx]))
        return out, sources[~ok]
