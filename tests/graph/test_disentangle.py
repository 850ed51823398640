"""GED_E and C-score: known answers, a brute-force matching reference and invariances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from torch_geometric.loader import DataLoader

from tenfold.data.synthetic.factor_graphs import synthetic_factor_graphs
from tenfold.graph.disentangle import c_score, factor_adjacency, ged, ged_e, ged_matrix


def sym(n: int, edges: list[tuple[int, int]], weights: list[float] | None = None) -> np.ndarray:
    a = np.zeros((n, n))
    for (u, v), w in zip(edges, weights or [1.0] * len(edges), strict=True):
        a[u, v] = a[v, u] = w
    return a


def test_ged_known_answers():
    gt = sym(5, [(0, 1), (1, 2), (2, 3)])
    assert ged(gt, gt) == 0
    # a weighted prediction whose top-6 entries are exactly the true edges
    assert ged(gt, sym(5, [(0, 1), (1, 2), (2, 3), (3, 4)], [0.9, 0.8, 0.7, 0.1])) == 0
    # one misplaced undirected edge: 2 missing entries (2,3),(3,2) + 2 spurious (3,4),(4,3)
    assert ged(gt, sym(5, [(0, 1), (1, 2), (2, 3), (3, 4)], [0.9, 0.8, 0.1, 0.7])) == 4
    # a one-directional mistake (non-symmetric prediction): 1 missing + 1 spurious entry
    pred = sym(5, [(0, 1), (1, 2), (2, 3)])
    pred[3, 2], pred[4, 3] = 0.0, 1.0
    assert ged(gt, pred) == 2
    # the diagonal is ignored on both sides
    gt_loop, pred_loop = gt.copy(), pred.copy()
    np.fill_diagonal(gt_loop, 1.0)
    np.fill_diagonal(pred_loop, 5.0)
    assert ged(gt_loop, pred_loop) == 2


def test_ties_are_broken_by_lower_index():
    gt = sym(4, [(2, 3)])                # m = 2 entries
    equal = sym(4, [(0, 1), (2, 3)])     # all weights equal: keeps (0,1),(1,0) -> cost 4
    assert ged(gt, equal) == 4
    assert ged(gt, equal) == ged(gt, torch.as_tensor(equal))
    assert ged(gt, sym(4, [(0, 1), (2, 3)], [1.0, 1.0 + 1e-9])) == 0


def test_ged_matrix_matches_naive_loop():
    rng = np.random.default_rng(0)
    gts = np.stack([sym(6, [(0, 1), (1, 2), (3, 4)]), sym(6, [(2, 5), (0, 5)])])
    preds = rng.random((3, 6, 6))
    preds = (preds + preds.transpose(0, 2, 1)) / 2
    cost = ged_matrix(gts, preds)
    for f, k in itertools.product(range(2), range(3)):
        p = preds[k].copy()
        np.fill_diagonal(p, -np.inf)
        m = int(gts[f].sum())
        keep = np.zeros(36, bool)
        keep[np.argsort(-p.reshape(-1), kind="stable")[:m]] = True
        assert cost[f, k] == int((keep != (gts[f].reshape(-1) > 0)).sum())


def _batch(num_graphs: int = 40):
    ds = synthetic_factor_graphs(num_graphs=num_graphs, seed=3)
    return next(iter(DataLoader(ds, batch_size=num_graphs)))


def test_oracle_random_and_brute_force_matching():
    b = _batch()
    oracle = ged_e(b.edge_index, b.gt_edge_factor, b.gt_edge_factor, b.batch)
    assert oracle.summary()["ged_e"] == 0.0 and oracle.c_score == 1.0
    assert len(oracle.ged_e) == 40
    factors = torch.rand(b.edge_index.size(1), 4, generator=torch.Generator().manual_seed(0))
    scores = ged_e(b.edge_index, factors, b.gt_edge_factor, b.batch)
    assert 8.0 < scores.ged_e.mean() < 18.0
    # Hungarian matching == brute force over injective assignments, graph by graph
    for g in range(5):
        data = b.get_example(g)
        sel = (b.batch[b.edge_index[0]] == g).nonzero().view(-1)
        present = (data.gt_edge_factor != 0).any(0).nonzero().view(-1)
        gt = factor_adjacency(data.edge_index, data.gt_edge_factor[:, present], 15)
        cost = ged_matrix(gt, factor_adjacency(data.edge_index, factors[sel], 15))
        best = min(sum(cost[f, k] for f, k in enumerate(ks))
                   for ks in itertools.permutations(range(4), len(present)))
        assert scores.ged_e[g] == pytest.approx(best / len(present))


def test_invariance_to_channel_and_true_id_permutations():
    b = _batch()
    factors = torch.rand(b.edge_index.size(1), 4, generator=torch.Generator().manual_seed(1))
    base = ged_e(b.edge_index, factors, b.gt_edge_factor, b.batch)
    perm = torch.tensor([2, 0, 3, 1])
    chan = ged_e(b.edge_index, factors[:, perm], b.gt_edge_factor, b.batch)
    ids = ged_e(b.edge_index, factors, b.gt_edge_factor[:, perm], b.batch)
    assert np.allclose(base.ged_e, chan.ged_e) and np.allclose(base.ged_e, ids.ged_e)


def test_c_score_of_a_known_channel_assignment():
    """True factor f goes to channel f in graphs 0..19 and to channel 3 - f in the others (plus
    noise): GED_E is 0 and the C-score is known, whatever the channel order."""
    b = _batch()
    edge_graph = b.batch[b.edge_index[0]]
    gt = b.gt_edge_factor
    y = b.y                                     # [40, 4]: which types each graph contains
    first, second = y[:20].sum(0), y[20:].sum(0)
    expected = float((torch.maximum(first, second) / (first + second)).mean())
    factors = torch.where((edge_graph < 20)[:, None], gt, gt.flip(1))
    factors = 0.9 * factors + 0.05 * torch.rand(factors.shape,
                                                 generator=torch.Generator().manual_seed(2))
    for perm in ([0, 1, 2, 3], [2, 0, 3, 1]):
        scores = ged_e(b.edge_index, factors[:, perm], gt, b.batch)
        assert scores.summary()["ged_e"] == 0.0
        assert scores.c_score == pytest.approx(expected)
    assert expected < 0.75


def test_c_score_known_answer():
    # type 0 matched to channel 1 three times out of four; type 1 always to channel 2
    assert c_score([(0, 1), (0, 1), (0, 3), (0, 1), (1, 2), (1, 2)]) == pytest.approx(0.875)
    with pytest.raises(ValueError):
        c_score([])


def test_shape_errors():
    b = _batch(4)
    with pytest.raises(ValueError, match=r"\[E, K\]"):
        ged_e(b.edge_index, torch.rand(3, 4), b.gt_edge_factor, b.batch)
    with pytest.raises(ValueError, match=r"\[N, N\]"):
        ged(np.zeros((3, 4)), np.zeros((3, 4)))


def test_equal_weights_reference_beside_the_c_score():
    # two hand-made graphs, each a path 0-1-2-3 whose middle edge is relation 1, the rest 0
    one = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
    edge_index = torch.cat([one, one + 4], 1)
    gt = torch.zeros(12, 2)
    gt[:, 0] = 1
    gt[[2, 3, 8, 9], 0] = 0
    gt[[2, 3, 8, 9], 1] = 1
    batch = torch.tensor([0] * 4 + [1] * 4)
    flat = ged_e(edge_index, torch.ones(12, 3), gt, batch)
    assert flat.c_score == 1.0                       # uninformative weights, best possible score
    oracle = ged_e(edge_index, torch.cat([gt, torch.zeros(12, 1)], 1), gt, batch)
    assert oracle.c_score == 1.0 and oracle.ged_e.max() == 0
    summary = oracle.summary()
    assert summary["c_score_equal_weights"] == 1.0   # the reference says: C-score alone is mute
    assert summary["ged_e_equal_weights"] == pytest.approx(flat.summary()["ged_e"])
    assert summary["ged_e_equal_weights"] > 0        # ... while GED_E tells them apart
    assert "c_score_equal_weights" not in ged_e(edge_index, torch.ones(12, 3), gt, batch,
                                                reference=False).summary()
