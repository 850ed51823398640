"""The FactorGCN synthetic generator: determinism, labels, and edge ground truth."""

from __future__ import annotations

import math

import pytest
import torch

from tenfold.data import load_dataset
from tenfold.data.synthetic.factor_graphs import (
    _generate,
    base_factor_graphs,
    split_indices,
    synthetic_factor_graphs,
)


def test_base_graph_sizes():
    sizes = [(int(g.max()) + 1, g.size(1) // 2) for g in base_factor_graphs()]
    assert sizes == [(5, 6), (5, 8), (13, 12), (9, 12), (8, 12), (6, 12)]


def test_deterministic_and_seeded():
    a = synthetic_factor_graphs(num_graphs=30, seed=7)
    b = _generate.__wrapped__(30, 4, 15, 7)      # regenerated, not the in-memory cache
    c = synthetic_factor_graphs(num_graphs=30, seed=8)
    for i in range(30):
        assert torch.equal(a[i].edge_index, b[i].edge_index) and torch.equal(a[i].x, b[i].x)
    assert any(not torch.equal(a[i].x, c[i].x) for i in range(30))
    via_catalog = load_dataset("synthetic-factor-graphs", num_graphs=30, seed=7)
    assert torch.equal(via_catalog[5].x, a[5].x)


@pytest.mark.parametrize("k", [3, 4, 6])
def test_labels_and_edge_ground_truth(k):
    ds = synthetic_factor_graphs(num_graphs=300, num_factors=k, seed=1)
    base_edges = [g.size(1) for g in base_factor_graphs()]
    counts = torch.zeros(k)
    for data in ds:
        y = data.y.view(-1)
        assert y.sum() == math.ceil(k / 2)
        counts += y
        src, dst = data.edge_index
        loop = src == dst
        assert int(loop.sum()) == 15                       # one self loop per node
        gt = data.gt_edge_factor
        assert gt[loop].sum() == 0
        assert bool((gt[~loop].sum(1) >= 1).all())          # union edges = union of factors
        # the used factors are exactly the labelled ones, with all their edges
        assert torch.equal((gt.sum(0) > 0).float(), y)
        for f in y.nonzero().view(-1).tolist():
            assert int(gt[:, f].sum()) == base_edges[f]
        # node features are the summed adjacency: x[u, v] = number of factors with edge u-v
        assert torch.equal(data.x[src[~loop], dst[~loop]], gt[~loop].sum(1))
        assert int((data.x > 0).sum()) == int((~loop).sum())
    # every factor used in about half of the samples
    assert bool(((counts / 300 - math.ceil(k / 2) / k).abs() < 0.1).all())


def test_split_and_errors():
    tr, va, te = split_indices(20000)
    assert (len(tr), len(va), len(te)) == (14000, 2000, 4000)
    with pytest.raises(ValueError, match="num_factors"):
        synthetic_factor_graphs(num_graphs=10, num_factors=7)
    with pytest.raises(ValueError, match="num_nodes"):
        synthetic_factor_graphs(num_graphs=10, num_nodes=10)
