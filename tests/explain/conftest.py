"""Shared checks of the explain tests."""

from __future__ import annotations

import pytest
import torch
from torch import nn


def _rule_gradcheck(expl, rule: nn.Module, x: torch.Tensor) -> bool:
    """float64 ``gradcheck`` of the rule's parameters -> the explainer's objective on ``x``
    (a second-order backward: the objective is built from a modified gradient)."""
    names = [n for n, _ in rule.named_parameters()]

    class Loss(nn.Module):
        def __init__(self):
            super().__init__()
            self.rule = rule

        def forward(self, inputs):
            return expl.objective(inputs)[0]

    wrapper = Loss()

    def loss_of(*params):
        return torch.func.functional_call(
            wrapper, {f"rule.{n}": p for n, p in zip(names, params, strict=True)}, (x,))

    params = tuple(p.detach().clone().requires_grad_(True) for p in rule.parameters())
    return torch.autograd.gradcheck(loss_of, params, eps=1e-6, atol=1e-5)


@pytest.fixture
def rule_gradcheck():
    return _rule_gradcheck
