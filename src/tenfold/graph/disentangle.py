"""Disentanglement metrics of FactorGCN (arXiv 2010.05421, Sec. 4.1): GED_E and the C-score.

Both compare, graph by graph, the ground-truth factor graphs (which edges belong to which true
relation) with the learned factor graphs (the ``[E, K]`` weights of a :class:`FactorConv`):

* Each learned factor ``k`` becomes a symmetric matrix ``P_k[u, v] = (e^k_uv + e^k_vu) / 2`` with a
  zero diagonal (self loops dropped); each true factor ``f`` a binary matrix ``T_f``.
* ``GED(T, P)``: with ``m = nnz(T)`` (each undirected edge counted twice), keep the ``m`` largest
  entries of ``P`` as ones, the rest zeros, and count the entries where exactly one of ``T`` and the
  binarised ``P`` is 1 — a symmetric-difference count (one wrongly placed undirected edge costs 4:
  2 missing + 2 spurious entries; one spurious undirected edge alone costs 2). Ties among equal
  weights are broken deterministically: the lower row-major index ``u * N + v`` is kept first (the
  official code used ``np.argpartition``, whose tie order is arbitrary).
* ``GED_E(graph) = min over one-to-one matchings of sum_f GED(T_f, P_match(f)) / #true factors``,
  solved with the Hungarian algorithm (``scipy.optimize.linear_sum_assignment``); report the mean
  and std over graphs.
* C-score: for every true factor type, the share of graphs in which it was matched to its most
  frequent learned channel, averaged over types (1 = each relation always lands in one channel).
  It rewards *consistency*, not correctness: all-equal (uninformative) weights make every GED
  tie and the Hungarian solver then matches each factor to the same channel every time, which can
  score the maximum 1.0. :func:`ged_e` therefore also scores all-equal weights on the same graphs
  (``c_score_equal_weights``, ``ged_e_equal_weights`` in the summary); read the C-score with
  GED_E and that reference.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor


def factor_adjacency(edge_index: Tensor, weights: Tensor, num_nodes: int) -> Tensor:
    """Dense symmetrised factor graphs ``[K, N, N]`` from edge weights ``[E, K]`` (or ``[E]``).

    ``A_k[u, v] = (w_k(u->v) + w_k(v->u)) / 2`` (a missing reverse edge counts as 0); the
    diagonal is zero.
    """
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"edge_index must be [2, E], got shape {tuple(edge_index.shape)}")
    w = weights.unsqueeze(-1) if weights.dim() == 1 else weights
    if w.dim() != 2 or w.size(0) != edge_index.size(1):
        raise ValueError(f"weights must be [E, K] with E = {edge_index.size(1)}, "
                         f"got shape {tuple(weights.shape)}")
    w = w.detach().to("cpu", torch.float64)
    src, dst = edge_index.to("cpu")
    adj = torch.zeros(w.size(1), num_nodes, num_nodes, dtype=torch.float64)
    adj[:, src, dst] = w.t()
    adj = (adj + adj.transpose(1, 2)) / 2
    adj[:, torch.arange(num_nodes), torch.arange(num_nodes)] = 0.0
    return adj


def _keep_top(pred: np.ndarray, counts: Iterable[int]) -> list[np.ndarray]:
    """For each ``m`` in ``counts``: ``[K, N*N]`` masks of the ``m`` largest entries per row."""
    order = np.argsort(-pred, axis=1, kind="stable")   # ties: lower flat index first
    rank = np.empty_like(order)
    rows = np.arange(pred.shape[0])[:, None]
    rank[rows, order] = np.arange(pred.shape[1])[None, :]
    return [rank < m for m in counts]


def ged(gt_adj: Tensor | np.ndarray, pred_adj: Tensor | np.ndarray) -> int:
    """Symmetric-difference GED between a true ``[N, N]`` factor graph and a predicted one.

    ``gt_adj`` is binarised (non-zero = edge); the diagonal of both is ignored.
    """
    return int(ged_matrix(_as_stack(gt_adj), _as_stack(pred_adj))[0, 0])


def _as_stack(a: Tensor | np.ndarray) -> np.ndarray:
    a = a.detach().cpu().numpy() if isinstance(a, Tensor) else np.asarray(a)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or a.shape[1] != a.shape[2]:
        raise ValueError(f"expected [N, N] or [K, N, N] adjacency, got shape {a.shape}")
    return a.astype(np.float64)


def ged_matrix(gt_adjs: Tensor | np.ndarray, pred_adjs: Tensor | np.ndarray) -> np.ndarray:
    """``cost[f, k] = GED(T_f, P_k)`` for true ``[F, N, N]`` and predicted ``[K, N, N]``."""
    gt, pred = _as_stack(gt_adjs), _as_stack(pred_adjs)
    if gt.shape[1:] != pred.shape[1:]:
        raise ValueError(f"true and predicted graphs differ in size: {gt.shape} vs {pred.shape}")
    n = gt.shape[1]
    diag = np.eye(n, dtype=bool).reshape(-1)
    gt = (gt.reshape(len(gt), -1) != 0) & ~diag
    pred = pred.reshape(len(pred), -1).copy()
    pred[:, diag] = -np.inf                      # never selected before an off-diagonal entry
    counts = gt.sum(1)
    masks = _keep_top(pred, counts.tolist())
    return np.stack([(gt[f][None, :] != masks[f]).sum(1) for f in range(len(gt))])


@dataclass
class DisentanglementScores:
    """Per-graph GED_E values and the (true factor id, matched channel) pairs of every graph."""

    ged_e: np.ndarray
    matches: list[tuple[int, int]]
    reference_ged_e: np.ndarray | None = None           # all-equal weights on the same graphs
    reference_matches: list[tuple[int, int]] | None = None

    @property
    def c_score(self) -> float:
        return c_score(self.matches)

    def summary(self) -> dict[str, float]:
        """``{"ged_e": mean, "ged_e_std": std, "c_score": ...}``, plus the all-equal-weights
        reference ``ged_e_equal_weights`` / ``c_score_equal_weights`` when it was computed."""
        out = {"ged_e": float(self.ged_e.mean()), "ged_e_std": float(self.ged_e.std()),
               "c_score": self.c_score}
        if self.reference_ged_e is not None and self.reference_matches is not None:
            out["ged_e_equal_weights"] = float(self.reference_ged_e.mean())
            out["c_score_equal_weights"] = c_score(self.reference_matches)
        return out


def match_factors(gt_adjs: Tensor | np.ndarray, pred_adjs: Tensor | np.ndarray
                  ) -> tuple[float, list[tuple[int, int]]]:
    """Hungarian matching of ``F`` true to ``K >= F`` predicted factor graphs.

    Returns the GED_E of the graph (matched cost / F) and the ``(f, k)`` pairs.
    """
    cost = ged_matrix(gt_adjs, pred_adjs)
    if cost.shape[0] > cost.shape[1]:
        raise ValueError(f"need at least as many predicted factors as true ones, got "
                         f"{cost.shape[1]} < {cost.shape[0]}")
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].sum() / cost.shape[0]), list(zip(rows.tolist(), cols.tolist(),
                                                                     strict=True))


def ged_e(edge_index: Tensor, factors: Tensor, gt_edge_factor: Tensor,
          batch: Tensor | None = None, reference: bool = True) -> DisentanglementScores:
    """GED_E of every graph in a batch and the matches behind the C-score.

    Args:
        edge_index: ``[2, E]`` edges of the (batched) graphs, node ids global.
        factors: ``[E, K]`` learned factor weights (e.g. ``FactorConv(..., return_factors=True)``).
        gt_edge_factor: ``[E, F]`` ground truth, ``1`` where edge ``e`` belongs to true factor
            type ``f``; the types with no edge in a graph are absent from it.
        batch: ``[N]`` graph index of every node (``None``: one graph).
        reference: also score all-equal factor weights on the same graphs (the degenerate
            reference the C-score must be read against).
    """
    if gt_edge_factor.dim() != 2 or gt_edge_factor.size(0) != edge_index.size(1):
        raise ValueError(f"gt_edge_factor must be [E, F] with E = {edge_index.size(1)}, "
                         f"got shape {tuple(gt_edge_factor.shape)}")
    if factors.dim() != 2 or factors.size(0) != edge_index.size(1):
        raise ValueError(f"factors must be [E, K] with E = {edge_index.size(1)}, "
                         f"got shape {tuple(factors.shape)}")
    edge_index = edge_index.cpu()
    num_nodes = int(edge_index.max()) + 1 if batch is None else batch.numel()
    if batch is None:
        batch = torch.zeros(num_nodes, dtype=torch.long)
    batch = batch.cpu()
    node_ptr = torch.cat([torch.zeros(1, dtype=torch.long),
                          torch.bincount(batch).cumsum(0)])
    edge_graph = batch[edge_index[0]]
    order = torch.argsort(edge_graph, stable=True)
    edge_ptr = torch.cat([torch.zeros(1, dtype=torch.long),
                          torch.bincount(edge_graph, minlength=len(node_ptr) - 1).cumsum(0)])
    values, matches, ref_values, ref_matches = [], [], [], []
    for g in range(len(node_ptr) - 1):
        sel = order[edge_ptr[g]:edge_ptr[g + 1]]
        start, n = int(node_ptr[g]), int(node_ptr[g + 1] - node_ptr[g])
        ei = edge_index[:, sel] - start
        gt = gt_edge_factor[sel].cpu()
        present = (gt != 0).any(0).nonzero().view(-1)
        if present.numel() == 0:
            continue
        gt_adj = factor_adjacency(ei, gt[:, present].float(), n)
        pred_adj = factor_adjacency(ei, factors[sel], n)
        value, pairs = match_factors(gt_adj, pred_adj)
        values.append(value)
        matches.extend((int(present[f]), k) for f, k in pairs)
        if reference:
            flat = factor_adjacency(ei, torch.ones(sel.numel(), factors.size(1)), n)
            value, pairs = match_factors(gt_adj, flat)
            ref_values.append(value)
            ref_matches.extend((int(present[f]), k) for f, k in pairs)
    if not reference:
        return DisentanglementScores(np.asarray(values, dtype=np.float64), matches)
    return DisentanglementScores(np.asarray(values, dtype=np.float64), matches,
                                 np.asarray(ref_values, dtype=np.float64), ref_matches)


def c_score(matches: Iterable[tuple[int, int]]) -> float:
    """Mean over true factor types of the share of their most frequent matched channel."""
    per_type: dict[int, Counter] = {}
    for f, k in matches:
        per_type.setdefault(int(f), Counter())[int(k)] += 1
    if not per_type:
        raise ValueError("c_score needs at least one (true factor, channel) match")
    return float(np.mean([max(c.values()) / sum(c.values()) for c in per_type.values()]))
