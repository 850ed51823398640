"""A stochastic block model with class-dependent Gaussian features (node classification)."""

from __future__ import annotations

import torch
from torch_geometric.data import Data
from torch_geometric.utils import coalesce, to_undirected

from tenfold.data.splits import planetoid_style_masks
from tenfold.data.synthetic import register_generator


@register_generator("synthetic-sbm", "stochastic block model, 6 classes, class-dependent "
                    "noisy features (embedded)")
def stochastic_block_model(num_nodes: int = 1200, num_classes: int = 6, num_features: int = 32,
                           avg_degree: float = 6.0, homophily: float = 0.8,
                           feature_signal: float = 0.6, train_per_class: int = 20,
                           num_val: int = 300, num_test: int = 600, seed: int = 0) -> Data:
    """Nodes get classes uniformly; an edge falls inside a class with probability ``homophily``.

    Features are ``x_i = feature_signal * mu_{y_i} + eps_i`` with class means ``mu_c`` drawn from
    N(0, I) and noise ``eps_i ~ N(0, I)``, so neither features nor the graph alone suffice: an MLP
    sees a noisy signal, a GNN averages the noise away over same-class neighbours.
    """
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(num_classes, (num_nodes,), generator=gen)
    num_edges = int(num_nodes * avg_degree / 2)
    src = torch.randint(num_nodes, (num_edges,), generator=gen)
    same = torch.rand(num_edges, generator=gen) < homophily
    members = [(y == c).nonzero().view(-1) for c in range(num_classes)]
    dst = torch.randint(num_nodes, (num_edges,), generator=gen)
    for c in range(num_classes):
        pick = same & (y[src] == c)
        choice = torch.randint(members[c].numel(), (int(pick.sum()),), generator=gen)
        dst[pick] = members[c][choice]
    keep = src != dst
    edge_index = coalesce(to_undirected(torch.stack([src[keep], dst[keep]])), num_nodes=num_nodes)
    means = torch.randn(num_classes, num_features, generator=gen)
    x = feature_signal * means[y] + torch.randn(num_nodes, num_features, generator=gen)
    train, val, test = planetoid_style_masks(y, train_per_class, num_val, num_test, gen)
    return Data(x=x, edge_index=edge_index, y=y, train_mask=train, val_mask=val, test_mask=test)
