"""Capturing the first message-passing layer's edge attention of any PyG model, through hooks.

TWP (arXiv 2012.06002) preserves the weights the *topology* of the first layer depends on: the
edge attention coefficients :math:`E^{(1)} = \\{\\alpha_{ij}\\}`.

* Attention layers whose coefficients go through ``MessagePassing.edge_updater`` (``GATConv``,
  ``GATv2Conv``): :math:`\\alpha_{ij}` (after the edge softmax; before attention dropout when the
  model is in ``eval()`` mode) is read with ``register_edge_update_forward_hook``.
* Any other layer (``GCNConv`` ...): the paper's pseudo-attention on the features that enter
  ``propagate`` (for ``GCNConv`` these are already :math:`W h`):

  .. math::
      e_{ij} = \\mathrm{LeakyReLU}_{0.2}\\big( (W h_i)^\\top \\tanh(W h_j) \\big), \\qquad
      \\alpha_{ij} = \\operatorname{softmax}_{j \\in \\mathcal N(i)} e_{ij},

  read with ``register_propagate_forward_pre_hook`` (``edge_index`` there already includes the
  layer's self-loops).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import softmax

AttentionMode = Literal["auto", "edge_update", "pseudo"]


def message_passing_layers(model: nn.Module) -> list[tuple[str, MessagePassing]]:
    """``(name, layer)`` of every PyG ``MessagePassing`` module, in registration order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, MessagePassing)]


def pseudo_attention(h_src: Tensor, h_dst: Tensor, edge_index: Tensor, num_nodes: int,
                     negative_slope: float = 0.2) -> Tensor:
    """:math:`\\alpha_{ij} = \\mathrm{softmax}_j \\mathrm{LeakyReLU}(h_i^\\top \\tanh h_j)` for
    edges ``j -> i`` (``edge_index[0]`` = source ``j``, ``edge_index[1]`` = target ``i``);
    returns ``[num_edges, 1]``."""
    if h_src.dim() == 3:     # [N, heads, channels]
        h_src, h_dst = h_src.flatten(1), h_dst.flatten(1)
    src, dst = edge_index[0], edge_index[1]
    score = (h_dst[dst] * torch.tanh(h_src[src])).sum(dim=-1)
    score = F.leaky_relu(score, negative_slope)
    return softmax(score, dst, num_nodes=num_nodes).unsqueeze(-1)


class AttentionRecorder:
    """Context manager recording one layer's edge attention during a forward pass.

    >>> with AttentionRecorder(model) as rec:
    ...     out = model(x, edge_index)
    >>> rec.attention      # [num_edges (+ self-loops), heads], part of the autograd graph

    Args:
        model: any ``nn.Module`` containing PyG ``MessagePassing`` layers.
        layer: the layer to watch: a module, a module name, or an index into the message-passing
            layers (default 0, the first one, as in TWP).
        mode: ``"edge_update"`` (read the output of ``edge_update``, e.g. GAT's α),
            ``"pseudo"`` (pseudo-attention on the ``propagate`` input features), or ``"auto"``
            (``edge_update`` when the layer overrides it, else ``pseudo``).
        negative_slope: LeakyReLU slope of the pseudo-attention.
    """

    def __init__(self, model: nn.Module, layer: nn.Module | str | int = 0,
                 mode: AttentionMode = "auto", negative_slope: float = 0.2):
        if mode not in ("auto", "edge_update", "pseudo"):
            raise ValueError(f"mode must be 'auto', 'edge_update' or 'pseudo', got {mode!r}")
        self.layer = resolve_layer(model, layer)
        if mode == "auto":
            overrides = type(self.layer).edge_update is not MessagePassing.edge_update
            mode = "edge_update" if overrides else "pseudo"
        self.mode = mode
        self.negative_slope = negative_slope
        self.attention: Tensor | None = None
        self._handle = None

    def _edge_hook(self, module, inputs, output):
        self.attention = output if output.dim() > 1 else output.unsqueeze(-1)

    def _propagate_hook(self, module, inputs):
        edge_index, size, kwargs = inputs
        if not isinstance(edge_index, Tensor) or edge_index.dim() != 2:
            raise ValueError("pseudo-attention needs an edge_index tensor [2, E] (got a sparse "
                             "adjacency); pass edge_index to the model")
        x = kwargs.get("x")
        if x is None:
            raise ValueError(f"{type(module).__name__}.propagate has no 'x' argument; use "
                             "mode='edge_update' or watch another layer")
        h_src, h_dst = x if isinstance(x, tuple) else (x, x)
        h_dst = h_src if h_dst is None else h_dst
        self.attention = pseudo_attention(h_src, h_dst, edge_index, h_dst.size(0),
                                          self.negative_slope)

    def __enter__(self) -> AttentionRecorder:
        self.attention = None
        if self.mode == "edge_update":
            self._handle = self.layer.register_edge_update_forward_hook(self._edge_hook)
        else:
            self._handle = self.layer.register_propagate_forward_pre_hook(self._propagate_hook)
        return self

    def __exit__(self, *exc) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None


def resolve_layer(model: nn.Module, layer: nn.Module | str | int) -> MessagePassing:
    """The ``MessagePassing`` module meant by ``layer`` (module, name, or index)."""
    layers = message_passing_layers(model)
    if not layers:
        raise ValueError(f"{type(model).__name__} has no torch_geometric MessagePassing layer; "
                         "TWP's topology term needs a GNN built from PyG layers")
    if isinstance(layer, int):
        if not -len(layers) <= layer < len(layers):
            raise ValueError(f"layer index {layer} out of range: the model has {len(layers)} "
                             "message-passing layers")
        return layers[layer][1]
    if isinstance(layer, str):
        named = dict(layers)
        if layer not in named:
            raise ValueError(f"no message-passing layer named {layer!r}; have {list(named)}")
        return named[layer]
    if isinstance(layer, MessagePassing):
        return layer
    raise ValueError(f"layer must be a MessagePassing module, a name or an index, got "
                     f"{type(layer).__name__}")
