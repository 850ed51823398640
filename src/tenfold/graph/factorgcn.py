"""FactorGCN: factorisable graph convolution (Yang et al., NeurIPS 2020, arXiv 2010.05421).

A :class:`FactorConv` layer splits the input graph into ``K`` *factor graphs* — the same edges with
``K`` different soft weights — aggregates features on each of them, and concatenates the ``K``
results. A :class:`FactorDiscriminator` per layer is trained jointly (cooperatively, not
adversarially) to tell the ``K`` factor graphs of every graph apart, which keeps the factors from
collapsing onto the same edges. :class:`FactorGCN` stacks the layers into a graph- or node-level
model whose :meth:`FactorGCN.disentangle_loss` is added to the task loss.

Deliberate differences from the official code (ihollywhy/FactorGCN.PyTorch): the loss is
device-agnostic (the official one creates its labels with ``.cuda()``), a one-graph batch works
(the official ``.squeeze()`` breaks it), and the symmetric normalisation is offered as an option.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing, global_add_pool, global_mean_pool
from torch_geometric.utils import degree

Normalize = Literal["source", "sym", "none"]


def _check_graph(x: Tensor, edge_index: Tensor, in_channels: int | None = None) -> None:
    if x.dim() != 2:
        raise ValueError(f"x must be [num_nodes, channels], got shape {tuple(x.shape)}")
    if in_channels is not None and x.size(1) != in_channels:
        raise ValueError(f"x must have {in_channels} channels, got {x.size(1)}")
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"edge_index must be [2, num_edges], got shape {tuple(edge_index.shape)}")


def edge_norm(edge_index: Tensor, num_nodes: int, normalize: Normalize, dtype: torch.dtype
              ) -> Tensor:
    """Per-edge normalisation constant ``c_uv`` of ``z_v = sum_{u->v} e_uv c_uv h_u``.

    ``"source"`` (the official code): ``c_uv = deg_in(u)^(-1/2)``; ``"sym"``: the GCN constant
    ``deg_in(u)^(-1/2) deg_in(v)^(-1/2)``; ``"none"``: 1. In-degrees count self loops and are
    clamped to at least 1.
    """
    src, dst = edge_index
    if normalize == "none":
        return torch.ones(src.numel(), dtype=dtype, device=src.device)
    deg = degree(dst, num_nodes, dtype=dtype).clamp(min=1).pow(-0.5)
    if normalize == "source":
        return deg[src]
    if normalize == "sym":
        return deg[src] * deg[dst]
    raise ValueError(f"normalize must be 'source', 'sym' or 'none', got {normalize!r}")


class FactorConv(MessagePassing):
    r"""The disentangle layer of FactorGCN (arXiv 2010.05421, Sec. 3).

    With a projection shared by all factors, :math:`h = x W + b` (``W``: in -> ``d =
    out_channels / K``), factor ``k`` weighs edge :math:`u \to v` by

    .. math::
        e^k_{uv} = \sigma\big(\tau\,(a_k^\top h_u + c_k^\top h_v + b_k)\big) \in (0, 1)

    (temperature :math:`\tau = 6` in the official code), aggregates on its factor graph

    .. math::
        z^k_v = \sum_{u \to v} e^k_{uv}\, c_{uv}\, h_u,
        \qquad c_{uv} = \deg_{in}(u)^{-1/2} \ (\text{source normalisation})

    and the output is the concatenation :math:`z_v = [z^1_v \,\|\, \dots \,\|\, z^K_v]`
    (``out_channels`` channels). Self loops are not added: give them in ``edge_index`` when wanted
    (the official datasets have them). Edges are directed, so :math:`e^k_{uv} \ne e^k_{vu}`.

    Args:
        in_channels: input feature size.
        out_channels: output size; must be divisible by ``num_factors``.
        num_factors: ``K``, the number of factor graphs.
        temperature: ``tau`` inside the sigmoid.
        normalize: ``"source"`` (official), ``"sym"`` (GCN's) or ``"none"``.
        bias: whether the shared projection has a bias.

    Shapes: ``x [N, in_channels]``, ``edge_index [2, E]`` -> ``[N, out_channels]``; with
    ``return_factors=True`` also the factor weights ``[E, num_factors]``; with
    ``return_projected=True`` ``(out, factors, h)`` where ``h [N, out_channels / num_factors]``
    are the projected features — everything :class:`FactorDiscriminator` needs::

        out, factors, h = conv(x, edge_index, return_projected=True)
        loss = task_loss + lam * disc(h, edge_index, factors, batch)
    """

    def __init__(self, in_channels: int, out_channels: int, num_factors: int = 4,
                 temperature: float = 6.0, normalize: Normalize = "source", bias: bool = True):
        super().__init__(aggr="add", node_dim=0)
        if num_factors < 1:
            raise ValueError(f"num_factors must be >= 1, got {num_factors}")
        if out_channels % num_factors:
            raise ValueError(f"out_channels ({out_channels}) must be divisible by num_factors "
                             f"({num_factors})")
        if normalize not in ("source", "sym", "none"):
            raise ValueError(f"normalize must be 'source', 'sym' or 'none', got {normalize!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_factors = num_factors
        self.factor_channels = out_channels // num_factors
        self.temperature = float(temperature)
        self.normalize = normalize
        self.lin = nn.Linear(in_channels, self.factor_channels, bias=bias)
        self.att_src = nn.Parameter(torch.empty(num_factors, self.factor_channels))
        self.att_dst = nn.Parameter(torch.empty(num_factors, self.factor_channels))
        self.att_bias = nn.Parameter(torch.empty(num_factors))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        self.lin.reset_parameters()
        # Same scale as the official per-factor nn.Linear(d, 1) pairs.
        bound = 1.0 / math.sqrt(self.factor_channels)
        nn.init.uniform_(self.att_src, -bound, bound)
        nn.init.uniform_(self.att_dst, -bound, bound)
        nn.init.uniform_(self.att_bias, -2 * bound, 2 * bound)

    def project(self, x: Tensor) -> Tensor:
        """The shared projection ``h = x W + b``: ``[N, in]`` -> ``[N, d]``."""
        return self.lin(x)

    def factor_weights(self, h: Tensor, edge_index: Tensor) -> Tensor:
        """``e[e, k] = sigmoid(tau (a_k.h_src + c_k.h_dst + b_k))``: ``[E, K]`` in (0, 1)."""
        src, dst = edge_index
        logits = ((h @ self.att_src.t()).index_select(0, src)
                  + (h @ self.att_dst.t()).index_select(0, dst) + self.att_bias)
        return torch.sigmoid(self.temperature * logits)

    def aggregate_factors(self, h: Tensor, edge_index: Tensor, factors: Tensor) -> Tensor:
        """``z[v, k] = sum_{u->v} e[uv, k] c_uv h_u`` concatenated over ``k``: ``[N, K d]``."""
        weight = factors * edge_norm(edge_index, h.size(0), self.normalize, h.dtype).unsqueeze(-1)
        out = self.propagate(edge_index, h=h, weight=weight, size=(h.size(0), h.size(0)))
        return out.reshape(h.size(0), self.out_channels)

    def message(self, h_j: Tensor, weight: Tensor) -> Tensor:
        return weight.unsqueeze(-1) * h_j.unsqueeze(1)  # [E, K, d]

    def forward(self, x: Tensor, edge_index: Tensor, return_factors: bool = False,
                return_projected: bool = False
                ) -> Tensor | tuple[Tensor, Tensor] | tuple[Tensor, Tensor, Tensor]:
        _check_graph(x, edge_index, self.in_channels)
        h = self.project(x)
        factors = self.factor_weights(h, edge_index)
        out = self.aggregate_factors(h, edge_index, factors)
        if return_projected:
            return out, factors, h
        return (out, factors) if return_factors else out

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
                f"num_factors={self.num_factors}, normalize={self.normalize!r})")


class FactorDiscriminator(nn.Module):
    r"""Tells the ``K`` factor graphs of each graph apart (the FactorGCN disentangle loss).

    For every graph :math:`g` and factor :math:`k`, a two-layer GCN runs on the factor graph
    (edge weights :math:`e^k`, same normalisation as the layer) over the layer's projected
    features :math:`h`, followed by a mean pool:

    .. math::
        f^k = \tanh\big(P_k \tanh(P_k\, h W_1)\, W_2\big), \qquad
        g^k = \tanh(\operatorname{meanpool}_g f^k), \qquad
        \mathcal{L}_{dis} = \frac{1}{GK}\sum_{g,k} \mathrm{CE}(C g^k, k)

    with :math:`P_k(f)_v = \sum_{u\to v} e^k_{uv} c_{uv} f_u`, ``W_1: d -> d/2``, ``W_2: d/2 -> d``
    and a linear classifier ``C: d -> K``. The loss is minimised jointly with the task (its
    gradient reaches the factor weights and ``h``), so the factor graphs become distinguishable.
    """

    def __init__(self, factor_channels: int, num_factors: int, normalize: Normalize = "source"):
        super().__init__()
        hidden = max(factor_channels // 2, 1)
        self.num_factors = num_factors
        self.normalize = normalize
        self.lin1 = nn.Linear(factor_channels, hidden)
        self.lin2 = nn.Linear(hidden, factor_channels)
        self.classifier = nn.Linear(factor_channels, num_factors)

    def reset_parameters(self) -> None:
        for lin in (self.lin1, self.lin2, self.classifier):
            lin.reset_parameters()

    def _propagate(self, f: Tensor, edge_index: Tensor, weight: Tensor) -> Tensor:
        # f: [N, K, c] (or [N, c], shared by all factors); weight: [E, K]
        src, dst = edge_index
        fs = f.index_select(0, src)   # index_select: a much cheaper backward than f[src]
        fs = fs if f.dim() == 3 else fs.unsqueeze(1)
        msg = weight.unsqueeze(-1) * fs
        out = msg.new_zeros(f.size(0), weight.size(1), msg.size(-1))
        return out.index_add_(0, dst, msg)

    def embed(self, h: Tensor, edge_index: Tensor, factors: Tensor, batch: Tensor | None = None,
              num_graphs: int | None = None) -> Tensor:
        """Graph embeddings of each factor graph: ``[G, K, d]``."""
        if factors.dim() != 2 or factors.size(1) != self.num_factors:
            raise ValueError(f"factors must be [num_edges, {self.num_factors}], "
                             f"got shape {tuple(factors.shape)}")
        if factors.size(0) != edge_index.size(1):
            raise ValueError(f"factors has {factors.size(0)} rows but edge_index has "
                             f"{edge_index.size(1)} edges")
        weight = factors * edge_norm(edge_index, h.size(0), self.normalize, h.dtype).unsqueeze(-1)
        f = torch.tanh(self._propagate(self.lin1(h), edge_index, weight))
        f = torch.tanh(self._propagate(self.lin2(f), edge_index, weight))
        if batch is None:
            batch = torch.zeros(h.size(0), dtype=torch.long, device=h.device)
        g = global_mean_pool(f.reshape(f.size(0), -1), batch, num_graphs)
        return torch.tanh(g.reshape(g.size(0), self.num_factors, -1))

    def forward(self, h: Tensor, edge_index: Tensor, factors: Tensor, batch: Tensor | None = None,
                num_graphs: int | None = None) -> Tensor:
        """Cross-entropy of predicting ``k`` from factor graph ``k``, over all (graph, k) pairs."""
        logits = self.classifier(self.embed(h, edge_index, factors, batch, num_graphs))
        target = torch.arange(self.num_factors, device=logits.device).expand(logits.shape[:2])
        return F.cross_entropy(logits.reshape(-1, self.num_factors), target.reshape(-1))


class FactorGCN(nn.Module):
    r"""A stack of :class:`FactorConv` layers with their discriminators (arXiv 2010.05421).

    ``readout="last"`` is the official synthetic model (``FactorGNNPool``): each layer is followed
    by dropout and the activation; the last node features are pooled, passed through ``tanh`` and
    a linear head. ``readout="layers"`` is the official graph-classification model (GIN-style):
    batch norm and activation after each layer, and the logits are the sum over the input and
    every layer of ``dropout(Linear_l(pool(h_l)))``. ``pool=None`` gives node-level logits.

    After ``forward``, :meth:`disentangle_loss` returns ``dis_weight * sum_l L_dis^l`` for that
    batch (exactly zero, and nothing computed, when ``dis_weight == 0``; a one-factor layer's
    ``L_dis`` is a cross-entropy over one class, identically 0, so it is skipped); the loss is
    ``task_loss + model.disentangle_loss()``.

    Args:
        in_channels, hidden_channels, out_channels: sizes (hidden divisible by every K).
        factors_per_layer: ``K`` of each layer (official synthetic: ``(4, 2)``).
        pool: ``"mean"``, ``"sum"`` or ``None`` (node classification).
        readout: ``"last"`` or ``"layers"`` (see above).
        batch_norm: batch norm after every layer.
        act: ``"leaky_relu"`` (slope 0.2) or ``"relu"``.
        dropout: dropout probability.
        dis_weight: ``lambda`` of the disentangle loss.
        temperature, normalize: passed to every :class:`FactorConv`.
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int,
                 factors_per_layer: Sequence[int] = (4, 2),
                 pool: Literal["mean", "sum"] | None = "mean",
                 readout: Literal["last", "layers"] = "last", batch_norm: bool = False,
                 act: Literal["leaky_relu", "relu"] = "leaky_relu", dropout: float = 0.0,
                 dis_weight: float = 1.0, temperature: float = 6.0,
                 normalize: Normalize = "source"):
        super().__init__()
        if pool not in ("mean", "sum", None):
            raise ValueError(f"pool must be 'mean', 'sum' or None, got {pool!r}")
        if readout not in ("last", "layers"):
            raise ValueError(f"readout must be 'last' or 'layers', got {readout!r}")
        if act not in ("leaky_relu", "relu"):
            raise ValueError(f"act must be 'leaky_relu' or 'relu', got {act!r}")
        if dis_weight < 0:
            raise ValueError(f"dis_weight must be >= 0, got {dis_weight}")
        self.pool, self.readout, self.act_name = pool, readout, act
        self.dropout, self.dis_weight = float(dropout), float(dis_weight)
        dims = [in_channels] + [hidden_channels] * len(factors_per_layer)
        self.convs = nn.ModuleList(
            FactorConv(dims[i], dims[i + 1], k, temperature, normalize)
            for i, k in enumerate(factors_per_layer))
        self.discriminators = nn.ModuleList(
            FactorDiscriminator(c.factor_channels, c.num_factors, normalize) for c in self.convs)
        self.norms = nn.ModuleList(
            nn.BatchNorm1d(hidden_channels) if batch_norm else nn.Identity() for _ in self.convs)
        if readout == "last":
            self.heads = nn.ModuleList([nn.Linear(hidden_channels, out_channels)])
        else:
            self.heads = nn.ModuleList(nn.Linear(d, out_channels) for d in dims)
        self._dis_loss: Tensor | None = None

    def reset_parameters(self) -> None:
        for module in [*self.convs, *self.discriminators, *self.heads]:
            module.reset_parameters()
        for norm in self.norms:
            if isinstance(norm, nn.BatchNorm1d):
                norm.reset_parameters()

    def _act(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, 0.2) if self.act_name == "leaky_relu" else F.relu(x)

    def _pool(self, x: Tensor, batch: Tensor | None, num_graphs: int | None) -> Tensor:
        if self.pool is None:
            return x
        if batch is None:
            batch = torch.zeros(x.size(0), dtype=torch.long, device=x.device)
        fn = global_mean_pool if self.pool == "mean" else global_add_pool
        return fn(x, batch, num_graphs)

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor | None = None,
                num_graphs: int | None = None, return_factors: bool = False
                ) -> Tensor | tuple[Tensor, list[Tensor]]:
        """Logits ``[G, out]`` (``[N, out]`` with ``pool=None``); factors ``[E, K_l]`` per layer."""
        _check_graph(x, edge_index, self.convs[0].in_channels)
        if batch is not None and num_graphs is None:
            num_graphs = int(batch.max()) + 1 if batch.numel() else 0
        factors_out, dis_losses, feats = [], [], [x]
        for conv, dis, norm in zip(self.convs, self.discriminators, self.norms, strict=True):
            if self.readout == "last":
                x = F.dropout(x, self.dropout, self.training)
            h = conv.project(x)
            factors = conv.factor_weights(h, edge_index)
            x = self._act(norm(conv.aggregate_factors(h, edge_index, factors)))
            factors_out.append(factors)
            feats.append(x)
            if self.dis_weight > 0 and conv.num_factors > 1:   # one factor: the CE is 0
                dis_losses.append(dis(h, edge_index, factors, batch, num_graphs))
        self._dis_loss = self.dis_weight * torch.stack(dis_losses).sum() if dis_losses else None
        if self.readout == "last":
            x = F.dropout(x, self.dropout, self.training)
            out = self._pool(x, batch, num_graphs)
            out = self.heads[0](torch.tanh(out) if self.pool is not None else out)
        else:
            out = sum(F.dropout(head(self._pool(f, batch, num_graphs)), self.dropout,
                                self.training) for head, f in zip(self.heads, feats, strict=True))
        return (out, factors_out) if return_factors else out

    def disentangle_loss(self) -> Tensor:
        """``dis_weight * sum over layers of L_dis`` for the last ``forward`` (0 when off)."""
        if self._dis_loss is None:
            device = self.heads[0].weight.device
            return torch.zeros((), device=device)
        return self._dis_loss
