"""Two-layer GCN and GAT backbones of the TWP experiments (arXiv 2012.06002), built from PyG layers.

Any ``model(x, edge_index)`` made of PyG ``MessagePassing`` layers works with the continual
plug-ins; these are the defaults of the recipe.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import GATConv, GCNConv


def feature_dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """Dropout that also works on sparse COO feature matrices (drops stored entries)."""
    if not training or p == 0:
        return x
    if x.is_sparse:
        x = x.coalesce()
        return torch.sparse_coo_tensor(x.indices(), F.dropout(x.values(), p, True), x.shape,
                                       check_invariants=False, is_coalesced=True)
    return F.dropout(x, p, True)


class GCN(nn.Module):
    """``GCNConv(in, hidden) -> ReLU -> dropout -> GCNConv(hidden, out)``, dropout on the input too.

    ``cached=True`` caches the normalised adjacency (only when the graph never changes, as in a
    :class:`~tenfold.continual.stream.TaskStream`)."""

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int,
                 dropout: float = 0.5, cached: bool = False):
        super().__init__()
        self.conv1 = GCNConv(in_channels, hidden_channels, cached=cached)
        self.conv2 = GCNConv(hidden_channels, out_channels, cached=cached)
        self.dropout = dropout

    def reset_parameters(self) -> None:
        self.conv1.reset_parameters()
        self.conv2.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        x = feature_dropout(x, self.dropout, self.training)
        x = F.relu(self.conv1(x, edge_index))
        x = F.dropout(x, self.dropout, self.training)
        return self.conv2(x, edge_index)


class GAT(nn.Module):
    """The official TWP GAT: ``heads`` × ``hidden`` attention heads (ELU), then one output head;
    feature and attention dropout ``dropout`` (0.6)."""

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int,
                 heads: int = 8, dropout: float = 0.6):
        super().__init__()
        self.conv1 = GATConv(in_channels, hidden_channels, heads=heads, dropout=dropout)
        self.conv2 = GATConv(hidden_channels * heads, out_channels, heads=1, dropout=dropout)
        self.dropout = dropout

    def reset_parameters(self) -> None:
        self.conv1.reset_parameters()
        self.conv2.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        x = feature_dropout(x, self.dropout, self.training)
        x = F.elu(self.conv1(x, edge_index))
        x = F.dropout(x, self.dropout, self.training)
        return self.conv2(x, edge_index)
