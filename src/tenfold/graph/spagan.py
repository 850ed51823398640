"""SPAGAN: shortest-path graph attention (Yang et al., IJCAI 2019, arXiv 2101.03464).

A :class:`SPAConv` layer attends over *paths* instead of one-hop neighbours. With
``g_v = W x_v`` (per head) and a :class:`~tenfold.graph.paths.PathSet` giving, for each centre
``i`` and length ``c``, the shortest paths ``p = (i, v_1, ..., v_c)`` in ``P_i^(c)``:

.. math::

    \\phi(p) &= \\max_{t=1..c} g_{v_t}
        \\quad(\\text{element-wise; or the mean, } \\texttt{path\\_pool="mean"}) \\\\
    e_p &= \\mathrm{LeakyReLU}\\big(a_c^\\top [\\phi(p) \\,\\|\\, g_i]\\big), \\qquad
    \\alpha_p = \\operatorname{softmax}_{p \\in P_i^{(c)}} e_p \\\\
    u_i^{(c)} &= \\sum_{p \\in P_i^{(c)}} \\alpha_p \\, \\phi(p) \\\\
    \\beta_i^{(c)} &= \\operatorname{softmax}_{c}\\,
        \\mathrm{LeakyReLU}\\big(b^\\top [u_i^{(c)} \\,\\|\\, g_i]\\big), \\qquad
    h_i = \\sum_{c} \\beta_i^{(c)} u_i^{(c)} + \\text{bias}

one attention vector ``a_c`` per length, one length-attention vector ``b``, heads concatenated or
averaged. Dropout acts on ``alpha`` after normalisation (not on ``beta``). With only one-hop
paths over ``A + I`` the layer is exactly a GAT head (``GATConv``'s ``att_src``/``att_dst`` are
the two halves of ``a_1``); that is what it computes when called without paths.

:class:`SPAGAN` is the paper's two-layer network: a multi-head SPAConv over the shortest paths,
ELU, then a one-hop output SPAConv over ``A + I``.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn.inits import glorot, zeros
from torch_geometric.utils import scatter, softmax

from tenfold.graph.paths import PathSet, ShortestPathSampler, attention_to_cost

log = logging.getLogger(__name__)

__all__ = ["SPAGAN", "SPAAttention", "SPAConv"]


class SPAAttention(NamedTuple):
    """Attention weights of one :class:`SPAConv` call.

    ``paths``: the paths used; ``path_alpha[c-1]``: ``[P_c, heads]`` attention over the
    ``c``-hop paths (normalised per centre); ``length_beta``: ``[N, C, heads]`` attention over
    lengths (``None`` with a single length).
    """

    paths: PathSet
    path_alpha: list[Tensor]
    length_beta: Tensor | None


class SPAConv(nn.Module):
    """Shortest-path attention layer, PyG style (see the module docstring for the equations).

    Args:
        in_channels: input features per node.
        out_channels: output features per head.
        heads: attention heads.
        max_hops: longest path length attended over (one attention vector per length).
        path_pool: ``"max"`` (official code) or ``"mean"`` pooling of a path's non-centre nodes.
        concat: concatenate heads (``[N, heads * out]``) or average them (``[N, out]``).
        negative_slope: LeakyReLU slope of both attention levels.
        dropout: dropout on the path attention coefficients (training only).
        bias: add a learnable bias to the output.

    ``forward(x, edge_index, paths=None)``: with ``paths=None`` the layer attends over the
    one-hop paths of ``A + I`` built from ``edge_index`` (a GAT head); otherwise over ``paths``
    (a :class:`PathSet` whose lengths beyond ``max_hops`` are ignored).
    """

    def __init__(self, in_channels: int, out_channels: int, heads: int = 1, max_hops: int = 2,
                 path_pool: str = "max", concat: bool = True, negative_slope: float = 0.2,
                 dropout: float = 0.0, bias: bool = True):
        super().__init__()
        if path_pool not in ("max", "mean"):
            raise ValueError(f"path_pool must be 'max' or 'mean', got {path_pool!r}")
        if max_hops < 1 or heads < 1:
            raise ValueError("max_hops and heads must be ≥ 1")
        self.in_channels, self.out_channels, self.heads = in_channels, out_channels, heads
        self.max_hops, self.path_pool, self.concat = max_hops, path_pool, concat
        self.negative_slope, self.dropout = negative_slope, dropout
        self.lin = nn.Linear(in_channels, heads * out_channels, bias=False)
        self.att_src = nn.Parameter(torch.empty(max_hops, heads, out_channels))
        self.att_dst = nn.Parameter(torch.empty(max_hops, heads, out_channels))
        if max_hops > 1:
            self.att_len_src = nn.Parameter(torch.empty(1, heads, out_channels))
            self.att_len_dst = nn.Parameter(torch.empty(1, heads, out_channels))
        else:
            self.register_parameter("att_len_src", None)
            self.register_parameter("att_len_dst", None)
        size = heads * out_channels if concat else out_channels
        self.bias = nn.Parameter(torch.empty(size)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        glorot(self.lin.weight)
        for p in (self.att_src, self.att_dst, self.att_len_src, self.att_len_dst):
            if p is not None:
                glorot(p)
        zeros(self.bias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, "
                f"heads={self.heads}, max_hops={self.max_hops}, path_pool={self.path_pool!r})")

    def forward(self, x: Tensor, edge_index: Tensor, paths: PathSet | None = None,
                return_attention_weights: bool = False) -> Tensor | tuple[Tensor, SPAAttention]:
        if x.dim() != 2 or x.size(1) != self.in_channels:
            raise ValueError(f"x must have shape [N, {self.in_channels}], got {tuple(x.shape)}")
        n = x.size(0)
        if paths is None:
            paths = PathSet.from_edge_index(edge_index, n)
        elif paths.num_nodes != n:
            raise ValueError(f"paths were built for {paths.num_nodes} nodes, x has {n}")
        hops = min(paths.max_hops, self.max_hops)
        g = self.lin(x).view(n, self.heads, self.out_channels)

        pooled, alphas = [], []
        for c in range(hops):
            center, nodes = paths.center[c], paths.nodes[c]
            feats = g[nodes]                                    # [P, c, H, F]
            phi = feats.amax(dim=1) if self.path_pool == "max" else feats.mean(dim=1)
            e = (phi * self.att_src[c]).sum(-1) + (g[center] * self.att_dst[c]).sum(-1)
            alpha = softmax(F.leaky_relu(e, self.negative_slope), center, num_nodes=n)
            alphas.append(alpha)
            alpha = F.dropout(alpha, self.dropout, self.training)
            pooled.append(scatter(phi * alpha.unsqueeze(-1), center, dim=0, dim_size=n,
                                  reduce="sum"))                # [N, H, F]
        if hops == 1:
            out, beta = pooled[0], None
        else:
            u = torch.stack(pooled, dim=1)                      # [N, C, H, F]
            s = (u * self.att_len_src).sum(-1) + (g * self.att_len_dst).sum(-1).unsqueeze(1)
            beta = torch.softmax(F.leaky_relu(s, self.negative_slope), dim=1)   # [N, C, H]
            out = (beta.unsqueeze(-1) * u).sum(dim=1)
        out = out.reshape(n, -1) if self.concat else out.mean(dim=1)
        if self.bias is not None:
            out = out + self.bias
        if return_attention_weights:
            return out, SPAAttention(paths.restrict(hops), alphas, beta)
        return out

    @torch.no_grad()
    def edge_attention(self, x: Tensor, edge_index: Tensor) -> tuple[Tensor, Tensor]:
        """One-hop attention over ``A + I`` with this layer's one-hop parameters (no dropout):
        ``(edge_index_with_self_loops, alpha [E, heads])`` in PyG's convention, ready for
        :func:`~tenfold.graph.paths.attention_to_cost`."""
        training = self.training
        self.eval()
        _, att = self.forward(x, edge_index, None, return_attention_weights=True)
        self.train(training)
        ei = torch.stack([att.paths.nodes[0][:, 0], att.paths.center[0]])
        return ei, att.path_alpha[0]


class SPAGAN(nn.Module):
    """The SPAGAN node classifier (two layers by default, as in the paper).

    ``dropout(x) -> SPAConv(heads[0], max_hops, concat) over the shortest paths -> ELU ->
    dropout -> SPAConv(heads[1], one hop over A + I, averaged)``; with ``num_layers=1`` a single
    SPAConv over the paths with ``heads[0]`` averaged heads. Returns logits ``[N, C]``.

    Paths are passed to :meth:`forward` or stored with :meth:`refresh_paths` /
    :meth:`set_paths`; without paths the path layer falls back to one-hop paths over ``A + I``.

    Args:
        in_channels, hidden_channels, out_channels: feature sizes (hidden is per head).
        heads: heads of the path layer and of the output layer.
        max_hops: longest path length of the path layer.
        dropout: on each layer's input and on the path attention.
        path_pool: ``"max"`` or ``"mean"``.
        num_layers: 1 or 2.
        output_elu: apply ELU to the logits (the official code does; PyG's GAT does not).
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int,
                 heads: tuple[int, int] = (8, 1), max_hops: int = 2, dropout: float = 0.6,
                 path_pool: str = "max", num_layers: int = 2, output_elu: bool = False):
        super().__init__()
        if num_layers not in (1, 2):
            raise ValueError(f"num_layers must be 1 or 2, got {num_layers}")
        self.dropout, self.num_layers, self.output_elu = dropout, num_layers, output_elu
        self.max_hops = max_hops
        if num_layers == 2:
            self.conv1 = SPAConv(in_channels, hidden_channels, heads[0], max_hops, path_pool,
                                 concat=True, dropout=dropout)
            self.conv2 = SPAConv(hidden_channels * heads[0], out_channels, heads[1], 1,
                                 path_pool, concat=False, dropout=dropout)
        else:
            self.conv1 = SPAConv(in_channels, out_channels, heads[0], max_hops, path_pool,
                                 concat=False, dropout=dropout)
            self.conv2 = None
        self.paths: PathSet | None = None

    def reset_parameters(self) -> None:
        self.conv1.reset_parameters()
        if self.conv2 is not None:
            self.conv2.reset_parameters()

    def set_paths(self, paths: PathSet | None) -> None:
        """Store ``paths`` for later :meth:`forward` calls."""
        self.paths = paths

    def forward(self, x: Tensor, edge_index: Tensor, paths: PathSet | None = None) -> Tensor:
        paths = paths if paths is not None else self.paths
        if paths is not None and paths.device != x.device:
            paths = paths.to(x.device)
        x = F.dropout(x, self.dropout, self.training)
        x = self.conv1(x, edge_index, paths)
        if self.conv2 is not None:
            x = F.dropout(F.elu(x), self.dropout, self.training)
            x = self.conv2(x, edge_index, None)
        return F.elu(x) if self.output_elu else x

    @torch.no_grad()
    def refresh_paths(self, x: Tensor, edge_index: Tensor,
                      sampler: ShortestPathSampler | None = None,
                      attention: tuple[Tensor, Tensor] | None = None) -> PathSet:
        """Rebuild and store the paths from attention.

        ``attention=(edge_index, alpha)`` in PyG's convention (e.g. a trained ``GATConv``'s
        ``return_attention_weights`` output); by default the path layer's own current one-hop
        attention over ``A + I`` (the paper's iterative regeneration).
        """
        sampler = sampler or ShortestPathSampler(max_hops=self.max_hops)
        if attention is None:
            attention = self.conv1.edge_attention(x, edge_index)
        cost_index, cost = attention_to_cost(attention[0], attention[1], x.size(0))
        self.paths = sampler(cost_index, cost, x.size(0))
        log.debug("paths per length: %s", self.paths.num_paths())
        return self.paths
