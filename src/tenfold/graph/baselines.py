"""Baseline node classifiers built from PyG's own layers: MLP, GCN (Kipf & Welling 2017) and
GAT (Veličković et al. 2018), with the papers' two-layer architectures and dropout placement."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import GATConv, GCNConv


def feature_dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """Dropout on input features that also works on sparse COO matrices (drops stored entries);
    on dense input it is ``F.dropout`` and draws the same random numbers."""
    if not training or p == 0:
        return x
    if x.is_sparse:
        x = x.coalesce()
        return torch.sparse_coo_tensor(x.indices(), F.dropout(x.values(), p, True), x.shape,
                                       check_invariants=False, is_coalesced=True)
    return F.dropout(x, p, True)


class MLP(nn.Module):
    """``y = W2 dropout(relu(W1 dropout(x)))``; ignores the graph."""

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int,
                 dropout: float = 0.5):
        super().__init__()
        self.lin1 = nn.Linear(in_channels, hidden_channels)
        self.lin2 = nn.Linear(hidden_channels, out_channels)
        self.dropout = dropout

    def reset_parameters(self) -> None:
        self.lin1.reset_parameters()
        self.lin2.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor | None = None) -> Tensor:
        x = F.dropout(x, self.dropout, self.training)
        x = F.relu(self.lin1(x))
        x = F.dropout(x, self.dropout, self.training)
        return self.lin2(x)


class _TwoConv(nn.Module):
    """``conv2(dropout(act(conv1(dropout(x)))))``: the two-layer skeleton of GCN and GAT."""

    conv1: nn.Module
    conv2: nn.Module
    dropout: float

    @staticmethod
    def act(x: Tensor) -> Tensor:
        return F.relu(x)

    def reset_parameters(self) -> None:
        self.conv1.reset_parameters()
        self.conv2.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        x = feature_dropout(x, self.dropout, self.training)
        x = self.act(self.conv1(x, edge_index))
        x = F.dropout(x, self.dropout, self.training)
        return self.conv2(x, edge_index)


class GCN(_TwoConv):
    """Two ``GCNConv`` layers: ``Â relu(Â X W1) W2`` with ``Â = D^-1/2 (A + I) D^-1/2``.

    ``cached=True`` caches ``Â`` (only when the graph never changes between calls)."""

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int,
                 dropout: float = 0.5, cached: bool = False):
        super().__init__()
        self.conv1 = GCNConv(in_channels, hidden_channels, cached=cached)
        self.conv2 = GCNConv(hidden_channels, out_channels, cached=cached)
        self.dropout = dropout


class GAT(_TwoConv):
    """Two ``GATConv`` layers: ``heads`` concatenated ELU heads, then ``out_heads`` averaged
    output heads; dropout on every layer's input and on the attention coefficients."""

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int,
                 heads: int = 8, out_heads: int = 1, dropout: float = 0.6):
        super().__init__()
        self.conv1 = GATConv(in_channels, hidden_channels, heads=heads, dropout=dropout)
        self.conv2 = GATConv(hidden_channels * heads, out_channels, heads=out_heads,
                             concat=False, dropout=dropout)
        self.dropout = dropout

    @staticmethod
    def act(x: Tensor) -> Tensor:
        return F.elu(x)
