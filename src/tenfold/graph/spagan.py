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
the two halves of ``a_1``); that is what it computes when called without paths, so
``SPAConv`` is a drop-in replacement for ``GATConv`` (same call forms: bipartite ``(x_src,
x_dst)`` input, lazy ``in_channels=-1``, sparse adjacency, ``return_attention_weights``).

:class:`SPAGAN` is the paper's two-layer network: a multi-head SPAConv over the shortest paths,
ELU, then a one-hop output SPAConv over ``A + I``.
"""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn.conv import MessagePassing
from torch_geometric.nn.dense.linear import Linear
from torch_geometric.nn.inits import glorot, zeros
from torch_geometric.typing import SparseTensor
from torch_geometric.utils import (
    add_self_loops,
    is_torch_sparse_tensor,
    remove_self_loops,
    softmax,
    to_edge_index,
    to_torch_coo_tensor,
    to_torch_csr_tensor,
)

from tenfold.graph.paths import PathSet, ShortestPathSampler, attention_to_cost

log = logging.getLogger(__name__)

__all__ = ["SPAGAN", "SPAAttention", "SPAConv"]

_EDGE_ATTR_ERROR = (
    "SPAConv takes no edge_attr: it scores whole paths of up to max_hops edges from their "
    "nodes' features, so a per-edge feature has no single place in the score of a multi-hop "
    "path. Fold edge information into the node features, or use GATConv(edge_dim=...) for "
    "one-hop attention with edge features.")


class SPAAttention(tuple):
    """Attention weights of one :class:`SPAConv` call.

    It *is* ``GATConv``'s pair ``(edge_index, alpha)`` — the one-hop attention, ``alpha`` of
    shape ``[E, heads]`` normalised over the edges entering each centre ``edge_index[1]`` (for a
    sparse adjacency input: the adjacency with ``alpha`` as values, and ``alpha``) — so
    ``out, (edge_index, alpha) = conv(..., return_attention_weights=True)`` works as with GAT.
    The path-level attention is attached:

    * ``paths``: the :class:`PathSet` used;
    * ``path_alpha[c-1]``: ``[P_c, heads]`` attention over the ``c``-hop paths (per centre);
    * ``length_beta``: ``[N, C, heads]`` attention over lengths (``None`` with one length).
    """

    paths: PathSet
    path_alpha: list[Tensor]
    length_beta: Tensor | None

    def __new__(cls, edge_index, alpha: Tensor, paths: PathSet, path_alpha: list[Tensor],
                length_beta: Tensor | None) -> SPAAttention:
        self = super().__new__(cls, (edge_index, alpha))
        self.paths, self.path_alpha, self.length_beta = paths, path_alpha, length_beta
        return self

    @property
    def edge_index(self):
        return self[0]

    @property
    def alpha(self) -> Tensor:
        return self[1]


class _PathMax(torch.autograd.Function):
    """Element-wise max over the nodes of each path, ``phi[p] = max_t g[nodes[p, t]]``.

    Saves one 0/1 mask per element and path step ("this step's node beat the running maximum"),
    as floats (a float multiply is cheaper than a boolean one on the CPU), instead of the
    gathered ``[P, c, D]`` block. The maximum belongs to the last step that beat
    the running maximum (the first node on ties, which only occur on self paths, whose nodes
    are all the centre); the backward hands each element's gradient to that node, walking the
    steps backwards, with one ``index_add`` per step."""

    @staticmethod
    def forward(ctx, flat: Tensor, nodes: Tensor) -> Tensor:
        best = flat.index_select(0, nodes[:, 0])
        took = []
        for t in range(1, nodes.size(1)):
            other = flat.index_select(0, nodes[:, t])
            took.append(torch.gt(other, best, out=torch.empty_like(best)))
            best = torch.maximum(best, other)
        ctx.save_for_backward(nodes, *took)
        ctx.num_nodes = flat.size(0)
        return best

    @staticmethod
    def backward(ctx, grad: Tensor):
        nodes, *took = ctx.saved_tensors
        out = grad.new_zeros((ctx.num_nodes, grad.size(1)))
        rest = grad
        for t in range(nodes.size(1) - 1, 0, -1):
            out.index_add_(0, nodes[:, t], rest * took[t - 1])
            rest = torch.addcmul(rest, rest, took[t - 1], value=-1.0)
        return out.index_add_(0, nodes[:, 0], rest), None


class _HeadScale(torch.autograd.Function):
    """``x * alpha.unsqueeze(-1)`` for ``x [P, H, F]``, ``alpha [P, H]`` (each message scaled
    by its attention), with ``alpha``'s gradient as one ``einsum`` instead of autograd's
    broadcast multiply and sum over the last axis (half the time on the CPU)."""

    @staticmethod
    def forward(ctx, x: Tensor, alpha: Tensor) -> Tensor:
        ctx.save_for_backward(x, alpha)
        return x * alpha.unsqueeze(-1)

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, alpha = ctx.saved_tensors
        grad_x = grad * alpha.unsqueeze(-1) if ctx.needs_input_grad[0] else None
        grad_alpha = torch.einsum("phf,phf->ph", grad, x) if ctx.needs_input_grad[1] else None
        return grad_x, grad_alpha


def _path_pool(g: Tensor, nodes: Tensor, pool: str) -> Tensor:
    """``phi(p)`` for paths ``nodes [P, c]`` over node features ``g [N, H, F]``: the element-wise
    max (:class:`_PathMax`) or the mean of the path's non-centre nodes."""
    n, h, f = g.shape
    flat = g.reshape(n, h * f)
    if pool == "max":
        return _PathMax.apply(flat, nodes).view(-1, h, f)
    phi = flat.index_select(0, nodes[:, 0])
    for t in range(1, nodes.size(1)):
        phi = phi + flat.index_select(0, nodes[:, t])
    return (phi / nodes.size(1)).view(-1, h, f)


def _block_diagonal(att: Tensor) -> Tensor:
    """``[H, F]`` attention vectors as the ``[H * F, H]`` matrix ``W`` with
    ``(phi.view(P, H * F) @ W)[p, h] = phi[p, h] · att[h]`` (one matrix product instead of a
    broadcast multiply and a sum over a ``[P, H, F]`` temporary)."""
    heads = att.size(0)
    eye = torch.eye(heads, dtype=att.dtype, device=att.device)
    return (att.unsqueeze(-1) * eye.unsqueeze(1)).reshape(-1, heads)


class SPAConv(MessagePassing):
    """Shortest-path attention layer, a drop-in for PyG's ``GATConv`` (module docstring:
    equations).

    Args:
        in_channels: input features per node; ``-1`` for lazy initialisation; a pair
            ``(src, dst)`` for bipartite input (one-hop attention only).
        out_channels: output features per head.
        heads: attention heads.
        max_hops: longest path length attended over (one attention vector per length).
        path_pool: ``"max"`` (official code) or ``"mean"`` pooling of a path's non-centre nodes.
        concat: concatenate heads (``[N, heads * out]``) or average them (``[N, out]``).
        negative_slope: LeakyReLU slope of both attention levels.
        dropout: dropout on the path attention coefficients (training only).
        bias: add a learnable bias to the output.
        add_self_loops: without ``paths``, attend over ``A + I`` (as ``GATConv``).

    ``forward(x, edge_index, paths=None, *, size=None, return_attention_weights=None)``:

    * ``x``: ``[N, in]`` or a bipartite pair ``(x_src [N_src, in], x_dst [N_dst, in])``;
    * ``edge_index``: ``[2, E]``, a ``torch.sparse`` adjacency or a ``SparseTensor`` (PyG's
      transposed convention, as for ``GATConv``);
    * ``paths``: ``None`` → one-hop paths over ``A + I`` from ``edge_index`` (a GAT head); a
      :class:`PathSet` → attend over its paths (lengths beyond ``max_hops`` are ignored);
    * ``return_attention_weights``: also return an :class:`SPAAttention`, which unpacks as
      ``GATConv``'s ``(edge_index, alpha)``.

    Length-attention parameters that a call does not use (no multi-hop paths) still receive a
    zero gradient, so ``DistributedDataParallel``'s unused-parameter check passes.
    """

    def __init__(self, in_channels: int | tuple[int, int], out_channels: int, heads: int = 1,
                 max_hops: int = 2, path_pool: str = "max", concat: bool = True,
                 negative_slope: float = 0.2, dropout: float = 0.0, bias: bool = True,
                 add_self_loops: bool = True, **kwargs):
        kwargs.setdefault("aggr", "add")
        super().__init__(node_dim=0, **kwargs)
        if path_pool not in ("max", "mean"):
            raise ValueError(f"path_pool must be 'max' or 'mean', got {path_pool!r}")
        if max_hops < 1 or heads < 1 or out_channels < 1:
            raise ValueError("max_hops, heads and out_channels must be ≥ 1, got "
                             f"{max_hops}, {heads}, {out_channels}")
        self.in_channels, self.out_channels, self.heads = in_channels, out_channels, heads
        self.max_hops, self.path_pool, self.concat = max_hops, path_pool, concat
        self.negative_slope, self.dropout = negative_slope, dropout
        self.add_self_loops = add_self_loops
        self.lin = self.lin_src = self.lin_dst = None
        if isinstance(in_channels, int):
            self.lin = Linear(in_channels, heads * out_channels, bias=False,
                              weight_initializer="glorot")
        else:
            self.lin_src = Linear(in_channels[0], heads * out_channels, bias=False,
                                  weight_initializer="glorot")
            self.lin_dst = Linear(in_channels[1], heads * out_channels, bias=False,
                                  weight_initializer="glorot")
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
        super().reset_parameters()
        for lin in (self.lin, self.lin_src, self.lin_dst):
            if lin is not None:
                lin.reset_parameters()
        for p in (self.att_src, self.att_dst, self.att_len_src, self.att_len_dst):
            if p is not None:
                glorot(p)
        zeros(self.bias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, "
                f"heads={self.heads}, max_hops={self.max_hops}, path_pool={self.path_pool!r})")

    # -- input handling ---------------------------------------------------------------------

    def _project(self, x) -> tuple[Tensor, Tensor, bool]:
        """``(g_src [N_src, H, F], g_dst [N_dst, H, F], bipartite)``."""
        h, f = self.heads, self.out_channels
        bipartite = isinstance(x, (tuple, list))
        if bipartite:
            if len(x) != 2 or not all(isinstance(t, Tensor) for t in x):
                raise ValueError("bipartite input must be a pair of tensors (x_src, x_dst); "
                                 "SPAConv needs the destination features to score attention")
            x_src, x_dst = x
        else:
            x_src = x_dst = x
        for name, t in (("x_src", x_src), ("x_dst", x_dst)) if bipartite else (("x", x),):
            if t.dim() != 2:
                raise ValueError(f"{name} must have shape [N, in_channels], got "
                                 f"{tuple(t.shape)}")
        expect = (self.in_channels if isinstance(self.in_channels, (tuple, list))
                  else (self.in_channels, self.in_channels))
        for name, t, want in (("x_src" if bipartite else "x", x_src, expect[0]),
                              ("x_dst" if bipartite else "x", x_dst, expect[1])):
            if want != -1 and t.size(1) != want:
                raise ValueError(f"{name} must have shape [N, {want}], got {tuple(t.shape)}")
        if self.lin is not None:
            g_src = self.lin(x_src).view(-1, h, f)
            g_dst = g_src if x_dst is x_src else self.lin(x_dst).view(-1, h, f)
        else:
            g_src = self.lin_src(x_src).view(-1, h, f)
            g_dst = self.lin_dst(x_dst).view(-1, h, f)
        return g_src, g_dst, bipartite

    @staticmethod
    def _as_edge_index(edge_index) -> tuple[Tensor, str]:
        """``(edge_index [2, E], kind)`` from any of PyG's adjacency forms."""
        if isinstance(edge_index, SparseTensor) or (
                isinstance(edge_index, Tensor) and is_torch_sparse_tensor(edge_index)):
            kind = ("sparse_tensor" if isinstance(edge_index, SparseTensor)
                    else "csr" if edge_index.layout == torch.sparse_csr else "coo")
            return to_edge_index(edge_index)[0].flip(0), kind   # adj_t[i, j]: message j -> i
        if not isinstance(edge_index, Tensor) or edge_index.dim() != 2 or edge_index.size(0) != 2:
            shape = tuple(edge_index.shape) if isinstance(edge_index, Tensor) else edge_index
            raise ValueError(f"edge_index must be a [2, E] tensor or a sparse adjacency, "
                             f"got {shape}")
        return edge_index, "edge_index"

    # -- forward ------------------------------------------------------------------------------

    def forward(self, x: Tensor | tuple[Tensor, Tensor], edge_index,
                paths: PathSet | None = None, edge_attr: Tensor | None = None,
                size: tuple[int, int] | None = None,
                return_attention_weights: bool | None = None):
        if isinstance(paths, Tensor):        # GATConv's third positional argument
            edge_attr, paths = paths, None
        if edge_attr is not None:
            raise ValueError(_EDGE_ATTR_ERROR)
        if paths is not None and not isinstance(paths, PathSet):
            raise TypeError(f"paths must be a PathSet or None, got {type(paths).__name__}")
        g_src, g_dst, bipartite = self._project(x)
        n_src, n_dst = g_src.size(0), g_dst.size(0)
        if size is not None:
            n_src, n_dst = int(size[0]), int(size[1])
        ei, kind = self._as_edge_index(edge_index)
        if ei.numel() and (int(ei[0].max()) >= n_src or int(ei[1].max()) >= n_dst):
            raise ValueError(f"edge_index refers to nodes outside the {n_src} source / "
                             f"{n_dst} destination nodes of x")

        if paths is None:
            if self.add_self_loops:
                ei, _ = remove_self_loops(ei)
                ei, _ = add_self_loops(ei, num_nodes=min(n_src, n_dst))
            hop_edges = [ei]
            nodes_per_hop: list[Tensor] = [ei[0].view(-1, 1)]
        else:
            if bipartite:
                raise ValueError("paths need one node set: a path (i, v1, v2) steps from a "
                                 "source node to another, which bipartite (x_src, x_dst) input "
                                 "does not have; pass a single x")
            if paths.num_nodes != n_dst:
                raise ValueError(f"paths were built for {paths.num_nodes} nodes, x has {n_dst}")
            if paths.device != g_src.device:
                paths = paths.to(g_src.device)
            hops = min(paths.max_hops, self.max_hops)
            nodes_per_hop = [paths.nodes[c] for c in range(hops)]
            hop_edges = [torch.stack([nodes_per_hop[c][:, -1], paths.center[c]])
                         for c in range(hops)]
        hops = len(hop_edges)

        pooled, alphas = [], []
        for c in range(hops):
            center = hop_edges[c][1]
            a_dst = (g_dst * self.att_dst[c]).sum(-1)                        # [N_dst, H]
            if c == 0:   # one hop: phi(p) = g_j, scores decompose per node (as in GATConv)
                a_src = (g_src * self.att_src[0]).sum(-1)
                alpha = self.edge_updater(hop_edges[0], alpha=(a_src, a_dst),
                                          size=(n_src, n_dst))
                phi = None
            else:
                phi = _path_pool(g_src, nodes_per_hop[c], self.path_pool)   # [P, H, F]
                e = (phi.reshape(phi.size(0), -1) @ _block_diagonal(self.att_src[c])
                     + a_dst.index_select(0, center))
                alpha = softmax(F.leaky_relu(e, self.negative_slope), center, num_nodes=n_dst)
            alphas.append(alpha)
            alpha = F.dropout(alpha, self.dropout, self.training)
            pooled.append(self.propagate(hop_edges[c], x=(g_src, None) if phi is None else None,
                                         phi=phi, alpha=alpha, size=(n_src, n_dst)))
        beta = None
        if hops == 1:
            out = pooled[0]
            if self.att_len_src is not None and torch.is_grad_enabled():
                # unused here: a zero gradient keeps DDP's unused-parameter check quiet
                out = out + 0.0 * (self.att_len_src.sum() + self.att_len_dst.sum())
        else:
            u = torch.stack(pooled, dim=1)                                   # [N, C, H, F]
            s = ((u * self.att_len_src).sum(-1)
                 + (g_dst * self.att_len_dst).sum(-1).unsqueeze(1))
            beta = torch.softmax(F.leaky_relu(s, self.negative_slope), dim=1)   # [N, C, H]
            out = (beta.unsqueeze(-1) * u).sum(dim=1)
        out = out.reshape(n_dst, -1) if self.concat else out.mean(dim=1)
        if self.bias is not None:
            out = out + self.bias
        if not return_attention_weights:
            return out
        used = (PathSet([e[1] for e in hop_edges], nodes_per_hop, n_dst) if paths is None
                else paths.restrict(hops))
        return out, SPAAttention(*self._attention_pair(hop_edges[0], alphas[0], kind, edge_index,
                                                       (n_src, n_dst)),
                                 used, alphas, beta)

    def aggregate(self, inputs: Tensor, index: Tensor, ptr: Tensor | None = None,
                  dim_size: int | None = None) -> Tensor:
        """Sum aggregation with ``index_add_`` (PyG's default ``scatter_add_`` over a
        broadcast index is about 3x slower on the CPU, forward and backward)."""
        if self.aggr != "add" or self.aggr_module.__class__.__name__ != "SumAggregation":
            return super().aggregate(inputs, index, ptr, dim_size)
        size = (dim_size if dim_size is not None else int(index.max()) + 1, *inputs.shape[1:])
        return inputs.new_zeros(size).index_add_(0, index, inputs)

    def edge_update(self, alpha_j: Tensor, alpha_i: Tensor, index: Tensor, ptr: Tensor | None,
                    dim_size: int | None) -> Tensor:
        """One-hop attention ``softmax_j LeakyReLU(a_src·g_j + a_dst·g_i)`` before dropout
        (the coefficients PyG hooks such as TWP's ``AttentionRecorder`` read)."""
        return softmax(F.leaky_relu(alpha_j + alpha_i, self.negative_slope), index, ptr,
                       dim_size)

    def message(self, x_j: Tensor | None, phi: Tensor | None, alpha: Tensor) -> Tensor:
        return _HeadScale.apply(x_j if phi is None else phi, alpha)

    @staticmethod
    def _attention_pair(ei: Tensor, alpha: Tensor, kind: str, adj, size: tuple[int, int]):
        """GATConv's return form for each adjacency kind."""
        if kind == "edge_index":
            return ei, alpha
        if kind == "sparse_tensor":
            row, col = ei[1], ei[0]
            adj_t = SparseTensor(row=row, col=col, value=alpha, sparse_sizes=(size[1], size[0]))
            return adj_t, adj_t.storage.value()
        to_sparse = to_torch_csr_tensor if kind == "csr" else to_torch_coo_tensor
        adj_t = to_sparse(ei.flip(0), alpha, size=(size[1], size[0]))
        return adj_t, adj_t.values()

    @torch.no_grad()
    def edge_attention(self, x: Tensor, edge_index: Tensor) -> tuple[Tensor, Tensor]:
        """One-hop attention over ``A + I`` with this layer's one-hop parameters (no dropout):
        ``(edge_index_with_self_loops, alpha [E, heads])`` in PyG's convention, ready for
        :func:`~tenfold.graph.paths.attention_to_cost`."""
        training = self.training
        self.eval()
        try:
            _, (ei, alpha) = self.forward(x, edge_index, None, return_attention_weights=True)
        finally:
            self.train(training)
        return ei, alpha


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
