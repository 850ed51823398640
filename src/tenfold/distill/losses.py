"""Distillation losses.

* :func:`normalized_mse` — NetGraft's loss (arXiv 2012.04915): the squared distance between
  L2-normalised logits, summed over the batch,
  ``L = Σ_i ‖z_i^s/‖z_i^s‖ − z_i^t/‖z_i^t‖‖² = Σ_i 2 (1 − cos(z_i^s, z_i^t))``.
  It ignores the scale of the logits.
* :func:`kd_kl` — Hinton et al.'s KD (arXiv 1503.02531):
  ``τ² · KL(softmax(z^t/τ) ‖ softmax(z^s/τ))`` averaged over the batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _check(student: torch.Tensor, teacher: torch.Tensor) -> None:
    if student.shape != teacher.shape or student.dim() != 2:
        raise ValueError(f"expected student and teacher logits of the same shape (batch, classes), "
                         f"got {tuple(student.shape)} and {tuple(teacher.shape)}")


def normalized_mse(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """``Σ_i ‖normalize(z^s_i) − normalize(z^t_i)‖²`` (sum over batch and classes)."""
    _check(student, teacher)
    return F.mse_loss(F.normalize(student, dim=1), F.normalize(teacher, dim=1), reduction="sum")


def kd_kl(student: torch.Tensor, teacher: torch.Tensor, tau: float = 4.0) -> torch.Tensor:
    """``τ² · KL(softmax(z^t/τ) ‖ softmax(z^s/τ))``, mean over the batch."""
    _check(student, teacher)
    if tau <= 0:
        raise ValueError(f"tau must be positive, got {tau}")
    log_p_s = F.log_softmax(student / tau, dim=1)
    log_p_t = F.log_softmax(teacher / tau, dim=1)
    return F.kl_div(log_p_s, log_p_t, reduction="batchmean", log_target=True) * tau * tau


def get_loss(loss):
    """``"normalized_mse"`` / ``"nmse"``, ``"kl"`` (τ = 4) or a callable ``loss(z_s, z_t)``."""
    if callable(loss):
        return loss
    if loss in ("normalized_mse", "nmse"):
        return normalized_mse
    if loss == "kl":
        return kd_kl
    raise ValueError(f"loss must be 'normalized_mse', 'kl' or a callable, got {loss!r}")
