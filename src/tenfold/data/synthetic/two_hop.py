"""A graph whose class signal sits exactly two hops away (SPAGAN's mechanism benchmark).

Three kinds of nodes:

* **targets** (the only labelled / evaluated nodes): features pure noise;
* **connectors**: features pure noise; each belongs to one target (its only target neighbour);
* **anchors**: features ``signal * mu_y + noise`` with class means ``mu_c`` (scaled one-hot).

Each target links to ``connectors_per_target`` private connectors and each connector to
``anchors_per_connector`` random anchors of its target's class. So a target's one-hop
neighbourhood (itself and its connectors) carries no class information at all, and its two-hop
neighbourhood is made of same-class anchors: one GAT layer can only guess, one SPAGAN layer with
two-hop shortest paths (arXiv 2101.03464) can read the class off the anchors.
"""

from __future__ import annotations

import torch
from torch_geometric.data import Data
from torch_geometric.utils import coalesce, to_undirected

from tenfold.data.synthetic import register_generator


@register_generator("synthetic-two-hop", "class signal two hops away behind noise "
                    "'connector' nodes; one SPAGAN layer vs one GAT layer (embedded)")
def two_hop_graph(num_classes: int = 4, targets_per_class: int = 100,
                  anchors_per_class: int = 40, connectors_per_target: int = 4,
                  anchors_per_connector: int = 2, num_features: int = 16, signal: float = 2.0,
                  train_per_class: int = 20, num_val: int = 100, seed: int = 0) -> Data:
    """Generate the graph; nodes are ordered targets, connectors, anchors.

    Masks cover targets only: ``train_per_class`` per class for training, ``num_val`` random
    targets for validation, the remaining targets for test. ``data.node_type`` is 0/1/2 for
    target/connector/anchor.
    """
    if num_features < num_classes:
        raise ValueError(f"num_features ({num_features}) must be ≥ num_classes ({num_classes})")
    if train_per_class * num_classes + num_val >= num_classes * targets_per_class:
        raise ValueError("not enough targets for the requested train and validation sizes")
    gen = torch.Generator().manual_seed(seed)
    n_t = num_classes * targets_per_class
    n_c = n_t * connectors_per_target
    n_a = num_classes * anchors_per_class
    y_t = torch.arange(num_classes).repeat_interleave(targets_per_class)
    y_a = torch.arange(num_classes).repeat_interleave(anchors_per_class)
    targets = torch.arange(n_t)
    conn = n_t + torch.arange(n_c)
    conn_target = targets.repeat_interleave(connectors_per_target)
    y_c = y_t[conn_target]
    # connector -> anchors of its target's class
    pick = torch.randint(anchors_per_class, (n_c, anchors_per_connector), generator=gen)
    anchor_ids = n_t + n_c + y_c[:, None] * anchors_per_class + pick
    src = torch.cat([conn_target, conn.repeat_interleave(anchors_per_connector)])
    dst = torch.cat([conn, anchor_ids.reshape(-1)])
    num_nodes = n_t + n_c + n_a
    edge_index = coalesce(to_undirected(torch.stack([src, dst])), num_nodes=num_nodes)

    x = torch.randn(num_nodes, num_features, generator=gen)
    means = torch.zeros(num_classes, num_features)
    means[torch.arange(num_classes), torch.arange(num_classes)] = 1.0
    x[n_t + n_c:] += signal * means[y_a]
    y = torch.cat([y_t, y_c, y_a])
    node_type = torch.cat([torch.zeros(n_t), torch.ones(n_c), torch.full((n_a,), 2.0)]).long()

    train = torch.zeros(num_nodes, dtype=torch.bool)
    for c in range(num_classes):
        idx = (y_t == c).nonzero().view(-1)
        train[idx[torch.randperm(idx.numel(), generator=gen)[:train_per_class]]] = True
    rest = (~train[:n_t]).nonzero().view(-1)
    rest = rest[torch.randperm(rest.numel(), generator=gen)]
    val = torch.zeros(num_nodes, dtype=torch.bool)
    test = torch.zeros(num_nodes, dtype=torch.bool)
    val[rest[:num_val]] = True
    test[rest[num_val:]] = True
    return Data(x=x, edge_index=edge_index, y=y, train_mask=train, val_mask=val, test_mask=test,
                node_type=node_type)
