"""TWP: topology-aware weight preserving (Liu, Yang & Wang, AAAI 2021, arXiv 2012.06002).

After task ``k`` TWP measures, at the learned parameters :math:`\\theta^*_k`, how much each weight
matters for the task's loss and for the first layer's *topology* (its edge attention
:math:`E^{(1)}`):

.. math::
    I^{loss}_k[m] = \\Big(\\frac{\\partial L_k}{\\partial \\theta_m}\\Big)^2, \\qquad
    I^{ts}_k[m] = \\Big(\\frac{\\partial \\lVert E^{(1)} \\rVert}{\\partial \\theta_m}
    \\Big)^2, \\qquad
    I_k = \\lambda_l I^{loss}_k + \\lambda_t I^{ts}_k ,

and while learning task :math:`k+1` minimises

.. math::
    L_{k+1}(\\theta) + \\sum_{n \\le k} \\sum_m I_n[m] (\\theta_m - \\theta^*_n[m])^2
    + \\beta \\sum_m \\Big| \\frac{\\partial L_{k+1}}{\\partial \\theta_m} \\Big| ,

the last term keeping the new task's importances small so later tasks still have free weights.

Differences from the official code (hhliu79/TWP), each selectable for reproduction:

* ``beta_mode="differentiable"`` (default) back-propagates through the β term (a double backward;
  β itself defaults to 0, the official code's effective value);
  the official code builds it from detached gradients, so it is a constant that changes nothing
  (``beta_mode="official"`` reproduces that: the value is added, its gradient is zero).
* ``importance="paper"`` (default) takes separate gradients of ``L_k`` and of ``‖E‖``; the official
  code forgets to zero the gradient in between, so its topology importance is
  :math:`(\\partial L_k/\\partial\\theta + \\partial\\lVert E\\rVert/\\partial\\theta)^2`
  (``importance="official"``).
* Importances are computed in ``eval()`` mode (deterministic, attention before dropout); the
  official code uses train mode.
* The official code adds the cross-entropy gradient twice per step; we do not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import torch
from torch import Tensor, nn

from tenfold.continual.plugins import (
    _WeightPreserving,
    parameter_gradients,
    trainable_parameters,
)
from tenfold.continual.stream import TaskBatch
from tenfold.continual.topology import AttentionMode, AttentionRecorder

AttentionNorm = Literal["l2", "l2sq", "mean_l2"]


def attention_norm(attention: Tensor, norm: AttentionNorm = "l2") -> Tensor:
    """``‖E‖_F`` (``"l2"``, official), ``‖E‖_F²`` (``"l2sq"``) or ``‖E‖_F / sqrt(numel)``
    (``"mean_l2"``: independent of the number of edges and heads, so λ_t transfers across
    graphs)."""
    if norm == "l2":
        return attention.norm()
    if norm == "l2sq":
        return attention.pow(2).sum()
    if norm == "mean_l2":
        return attention.norm() / attention.numel() ** 0.5
    raise ValueError(f"norm must be 'l2', 'l2sq' or 'mean_l2', got {norm!r}")


class TWP(_WeightPreserving):
    """Topology-aware weight preserving as a plug-in for any PyG GNN ``model(x, edge_index)``.

    Args:
        lambda_l: weight of the loss-preserving importance (official: 1e4).
        lambda_t: weight of the topology-preserving importance (official: 1e4); 0 turns TWP into
            EWC with ``lambda_ = lambda_l``.
        beta: weight of the L1 penalty on the current task's gradient. Default 0: the official
            ``run.sh`` sets 0.01, but there the term has no gradient (see ``beta_mode``), and
            with a real gradient β = 0.01 breaks training on Amazon Computers (docs/methods/twp.md).
        layer: the message-passing layer whose attention is preserved (default: the first).
        attention: how attention is read, see :class:`AttentionRecorder`.
        norm: the attention norm, see :func:`attention_norm`.
        importance: ``"paper"`` (separate gradients) or ``"official"`` (mixed, see module doc).
        beta_mode: ``"differentiable"``, ``"official"`` (constant) or ``"off"``.
        merge: merge per-task penalties into O(|θ|) tensors.
    """

    def __init__(self, lambda_l: float = 1e4, lambda_t: float = 1e4, beta: float = 0.0,
                 layer: nn.Module | str | int = 0, attention: AttentionMode = "auto",
                 norm: AttentionNorm = "l2", importance: Literal["paper", "official"] = "paper",
                 beta_mode: Literal["differentiable", "official", "off"] = "differentiable",
                 merge: bool = True):
        super().__init__(1.0, merge)
        if lambda_l < 0 or lambda_t < 0 or beta < 0:
            raise ValueError(f"lambda_l, lambda_t and beta must be >= 0, got {lambda_l}, "
                             f"{lambda_t}, {beta}")
        if importance not in ("paper", "official"):
            raise ValueError(f"importance must be 'paper' or 'official', got {importance!r}")
        if beta_mode not in ("differentiable", "official", "off"):
            raise ValueError("beta_mode must be 'differentiable', 'official' or 'off', got "
                             f"{beta_mode!r}")
        attention_norm(torch.ones(1), norm)   # validates the name
        self.lambda_l, self.lambda_t, self.beta = float(lambda_l), float(lambda_t), float(beta)
        self.layer, self.attention, self.norm = layer, attention, norm
        self.importance_mode, self.beta_mode = importance, beta_mode

    def importance_terms(self, model: nn.Module, batch: TaskBatch
                         ) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """Unweighted ``(I_loss, I_ts)`` at the current parameters, in the model's current mode
        (:meth:`consolidate` switches to ``eval()`` first)."""
        params = trainable_parameters(model)
        with AttentionRecorder(model, self.layer, self.attention) as rec:
            out = model(batch.x, batch.edge_index)
        if rec.attention is None:
            raise RuntimeError("the watched layer did not run during the forward pass")
        g_loss = parameter_gradients(batch.loss(out), params, retain_graph=True)
        g_topo = parameter_gradients(attention_norm(rec.attention, self.norm), params)
        if self.importance_mode == "official":
            g_topo = {n: g_topo[n] + g_loss[n] for n in params}
        return ({n: g.detach() ** 2 for n, g in g_loss.items()},
                {n: g.detach() ** 2 for n, g in g_topo.items()})

    def importance(self, model, batch):
        i_loss, i_topo = self.importance_terms(model, batch)
        return {n: self.lambda_l * i_loss[n] + self.lambda_t * i_topo[n] for n in i_loss}

    def penalty(self, model, out, loss, batch, task):
        total = super().penalty(model, out, loss, batch, task)
        if self.beta > 0 and self.beta_mode != "off":
            params = trainable_parameters(model)
            differentiable = self.beta_mode == "differentiable"
            grads = parameter_gradients(loss, params, create_graph=differentiable,
                                        retain_graph=True)
            sparsity = self.beta * sum(g.abs().sum() for g in grads.values())
            if not differentiable:
                sparsity = sparsity.detach()
            total = total + sparsity
        return total

    def state_dict(self) -> dict:
        return {**super().state_dict(), "lambda_l": self.lambda_l, "lambda_t": self.lambda_t,
                "beta": self.beta}

    def load_state_dict(self, state: Mapping) -> None:
        super().load_state_dict(state)
        self.lambda_l, self.lambda_t = state["lambda_l"], state["lambda_t"]
        self.beta = state["beta"]
