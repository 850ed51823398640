"""Cross-entropy with soft targets, for mixed batches.

    L = mean_i  - sum_c T[i, c] log softmax(z_i)_c

The rows of ``T`` are *not* normalised, so SnapMix targets ``rho_a e_{y_a} + rho_b e_{y_b}``
give exactly ``rho_a CE(z, y_a) + rho_b CE(z, y_b)`` (timm's ``SoftTargetCrossEntropy`` is the
same loss).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def soft_target_cross_entropy(logits: torch.Tensor, targets: torch.Tensor,
                              reduction: str = "mean") -> torch.Tensor:
    """``-sum_c T_c log softmax(z)_c`` per row, reduced by ``"mean"``, ``"sum"`` or ``"none"``.

    ``targets`` may also be a ``(B,)`` integer tensor (plain cross-entropy).
    """
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (B, C), got {tuple(logits.shape)}")
    if targets.dim() == 1 and not torch.is_floating_point(targets):
        targets = F.one_hot(targets, logits.shape[1]).to(logits.dtype)
    if targets.shape != logits.shape:
        raise ValueError(f"targets must have the logits' shape {tuple(logits.shape)}, "
                         f"got {tuple(targets.shape)}")
    loss = -(targets.to(logits.dtype) * F.log_softmax(logits, dim=1)).sum(dim=1)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
