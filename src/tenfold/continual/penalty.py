"""The quadratic weight-preserving penalty shared by EWC, MAS and TWP, in O(|θ|) memory.

After tasks ``1..k`` with importances ``I_n`` and stored parameters ``θ*_n`` the penalty is

.. math::
    \\Omega(\\theta) = \\sum_{n=1}^{k} \\sum_m I_n[m] \\, (\\theta_m - \\theta^*_n[m])^2 .

(no 1/2 factor, as in TWP, arXiv 2012.06002). A sum of quadratics in ``θ_m`` is one quadratic:
with :math:`A = \\sum_n I_n` and :math:`\\mu = \\sum_n I_n \\theta^*_n / A`,

.. math::
    \\Omega(\\theta) = \\sum_m A[m] (\\theta_m - \\mu[m])^2 + D ,

where the constant ``D >= 0`` does not depend on θ. Adding a task updates ``(A, μ, D)`` in place:
:math:`A' = A + I`, :math:`\\mu' = (A\\mu + I\\theta^*)/A'`,
:math:`D' = D + \\sum_m \\frac{A I}{A'} (\\mu - \\theta^*)^2`. The gradient
:math:`2A(\\theta - \\mu) = 2(A\\theta - \\sum_n I_n\\theta^*_n)` equals the per-task sum exactly
(up to rounding), so ``merge=True`` keeps two tensors per parameter instead of ``2k``.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor


class QuadraticPenalty:
    """:math:`\\sum_n \\sum_m I_n[m] (\\theta_m - \\theta^*_n[m])^2`, merged or kept per task.

    Args:
        merge: keep the merged ``(A, μ, D)`` form (default) or every ``(I_n, θ*_n)`` pair.
    """

    def __init__(self, merge: bool = True):
        self.merge = merge
        self.num_tasks = 0
        self.weight: dict[str, Tensor] = {}     # A
        self.center: dict[str, Tensor] = {}     # μ
        self.constant = 0.0                      # D
        self.terms: list[tuple[dict[str, Tensor], dict[str, Tensor]]] = []

    def add(self, importance: Mapping[str, Tensor], anchor: Mapping[str, Tensor]) -> None:
        """Add one task's importances ``I`` (non-negative) and stored parameters ``θ*``."""
        if set(importance) != set(anchor):
            raise ValueError("importance and anchor must have the same parameter names; "
                             f"differ in {sorted(set(importance) ^ set(anchor))}")
        for name, imp in importance.items():
            if imp.shape != anchor[name].shape:
                raise ValueError(f"importance of {name!r} has shape {tuple(imp.shape)}, expected "
                                 f"the parameter's shape {tuple(anchor[name].shape)}")
            if bool((imp < 0).any()) or not bool(torch.isfinite(imp).all()):
                raise ValueError(f"importance of {name!r} must be finite and non-negative")
        importance = {k: v.detach().clone() for k, v in importance.items()}
        anchor = {k: v.detach().clone() for k, v in anchor.items()}
        self.num_tasks += 1
        if not self.merge:
            self.terms.append((importance, anchor))
            return
        for name, imp in importance.items():
            star = anchor[name]
            if name not in self.weight:
                self.weight[name], self.center[name] = imp, star
                continue
            a, mu = self.weight[name], self.center[name]
            total = a + imp
            safe = torch.where(total > 0, total, torch.ones_like(total))
            new_mu = torch.where(total > 0, (a * mu + imp * star) / safe, star)
            self.constant += float((a * imp / safe * (mu - star) ** 2).sum())
            self.weight[name], self.center[name] = total, new_mu

    def __call__(self, params: Mapping[str, Tensor]) -> Tensor:
        """The penalty at ``params`` (a differentiable scalar); 0 before any task."""
        device = next(iter(params.values())).device if params else None
        total = torch.zeros((), device=device)
        if self.merge:
            for name, a in self.weight.items():
                total = total + (a * (params[name] - self.center[name]) ** 2).sum()
            return total + self.constant
        for importance, anchor in self.terms:
            for name, imp in importance.items():
                total = total + (imp * (params[name] - anchor[name]) ** 2).sum()
        return total

    def to(self, device: torch.device | str) -> QuadraticPenalty:
        self.weight = {k: v.to(device) for k, v in self.weight.items()}
        self.center = {k: v.to(device) for k, v in self.center.items()}
        self.terms = [({k: v.to(device) for k, v in i.items()},
                       {k: v.to(device) for k, v in a.items()}) for i, a in self.terms]
        return self

    def state_dict(self) -> dict:
        return {"merge": self.merge, "num_tasks": self.num_tasks, "weight": self.weight,
                "center": self.center, "constant": self.constant, "terms": self.terms}

    def load_state_dict(self, state: Mapping) -> None:
        self.merge = state["merge"]
        self.num_tasks = state["num_tasks"]
        self.weight, self.center = dict(state["weight"]), dict(state["center"])
        self.constant, self.terms = float(state["constant"]), list(state["terms"])
