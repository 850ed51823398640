"""``scale_grad``: identity forward, per-sample gradient scaling backward.

This is the operation at the heart of one-stage GAN training (arXiv 2103.00430): placed on the
generated images x̃ = G(z) before they enter the discriminator, it leaves the forward pass and
the discriminator's gradients untouched and multiplies the gradient that flows back into the
generator by a per-sample factor s_i:

    forward:  y = x
    backward: ∂L/∂x_i = s_i · ∂L/∂y_i

With s ≡ −1 it is the gradient-reversal layer of DANN (Ganin & Lempitsky, arXiv 1409.7495).

Why an autograd function and not a hook on the generator module: ``nn.Module``
``register_full_backward_hook`` rewrites only the gradient with respect to the module's *inputs*
(z), after the parameter gradients have already been accumulated, so it silently leaves the
generator's parameter gradients unchanged. Scaling must happen on the tensor x̃ itself.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["scale_grad", "GradientReversal"]


def _check_scale(x: Tensor, scale: Tensor) -> None:
    if scale.dim() == 0:
        return
    if scale.dim() != 1 or x.dim() == 0 or scale.shape[0] != x.shape[0]:
        raise ValueError(
            "scale_grad: scale must be a scalar or have shape (batch,)"
            f" to match x of shape {tuple(x.shape)}; got scale of shape {tuple(scale.shape)}")


class _ScaleGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, scale: Tensor) -> Tensor:
        # ``scale`` is read when the backward runs (not saved with a version check), so the
        # one-stage step can fill it in place once the discriminator's logits are known.
        ctx.scale = scale
        ctx.x_dim = x.dim()
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:
        scale = ctx.scale.to(dtype=grad.dtype, device=grad.device)
        if scale.dim() == 1:
            scale = scale.view(-1, *([1] * (ctx.x_dim - 1)))
        return grad * scale, None


def scale_grad(x: Tensor, scale: Tensor | float) -> Tensor:
    """Identity in the forward pass; multiplies the incoming gradient by ``scale`` backward.

    Args:
        x: any tensor whose first dimension is the batch, e.g. generated images ``(B, C, H, W)``.
        scale: a number, a 0-d tensor, or a ``(B,)`` tensor of per-sample factors. A tensor is
            read at backward time, so it may be filled in place after the forward pass; it is a
            constant for autograd (no gradient flows into it).

    Returns:
        A tensor equal to ``x``.

    Example::

        s = torch.empty(fake.shape[0])
        p = D(scale_grad(fake, s))
        s.copy_(loss.gamma(p))        # set after the forward, before the backward
        loss.loss_d(D(real), p).backward()
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"scale_grad: x must be a tensor, got {type(x).__name__}")
    if not isinstance(scale, Tensor):
        scale = torch.tensor(float(scale))
    _check_scale(x, scale)
    return _ScaleGrad.apply(x, scale.detach())


class GradientReversal(nn.Module):
    """Module form of ``scale_grad(x, -weight)``: the gradient-reversal layer.

    Args:
        weight: the factor λ in ∂L/∂x = −λ ∂L/∂y (kept in a buffer; change it with
            :meth:`update_weight`, e.g. for DANN's schedule).
    """

    def __init__(self, weight: float = 1.0):
        super().__init__()
        self.register_buffer("weight", torch.tensor(float(weight)))

    def update_weight(self, weight: float) -> None:
        self.weight.fill_(float(weight))

    def forward(self, x: Tensor) -> Tensor:
        return scale_grad(x, -self.weight)

    def extra_repr(self) -> str:
        return f"weight={float(self.weight):g}"
