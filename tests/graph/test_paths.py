"""Shortest-path generation and sampling for SPAGAN (tenfold.graph.paths)."""

from __future__ import annotations

import math

import networkx as nx
import pytest
import torch

from tenfold.graph.paths import PathSet, ShortestPathSampler, attention_to_cost


def as_sets(paths: PathSet) -> list[dict[int, list[tuple[int, ...]]]]:
    """Per hop: centre -> list of path node tuples (in stored order)."""
    out = []
    for ctr, nds in zip(paths.center, paths.nodes, strict=True):
        groups: dict[int, list[tuple[int, ...]]] = {}
        for c, row in zip(ctr.tolist(), nds.tolist(), strict=True):
            groups.setdefault(c, []).append(tuple(row))
        out.append(groups)
    return out


def detour_graph() -> tuple[torch.Tensor, torch.Tensor]:
    """0->1 costs 1.0 but 0->2->1 costs 0.3; 0->3 costs 0.5; 1->3 costs 0.3."""
    edges = [(0, 1, 1.0), (0, 2, 0.1), (2, 1, 0.2), (0, 3, 0.5), (1, 3, 0.3), (3, 0, 0.4)]
    ei = torch.tensor([[s, d] for s, d, _ in edges]).t()
    return ei, torch.tensor([c for *_, c in edges])


def test_detour_removes_direct_neighbour_and_becomes_two_hop_path():
    ei, cost = detour_graph()
    paths = ShortestPathSampler(max_hops=2)(ei, cost, 4)
    one, two = as_sets(paths)
    assert sorted(one[0]) == [(0,), (2,), (3,)]          # 1 is reached more cheaply via 2
    assert two[0] == [(2, 1), (0, 0)]                      # floor(0.5 * 2) = 1 path, then self
    assert torch.allclose(paths.cost[1][:1], torch.tensor([0.3]))
    for c in range(4):                                     # self paths at every length
        assert (c,) in one[c] and (c, c) in two[c]


def test_attention_to_cost_formula_direction_and_heads():
    # PyG convention: alpha of edge (j -> i) is centre i's attention to j.
    ei = torch.tensor([[1, 2, 0, 0, 1], [0, 0, 1, 0, 1]])   # includes self loops 0->0, 1->1
    alpha = torch.tensor([[0.6, 0.2], [0.1, 0.1], [0.3, 0.5], [0.3, 0.3], [0.5, 0.5]])
    cost_ei, cost = attention_to_cost(ei, alpha, 3)
    mean = {(0, 1): 0.4, (0, 2): 0.1, (1, 0): 0.4}          # centre -> neighbour
    got = {tuple(e): c for e, c in zip(cost_ei.t().tolist(), cost.tolist(), strict=True)}
    assert set(got) == set(mean)                            # self loops dropped, flipped
    for key, a in mean.items():
        assert math.isclose(got[key], 1 - a / 0.4, abs_tol=1e-6)
    assert min(got.values()) == 0.0


def test_zero_cost_edges_are_edges():
    ei = torch.tensor([[0, 1], [1, 2]])
    paths = ShortestPathSampler(max_hops=2, degree_ratio=1.0)(ei, torch.zeros(2), 3)
    one, two = as_sets(paths)
    assert (1,) in one[0] and (1, 2) in two[0]


def test_sampling_count_order_and_ties():
    # centre 0 with five neighbours 1..5; neighbour v links to leaves 10+2v and 11+2v.
    edges, costs = [], []
    for v in range(1, 6):
        edges.append((0, v))
        costs.append(0.5)
        for k, leaf in enumerate((10 + 2 * v, 11 + 2 * v)):
            edges.append((v, leaf))
            costs.append(0.2 if v in (4, 5) and k == 0 else 0.3)   # two cheapest: via 4 and 5
    edges.append((1, 21))      # another equally cheap leaf? no: 1->21 costs 0.3 (tie class)
    costs.append(0.3)
    edges.append((30, 31))     # node 30 has one neighbour -> floor(0.5) = 0 two-hop paths
    costs.append(0.1)
    edges.append((31, 32))
    costs.append(0.1)
    ei = torch.tensor(edges).t()
    paths = ShortestPathSampler(max_hops=2)(ei, torch.tensor(costs), 33)
    one, two = as_sets(paths)
    assert len(one[0]) == 6                                     # 5 neighbours + self
    assert two[0] == [(4, 18), (5, 20), (0, 0)]                 # floor(2.5) = 2, by cost
    assert two[30] == [(30, 30)]
    # ties: with equal costs everywhere the lowest end-node ids win
    flat = ShortestPathSampler(max_hops=2)(ei, torch.ones(len(costs)), 33)
    assert as_sets(flat)[1][0] == [(1, 12), (1, 13), (0, 0)]
    # max_ratio caps the count by the number of candidates
    capped = ShortestPathSampler(max_hops=2, degree_ratio=10, max_ratio=0.25)(ei, torch.ones(
        len(costs)), 33)
    assert len(as_sets(capped)[1][0]) == math.floor(0.25 * 11) + 1


def reference_paths(edges, costs, n, max_hops, degree_ratio, max_ratio):
    """networkx Dijkstra + the official sampling rule, written out plainly."""
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for (s, d), c in zip(edges, costs, strict=True):
        g.add_edge(s, d, weight=c)
    result = [dict() for _ in range(max_hops)]
    for i in range(n):
        dist, route = nx.single_source_dijkstra(g, i)
        by_len: list[list] = [[] for _ in range(max_hops)]
        for v, p in route.items():
            if 2 <= len(p) <= max_hops + 1:
                by_len[len(p) - 2].append((dist[v], v, tuple(p[1:])))
        deg = len(by_len[0])
        for c in range(max_hops):
            cand = sorted(by_len[c])
            k = len(cand) if c == 0 else math.floor(min(degree_ratio * deg,
                                                         math.floor(max_ratio * len(cand))))
            result[c][i] = [p for *_, p in cand[:k]] + [(i,) * (c + 1)]
    return result


@pytest.mark.parametrize("max_hops,degree_ratio,max_ratio", [(2, 0.5, 1.0), (3, 1.5, 0.5)])
def test_matches_networkx_reference_on_random_graph(max_hops, degree_ratio, max_ratio):
    gen = torch.Generator().manual_seed(3)
    n = 60
    ei = torch.randint(n, (2, 300), generator=gen)
    ei = ei[:, ei[0] != ei[1]]
    ei = torch.unique(ei, dim=1)
    cost = torch.rand(ei.size(1), generator=gen, dtype=torch.float64)
    paths = ShortestPathSampler(max_hops, degree_ratio, max_ratio, block_size=7)(ei, cost, n)
    expected = reference_paths(ei.t().tolist(), cost.tolist(), n, max_hops, degree_ratio,
                               max_ratio)
    got = as_sets(paths)
    for c in range(max_hops):
        assert {i: got[c].get(i, []) for i in range(n)} == expected[c]


def test_deterministic_and_block_size_independent():
    gen = torch.Generator().manual_seed(0)
    ei = torch.randint(40, (2, 200), generator=gen)
    cost = torch.randint(3, (200,), generator=gen).float()     # many ties
    a = ShortestPathSampler(block_size=1024)(ei, cost, 40)
    b = ShortestPathSampler(block_size=3)(ei, cost, 40)
    for x, y in zip(a.center + a.nodes, b.center + b.nodes, strict=True):
        assert torch.equal(x, y)


def test_permutation_equivariance():
    gen = torch.Generator().manual_seed(1)
    n = 30
    ei = torch.randint(n, (2, 120), generator=gen)
    cost = torch.rand(120, generator=gen)
    perm = torch.randperm(n, generator=gen)                     # old id -> new id
    a = as_sets(ShortestPathSampler()(ei, cost, n))
    b = as_sets(ShortestPathSampler()(perm[ei], cost, n))
    for c in range(2):
        for i, ps in a[c].items():
            mapped = sorted(tuple(perm[list(p)].tolist()) for p in ps)
            assert sorted(b[c][int(perm[i])]) == mapped


def test_pathset_helpers_and_errors():
    ei = torch.tensor([[0, 1, 2], [1, 2, 0]])
    ps = ShortestPathSampler(max_hops=2, degree_ratio=1.0)(ei, torch.ones(3), 3)
    assert ps.counts().tolist() == [[2, 2]] * 3
    assert ps.restrict(1).max_hops == 1 and ps.num_paths() == [6, 6]
    assert PathSet.from_state_dict(ps.state_dict()).num_paths() == ps.num_paths()
    gat = PathSet.from_edge_index(ei, 3)
    assert gat.num_paths() == [6]
    with pytest.raises(ValueError, match="edge_cost"):
        ShortestPathSampler()(ei, torch.ones(2), 3)
    with pytest.raises(ValueError, match="non-negative"):
        ShortestPathSampler()(ei, -torch.ones(3), 3)
    with pytest.raises(ValueError, match=r"\[2, E\]"):
        ShortestPathSampler()(ei.t(), torch.ones(3), 3)
    with pytest.raises(ValueError, match="alpha"):
        attention_to_cost(ei, torch.ones(4), 3)
    with pytest.raises(ValueError, match="nodes"):
        PathSet([torch.zeros(2, dtype=torch.long)], [torch.zeros(2, 2, dtype=torch.long)], 3)


@pytest.mark.parametrize("radii", [(), (-0.5,), (-0.02, 0.0, 0.05), (-0.3, -0.1, 0.5)])
def test_bounded_rounds_give_the_full_search_paths(monkeypatch, radii):
    """The sampler searches each source only as far as its kept paths need (a guessed radius,
    widened in rounds for sources whose quota is not provably filled). Whatever the radii, the
    paths and costs must equal the networkx reference on the whole graph; costs near 1 as from
    attention (many two-hop distances close to the guess)."""
    import tenfold.graph.paths as paths_module

    gen = torch.Generator().manual_seed(5)
    n = 80
    ei = torch.randint(n, (2, 900), generator=gen)
    ei = torch.unique(ei[:, ei[0] != ei[1]], dim=1)
    cost = 0.6 + 0.4 * torch.rand(ei.size(1), generator=gen, dtype=torch.float64)
    limits = []

    def recording_dijkstra(*args, **kwargs):
        limits.append(kwargs["limit"])
        return paths_module.scipy_dijkstra(*args, **kwargs)

    monkeypatch.setattr(paths_module, "scipy_dijkstra", paths_module.dijkstra, raising=False)
    monkeypatch.setattr(paths_module, "dijkstra", recording_dijkstra)
    monkeypatch.setattr(ShortestPathSampler, "_RADII", radii)
    got = ShortestPathSampler(max_hops=2, block_size=8)(ei, cost, n)
    expected = reference_paths(ei.t().tolist(), cost.tolist(), n, 2, 0.5, 1.0)
    sets = as_sets(got)
    for c in range(2):
        assert {i: sets[c].get(i, []) for i in range(n)} == expected[c]
    full = 2 * float(cost.max())
    if radii:
        assert min(limits) < full                           # bounded searches did happen
    # costs: the stored cost of every path is the sum of its edge costs
    w = {tuple(e): c for e, c in zip(ei.t().tolist(), cost.tolist(), strict=True)}
    for ctr, nds, cst in zip(got.center[1], got.nodes[1], got.cost[1], strict=True):
        route = [int(ctr), *nds.tolist()]
        total = sum(w.get((a, b), 0.0) for a, b in zip(route, route[1:], strict=False))
        assert math.isclose(float(cst), total, rel_tol=1e-6)
