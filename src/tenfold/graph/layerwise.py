"""Graph-level baselines built from PyG layers (the FactorGCN paper's comparisons).

* :class:`LayerwiseGNN` — convolutions with an activation per layer and a pooled read-out, either
  ``Linear(tanh(mean_pool(h_L)))`` or the GIN-style sum over layers of ``Linear_l(sum_pool(h_l))``.
* :class:`MeanPoolMLP` — a graph-blind MLP on node features with a mean pool.
* :class:`OneLayer` — ``conv(dropout(x), edge_index)``: a one-layer node classifier (the
  synthetic two-hop task of the SPAGAN recipe).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import global_add_pool, global_mean_pool

__all__ = ["LayerwiseGNN", "MeanPoolMLP", "OneLayer"]


class LayerwiseGNN(nn.Module):
    """Baseline graph model from PyG layers: ``convs`` -> act per layer, pooled read-out.

    ``readout="last"``: ``Linear(tanh(pool(h_L)))`` (the official synthetic baselines);
    ``readout="layers"``: ``sum_l dropout(Linear_l(sum_pool(h_l)))`` over the input and every layer,
    batch norm + ReLU after each layer (the official GIN-style TU models).
    """

    def __init__(self, convs: list[nn.Module], dims: list[int], out_channels: int,
                 readout: str, act, dropout: float = 0.0, batch_norm: bool = False):
        super().__init__()
        self.convs = nn.ModuleList(convs)
        self.norms = nn.ModuleList(nn.BatchNorm1d(d) if batch_norm else nn.Identity()
                                   for d in dims[1:])
        self.readout, self.act, self.dropout = readout, act, dropout
        self.heads = nn.ModuleList([nn.Linear(dims[-1], out_channels)] if readout == "last"
                                   else [nn.Linear(d, out_channels) for d in dims])

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
        feats = [x]
        for conv, norm in zip(self.convs, self.norms, strict=True):
            x = self.act(norm(conv(x, edge_index)))
            feats.append(x)
        if self.readout == "last":
            return self.heads[0](torch.tanh(global_mean_pool(x, batch, num_graphs)))
        return sum(F.dropout(h(global_add_pool(f, batch, num_graphs)), self.dropout, self.training)
                   for h, f in zip(self.heads, feats, strict=True))


class MeanPoolMLP(nn.Module):
    """Graph-blind baseline: a 2-layer MLP on node features, mean pool, linear head."""

    def __init__(self, in_channels: int, hidden: int, out_channels: int):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_channels, hidden), nn.Tanh(),
                                 nn.Linear(hidden, hidden), nn.Tanh())
        self.head = nn.Linear(hidden, out_channels)

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
        return self.head(torch.tanh(global_mean_pool(self.mlp(x), batch, num_graphs)))


class OneLayer(nn.Module):
    """``conv(dropout(x), edge_index)``: the one-layer baselines of the synthetic task."""

    def __init__(self, conv: nn.Module, dropout: float):
        super().__init__()
        self.conv1, self.dropout = conv, dropout

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        return self.conv1(F.dropout(x, self.dropout, self.training), edge_index)
