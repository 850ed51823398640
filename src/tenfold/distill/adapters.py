"""Adaptation layers between student and teacher blocks, and their exact merge.

NetGraft (arXiv 2012.04915) puts two learnable linear maps at each junction ``l`` between
grafted blocks: ``A^{s→t}_l`` (student width ``c_s`` to teacher width ``c_t``) lets a student
block feed a teacher block, and ``A^{t→s}_l`` (``c_t → c_s``) lets a teacher block feed a
student block. For feature maps they are 1×1 convolutions, for vectors linear layers; weights
are Kaiming-normal (fan_out, ReLU gain) and biases zero, as in the official code.

Both are affine, so in the final student the pair collapses into one ``c_s × c_s`` map::

    A^{t→s}(A^{s→t}(h)) = W_2 (W_1 h + b_1) + b_2 = (W_2 W_1) h + (W_2 b_1 + b_2).
"""

from __future__ import annotations

import math

import torch
from torch import nn


def make_adapter(in_features: int, out_features: int, kind: str = "conv1x1",
                 generator: torch.Generator | None = None) -> nn.Module:
    """A 1×1 conv (``kind="conv1x1"``) or linear (``kind="linear"``) adapter.

    Weights ``~ N(0, 2 / fan_out)`` with ``fan_out = out_features`` (Kaiming normal, fan_out
    mode), bias zero; ``generator`` makes the initialisation reproducible.
    """
    if in_features < 1 or out_features < 1:
        raise ValueError(f"adapter sizes must be positive, got {in_features} -> {out_features}")
    if kind == "conv1x1":
        layer: nn.Module = nn.Conv2d(in_features, out_features, kernel_size=1, bias=True)
    elif kind == "linear":
        layer = nn.Linear(in_features, out_features, bias=True)
    else:
        raise ValueError(f"adapter kind must be 'conv1x1' or 'linear', got {kind!r}")
    std = math.sqrt(2.0 / out_features)
    with torch.no_grad():
        layer.weight.normal_(0.0, std, generator=generator)
        layer.bias.zero_()
    return layer


def adapter_for_shape(shape: tuple[int, ...], in_features: int, out_features: int,
                      generator: torch.Generator | None = None) -> nn.Module:
    """Choose the adapter kind from a per-sample activation shape: ``(C, H, W)`` → 1×1 conv,
    ``(C,)`` → linear."""
    if len(shape) == 3:
        return make_adapter(in_features, out_features, "conv1x1", generator)
    if len(shape) == 1:
        return make_adapter(in_features, out_features, "linear", generator)
    raise ValueError(f"adapters support (C, H, W) or (C,) activations, "
                     f"got per-sample shape {shape}")


def _matrix(layer: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    if isinstance(layer, nn.Conv2d):
        if layer.kernel_size != (1, 1) or layer.stride != (1, 1) or layer.groups != 1 \
                or layer.padding not in ((0, 0), "valid") or layer.dilation != (1, 1):
            raise ValueError("only plain 1x1 convolutions (stride 1, no padding, groups 1) "
                             "merge exactly")
        weight = layer.weight[:, :, 0, 0]
    elif isinstance(layer, nn.Linear):
        weight = layer.weight
    else:
        raise TypeError(f"cannot merge a {type(layer).__name__}; expected Conv2d(1x1) or Linear")
    bias = layer.bias
    if bias is None:
        bias = torch.zeros(weight.shape[0], device=weight.device, dtype=weight.dtype)
    return weight, bias


@torch.no_grad()
def merge_affine(first: nn.Module, second: nn.Module) -> nn.Module:
    """One layer equal to ``second(first(x))`` for two 1×1 convs or two linear layers.

    ``W = W_2 W_1`` and ``b = W_2 b_1 + b_2``; the result has the type of ``first``.
    """
    w1, b1 = _matrix(first)
    w2, b2 = _matrix(second)
    if w2.shape[1] != w1.shape[0]:
        raise ValueError(f"cannot chain {tuple(w1.shape)} then {tuple(w2.shape)}: widths differ")
    weight = w2 @ w1
    bias = w2 @ b1 + b2
    if isinstance(first, nn.Conv2d):
        merged: nn.Module = nn.Conv2d(weight.shape[1], weight.shape[0], kernel_size=1, bias=True)
        merged.weight.copy_(weight[:, :, None, None])
    else:
        merged = nn.Linear(weight.shape[1], weight.shape[0], bias=True)
        merged.weight.copy_(weight)
    merged.bias.copy_(bias)
    return merged.to(device=w1.device, dtype=w1.dtype)
