"""The FactorGCN synthetic benchmark: graphs that are sums of randomly relabelled factor graphs.

Yang et al., "Factorizable Graph Convolutional Networks", NeurIPS 2020 (arXiv 2010.05421), Sec. 4.1.
Each sample overlays ``ceil(K / 2)`` distinct base graphs, chosen among the first ``K`` of

    Turán(5, 2), house-X, balanced tree (r=3, h=2), 3x3 grid, 3-cube, octahedron

(all from networkx), each padded to ``num_nodes`` nodes and relabelled by its own random node
permutation. The union adjacency ``A = sum_f P_f A_f P_f^T`` (an edge shared by two factors has
value 2) gives the node features (row ``i`` of ``A`` for node ``i``, as in the official code) and,
with a self loop on every node, the graph. The label is the multi-hot vector of the factors used.
Every edge also carries its ground truth: ``gt_edge_factor[e, f] = 1`` when edge ``e`` belongs to
factor ``f`` (self loops belong to none), which the disentanglement metrics of
:mod:`tenfold.graph.disentangle` compare against the learned factor graphs.

Generated with a ``torch.Generator`` (same seed, same dataset), so nothing is downloaded; the
result is cached in memory per argument set.
"""

from __future__ import annotations

import functools
import math

import networkx as nx
import torch
from torch_geometric.data import Data, InMemoryDataset

from tenfold.data.synthetic import register_generator

FACTOR_NAMES = ("turan-5-2", "house-x", "tree-3-2", "grid-3x3", "cube-3", "octahedron")


def base_factor_graphs() -> list[torch.Tensor]:
    """The six base factor graphs as ``[2, E]`` undirected edge lists (both directions)."""
    graphs = [nx.turan_graph(5, 2), nx.house_x_graph(), nx.balanced_tree(3, 2),
              nx.grid_2d_graph(3, 3), nx.hypercube_graph(3), nx.octahedral_graph()]
    out = []
    for g in graphs:
        g = nx.convert_node_labels_to_integers(g, ordering="sorted")
        edges = torch.tensor(sorted(g.edges()), dtype=torch.long).t()
        out.append(torch.cat([edges, edges.flip(0)], dim=1))
    return out


class FactorGraphDataset(InMemoryDataset):
    """An in-memory list of generated :class:`~torch_geometric.data.Data` graphs (no files)."""

    def __init__(self, data_list: list[Data]):
        super().__init__(root=None)
        self.data, self.slices = self.collate(data_list)


def make_factor_graph(factor_ids: list[int], num_nodes: int, num_factors: int,
                      base: list[torch.Tensor], generator: torch.Generator) -> Data:
    """One sample: overlay the base graphs ``factor_ids``, each under a random node permutation."""
    adj = torch.zeros(num_factors, num_nodes, num_nodes)
    for f in factor_ids:
        perm = torch.randperm(num_nodes, generator=generator)
        src, dst = perm[base[f]]
        adj[f, src, dst] = 1.0
    union = adj.sum(0)
    src, dst = union.nonzero(as_tuple=True)
    loops = torch.arange(num_nodes)
    edge_index = torch.stack([torch.cat([src, loops]), torch.cat([dst, loops])])
    gt = adj[:, edge_index[0], edge_index[1]].t().contiguous()
    y = torch.zeros(1, num_factors)
    y[0, factor_ids] = 1.0
    return Data(x=union, edge_index=edge_index, y=y, gt_edge_factor=gt, num_nodes=num_nodes)


@functools.lru_cache(maxsize=4)
def _generate(num_graphs: int, num_factors: int, num_nodes: int, seed: int) -> FactorGraphDataset:
    base = base_factor_graphs()[:num_factors]
    gen = torch.Generator().manual_seed(seed)
    per_sample = math.ceil(num_factors / 2)
    data = []
    for _ in range(num_graphs):
        ids = torch.randperm(num_factors, generator=gen)[:per_sample].sort().values.tolist()
        data.append(make_factor_graph(ids, num_nodes, num_factors, base, gen))
    return FactorGraphDataset(data)


@register_generator("synthetic-factor-graphs",
                    "FactorGCN synthetic task: 15-node sums of K=4 permuted base graphs, "
                    "multi-label, ground-truth factor per edge (embedded)")
def synthetic_factor_graphs(num_graphs: int = 20000, num_factors: int = 4, num_nodes: int = 15,
                            seed: int = 0) -> FactorGraphDataset:
    """Generate the dataset (split it 70/10/20 in order, as the official code does).

    Args:
        num_graphs: number of samples (official: 20,000).
        num_factors: K, how many base graphs are in play (1 to 6; official K = 4); each sample
            uses ``ceil(K / 2)`` of them.
        num_nodes: nodes per graph (must hold the largest base graph used; official 15).
        seed: seed of the generator.
    """
    if not 1 <= num_factors <= len(FACTOR_NAMES):
        raise ValueError(f"num_factors must be in 1..{len(FACTOR_NAMES)}, got {num_factors}")
    need = max(int(g.max()) + 1 for g in base_factor_graphs()[:num_factors])
    if num_nodes < need:
        raise ValueError(f"num_nodes must be at least {need} for {num_factors} factors, "
                         f"got {num_nodes}")
    if num_graphs < 1:
        raise ValueError(f"num_graphs must be positive, got {num_graphs}")
    return _generate(int(num_graphs), int(num_factors), int(num_nodes), int(seed))


def split_indices(num_graphs: int, fractions: tuple[float, float] = (0.7, 0.1)
                  ) -> tuple[range, range, range]:
    """The official train/val/test split: the first 70 %, the next 10 %, the last 20 %."""
    a = int(round(num_graphs * fractions[0], 6))
    b = int(round(num_graphs * (fractions[0] + fractions[1]), 6))
    return range(0, a), range(a, b), range(b, num_graphs)
