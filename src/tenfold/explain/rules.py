"""Backward propagation rules for ReLU layers: hand-crafted ones and a learned one.

For ``y = max(0, x)`` with upstream gradient ``g = dL/dy`` a *propagation rule* returns what the
backward pass sends on to ``x`` (Yang et al., "Learning Propagation Rules for Attribution Map
Generation", ECCV 2020, arXiv 2010.07210):

* gradient:        ``g_in = g * [x > 0]``
* guided backprop: ``g_in = g * [x > 0] * [g > 0]``       (Springenberg et al. 2015)
* deconvnet:       ``g_in = max(g, 0)``                   (Zeiler & Fergus 2014)
* learned:         ``g_in = g * [x > 0] * r_theta(x, g)``, ``r_theta in (0, 1)`` per element.

A learned rule is one small module shared by every ReLU and applied element-wise, so it does
not depend on a layer's width. Two are offered, both functions of the per-element features
``x / max x`` and ``g / max|g|`` (maxima per sample and layer) and ``[g > 0]``:

* :class:`LogisticRule` (the default, ``"learned"``):
  ``r = sigmoid(a x/max x + b g/max|g| + c [g > 0] + d)``, four numbers. It costs about a dozen
  element-wise passes per ReLU, so ``attribute`` stays within 2x a plain gradient.
* :class:`ElementwiseRule` (``"mlp"``): ``r = sigmoid(MLP(x/max|x|, g/max|g|, [x>0], [g>0]))``
  with a tanh hidden layer; more flexible, but its hidden layer makes it 5-6x a gradient.

``r = 1`` is the gradient and ``r = [g > 0]`` guided backprop (both are limits of either rule).
The paper's exact plug-in architecture could not be read (see docs/methods/attribution.md); these
are our reconstruction from its abstract.

Every rule is written in differentiable torch operations, so a backward pass taken with
``create_graph=True`` can itself be differentiated with respect to ``theta`` (second order).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

FIXED_RULES = ("gradient", "guided", "deconvnet")


class PropagationRule(nn.Module):
    """Base class: ``forward(x, g)`` returns the gradient passed to a ReLU's input ``x`` given the
    gradient ``g`` arriving at its output (same shape as ``x``)."""

    def forward(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError


class FixedRule(PropagationRule):
    """A hand-crafted rule: ``"gradient"``, ``"guided"`` or ``"deconvnet"`` (no parameters)."""

    def __init__(self, name: Literal["gradient", "guided", "deconvnet"]):
        super().__init__()
        if name not in FIXED_RULES:
            raise ValueError(f"FixedRule: expected one of {', '.join(FIXED_RULES)}, got {name!r}")
        self.name = name

    def forward(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        if self.name == "gradient":
            return g * (x > 0).to(g.dtype)
        if self.name == "guided":
            return g * ((x > 0) & (g > 0)).to(g.dtype)
        return g.clamp_min(0)

    def extra_repr(self) -> str:
        return repr(self.name)


def _per_sample_max_abs(t: torch.Tensor, eps: float) -> torch.Tensor:
    return t.abs().flatten(1).amax(1).clamp_min(eps).view(-1, *([1] * (t.dim() - 1)))


class ElementwiseRule(PropagationRule):
    """The learned rule ``g_in = g * [x > 0] * sigmoid(MLP(x/max|x|, g/max|g|, [x>0], [g>0]))``.

    Args:
        hidden: width of the MLP's hidden layer (4 -> hidden -> 1, tanh).
        init_bias: initial output bias; a large value starts near the plain gradient (``r ~ 1``).
        generator: draws the initial weights (``torch.Generator``; ``None`` = global stream).
        eps: floor of the per-sample normalisers.
    """

    def __init__(self, hidden: int = 8, init_bias: float = 2.0,
                 generator: torch.Generator | None = None, eps: float = 1e-12):
        super().__init__()
        if hidden < 1:
            raise ValueError(f"ElementwiseRule: hidden must be >= 1, got {hidden}")
        self.eps = eps
        self.w1 = nn.Parameter(torch.randn(4, hidden, generator=generator) / 2.0)
        self.b1 = nn.Parameter(torch.zeros(hidden))
        self.w2 = nn.Parameter(torch.randn(hidden, 1, generator=generator) / hidden ** 0.5)
        self.b2 = nn.Parameter(torch.full((1,), float(init_bias)))

    def scale(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """``r_theta(x, g)`` in (0, 1), same shape as ``x``."""
        xs = x / _per_sample_max_abs(x, self.eps)
        gs = g / _per_sample_max_abs(g, self.eps)
        feats = torch.stack([xs, gs, (x > 0).to(g.dtype), (g > 0).to(g.dtype)], dim=-1)
        w1, b1 = self.w1.to(g.dtype), self.b1.to(g.dtype)
        w2, b2 = self.w2.to(g.dtype), self.b2.to(g.dtype)
        return torch.sigmoid(torch.tanh(feats @ w1 + b1) @ w2 + b2).squeeze(-1)

    def forward(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2:
            raise ValueError(f"ElementwiseRule: expected a batched activation (B, ...), got "
                             f"shape {tuple(x.shape)}")
        return g * (x > 0).to(g.dtype) * self.scale(x, g)


class LogisticRule(PropagationRule):
    """The cheap learned rule ``g_in = g [x>0] sigmoid(a x/max x + b g/max|g| + c [g>0] + d)``.

    ``max x`` and ``max |g|`` are taken per sample over the layer (floored at ``eps``). The
    per-sample scales are folded into ``a`` and ``b`` first, so the rule is a handful of fused
    element-wise passes; without autograd recording (``attribute``) they run in place.

    Args:
        init_bias: initial ``d`` (a large value starts near the plain gradient, ``r ~ 1``).
        init_gate: initial ``c`` (weight of ``[g > 0]``, the guided-backprop direction).
        generator: draws small initial ``a`` and ``b`` (``None`` = global stream).
        eps: floor of the per-sample normalisers.
    """

    def __init__(self, init_bias: float = 2.0, init_gate: float = 0.0,
                 generator: torch.Generator | None = None, eps: float = 1e-12):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(0.1 * torch.randn(2, generator=generator))    # a, b
        self.gate = nn.Parameter(torch.full((1,), float(init_gate)))              # c
        self.bias = nn.Parameter(torch.full((1,), float(init_bias)))              # d

    def forward(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2:
            raise ValueError(f"LogisticRule: expected a batched activation (B, ...), got "
                             f"shape {tuple(x.shape)}")
        view = (-1,) + (1,) * (x.dim() - 1)
        xmax = x.flatten(1).amax(1).clamp_min(self.eps).view(view)
        gmin, gmax = torch.aminmax(g.flatten(1), dim=1)
        gmax = torch.maximum(gmax, -gmin).clamp_min(self.eps).view(view)
        w = self.weight.to(g.dtype)
        a, b = w[0] / xmax, w[1] / gmax
        gate, bias = self.gate.to(g.dtype), self.bias.to(g.dtype)
        g_pos = (g > 0).to(g.dtype)
        if torch.is_grad_enabled() and (g.requires_grad or w.requires_grad):
            r = torch.sigmoid(x * a + g * b + g_pos * gate + bias)
            return g * (x > 0).to(g.dtype) * r
        z = torch.mul(g, b)                 # no graph is recorded: fuse in place
        z.addcmul_(x, a).addcmul_(g_pos, gate).add_(bias).sigmoid_()
        return z.mul_(g).mul_(x > 0)


def make_rule(rule: str | PropagationRule, **kwargs) -> PropagationRule:
    """``"gradient" | "guided" | "deconvnet"`` -> :class:`FixedRule`, ``"learned"`` ->
    :class:`LogisticRule`, ``"mlp"`` -> :class:`ElementwiseRule` (``kwargs`` passed on); a rule
    object is returned as is."""
    if isinstance(rule, PropagationRule):
        return rule
    if rule == "learned":
        return LogisticRule(**kwargs)
    if rule == "mlp":
        return ElementwiseRule(**kwargs)
    if rule in FIXED_RULES:
        return FixedRule(rule)
    raise ValueError(f"rule: expected 'learned', 'mlp', one of {', '.join(FIXED_RULES)} or a "
                     f"PropagationRule, got {rule!r}")
