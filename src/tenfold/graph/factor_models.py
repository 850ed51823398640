"""The models the FactorGCN comparison trains (arXiv 2010.05421), built by method name.

Two settings, as in the official code:

* :func:`synthetic_model` — the synthetic multi-label task: ``factorgcn`` (two
  :class:`~tenfold.graph.factorgcn.FactorConv` layers with ``K`` and ``max(K // 2, 1)`` factors,
  mean pool, LeakyReLU, discriminator weight ``lambda = dis_weight``), ``factorgcn-nodis``
  (``lambda = 0``), ``gcn`` (3 GCN layers, tanh, mean pool), ``gat`` (2 GAT layers with 8 heads
  of ``hidden / 8``, ELU, no self loops so that the heads align with the input edges), ``mlp``
  (graph-blind :class:`~tenfold.graph.layerwise.MeanPoolMLP`);
* :func:`tu_model` — graph classification on TU datasets with the GIN-style read-out (5 layers,
  batch norm, sum pool of every layer): ``factorgcn`` (``K = 4, 4, 2, 2, 1``), ``gcn``, ``gin``,
  ``gat`` (4 heads of ``hidden / 4``).

Every model is called as ``model(x, edge_index, batch, num_graphs)``; :func:`graph_forward`
does that for a PyG ``Batch``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import GATConv, GCNConv, GINConv

from tenfold.graph.factorgcn import FactorGCN
from tenfold.graph.layerwise import LayerwiseGNN, MeanPoolMLP

__all__ = ["SYNTHETIC_METHODS", "TU_METHODS", "graph_forward", "synthetic_model", "tu_model"]

SYNTHETIC_METHODS = ("factorgcn", "factorgcn-nodis", "gcn", "gat", "mlp")
TU_METHODS = ("factorgcn", "gcn", "gin", "gat")


def graph_forward(model: nn.Module, batch) -> Tensor:
    """``model(batch.x, batch.edge_index, batch.batch, batch.num_graphs)``: ``[G, out]``."""
    return model(batch.x, batch.edge_index, batch.batch, batch.num_graphs)


def synthetic_model(method: str, in_channels: int, out_channels: int, hidden: int = 32,
                    num_factors: int = 4, dis_weight: float = 1.0, dropout: float = 0.0
                    ) -> nn.Module:
    """The synthetic task's model of ``method`` (one of :data:`SYNTHETIC_METHODS`)."""
    if method.startswith("factorgcn") and method in SYNTHETIC_METHODS:
        lam = 0.0 if method == "factorgcn-nodis" else dis_weight
        return FactorGCN(in_channels, hidden, out_channels,
                         factors_per_layer=(num_factors, max(num_factors // 2, 1)),
                         pool="mean", readout="last", act="leaky_relu", dropout=dropout,
                         dis_weight=lam)
    if method == "gcn":   # 3 GCN layers, tanh, mean pool (official baseline)
        dims = [in_channels, hidden, hidden, hidden]
        convs = [GCNConv(dims[i], dims[i + 1]) for i in range(3)]
        return LayerwiseGNN(convs, dims, out_channels, "last", torch.tanh)
    if method == "gat":   # 2 GAT layers, 8 heads x hidden/8, ELU, mean pool
        heads = 8
        dims = [in_channels, hidden, hidden]
        convs = [GATConv(dims[i], hidden // heads, heads=heads, add_self_loops=False)
                 for i in range(2)]
        return LayerwiseGNN(convs, dims, out_channels, "last", F.elu)
    if method == "mlp":
        return MeanPoolMLP(in_channels, hidden, out_channels)
    raise ValueError(f"method: expected one of {', '.join(SYNTHETIC_METHODS)}, got {method!r}")


def tu_model(method: str, in_channels: int, out_channels: int, hidden: int = 64,
             dis_weight: float = 0.5, dropout: float = 0.4) -> nn.Module:
    """The TU graph-classification model of ``method`` (one of :data:`TU_METHODS`)."""
    if method == "factorgcn":   # official GIN-style FactorGNN: K = 4, 4, 2, 2, 1
        return FactorGCN(in_channels, hidden, out_channels, factors_per_layer=(4, 4, 2, 2, 1),
                         pool="sum", readout="layers", batch_norm=True, act="relu",
                         dropout=dropout, dis_weight=dis_weight)
    dims = [in_channels] + [hidden] * 5
    if method == "gcn":
        convs = [GCNConv(dims[i], dims[i + 1]) for i in range(5)]
    elif method == "gin":
        convs = [GINConv(nn.Sequential(nn.Linear(dims[i], hidden), nn.BatchNorm1d(hidden),
                                       nn.ReLU(), nn.Linear(hidden, hidden)))
                 for i in range(5)]
    elif method == "gat":
        convs = [GATConv(dims[i], hidden // 4, heads=4) for i in range(5)]
    else:
        raise ValueError(f"method: expected one of {', '.join(TU_METHODS)}, got {method!r}")
    return LayerwiseGNN(convs, dims, out_channels, "layers", F.relu, dropout, batch_norm=True)
