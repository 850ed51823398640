"""GAN losses as small objects over discriminator logits, with the one-stage gradient ratio.

Notation (Shen et al., "Training Generative Adversarial Networks in One Stage", arXiv 2103.00430):
the discriminator gives one logit ``p`` per sample; the per-sample terms are

* ``d_real(p)`` = ℓ_r(p): the discriminator's term on real samples,
* ``d_fake(p)`` = ℓ_f(p): the discriminator's term on generated samples,
* ``g(p)``      = ℓ_g(p): the generator's term on generated samples,

so that ``L_D = mean ℓ_r(D(x)) + mean ℓ_f(D(G(z)))`` and ``L_G = mean ℓ_g(D(G(z)))``.

A loss is *symmetric* when ℓ_g = −ℓ_f (up to a constant): then the generator's gradient is the
reversed discriminator gradient at the fake images. Otherwise the paper's *gradient decomposition*
uses the per-sample ratio

    γ_i = ℓ_g'(p_i) / ℓ_f'(p_i)

because ∂ℓ_g(p_i)/∂x̃_i = γ_i ∂ℓ_f(p_i)/∂x̃_i when p_i depends on x̃_i only. Every loss here gives
γ in closed form, computed stably; :class:`CustomLoss` computes it with autograd. Samples where
ℓ_f'(p_i) = 0 or where |γ_i| is too large to be trusted are reported by :meth:`GANLoss.gamma_mask`
and handled by the one-stage step with a separate pass (see :mod:`tenfold.gan.onestage`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["GANLoss", "Minimax", "NonSaturating", "Wasserstein", "LeastSquares", "Hinge",
           "CustomLoss", "get_loss", "LOSSES"]


def _check_logits(p: Tensor, name: str = "logits") -> None:
    if not isinstance(p, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(p).__name__}")
    if not p.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {p.dtype}")


class GANLoss:
    """Base class: per-sample terms ``d_real``, ``d_fake``, ``g`` and the ratio ``gamma``.

    Subclasses implement the three per-sample terms (elementwise, same shape as the logits).
    ``gamma`` defaults to the autograd ratio ℓ_g'(p)/ℓ_f'(p); the built-in losses override it
    with a closed form.

    Attributes:
        symmetric: ``True`` when ℓ_g = −ℓ_f + const, so that γ ≡ −1 for every sample and the
            one-stage step needs no per-sample independence of the discriminator.
        max_abs_gamma: ratios larger than this (in magnitude) are not used; those samples get the
            fallback pass (the discriminator's gradient there is too small to carry the
            generator's gradient in float32).
    """

    symmetric: bool = False
    max_abs_gamma: float = 1e6
    name: str = "custom"

    # -- per-sample terms ------------------------------------------------------------------
    def d_real(self, p: Tensor) -> Tensor:
        raise NotImplementedError

    def d_fake(self, p: Tensor) -> Tensor:
        raise NotImplementedError

    def g(self, p: Tensor) -> Tensor:
        raise NotImplementedError

    # -- reductions ------------------------------------------------------------------------
    def loss_d(self, p_real: Tensor, p_fake: Tensor) -> Tensor:
        """``L_D = mean ℓ_r(p_real) + mean ℓ_f(p_fake)`` (each term averaged over its batch)."""
        _check_logits(p_real, "p_real")
        _check_logits(p_fake, "p_fake")
        return self.d_real(p_real).mean() + self.d_fake(p_fake).mean()

    def loss_g(self, p_fake: Tensor) -> Tensor:
        """``L_G = mean ℓ_g(p_fake)``."""
        _check_logits(p_fake, "p_fake")
        return self.g(p_fake).mean()

    # -- the one-stage ratio ---------------------------------------------------------------
    def d_fake_grad(self, p: Tensor) -> Tensor:
        """ℓ_f'(p), elementwise (autograd by default)."""
        return _elementwise_grad(self.d_fake, p)

    def gamma(self, p: Tensor) -> Tensor:
        """γ(p) = ℓ_g'(p) / ℓ_f'(p), elementwise, detached (may be ±inf/NaN where ℓ_f' = 0)."""
        _check_logits(p)
        p = p.detach()
        return _elementwise_grad(self.g, p) / _elementwise_grad(self.d_fake, p)

    def gamma_mask(self, p: Tensor) -> tuple[Tensor, Tensor]:
        """``(gamma, usable)``: γ with unusable entries set to 0, and the boolean mask of
        samples whose γ is finite, non-zero-denominator and at most ``max_abs_gamma``."""
        p = p.detach()
        gamma = self.gamma(p)
        usable = torch.isfinite(gamma) & (gamma.abs() <= self.max_abs_gamma)
        usable &= self.d_fake_grad(p) != 0
        return torch.where(usable, gamma, torch.zeros_like(gamma)), usable

    def __repr__(self) -> str:
        kind = "symmetric" if self.symmetric else "asymmetric"
        return f"{type(self).__name__}({kind})"


def _elementwise_grad(fn: Callable[[Tensor], Tensor], p: Tensor) -> Tensor:
    with torch.enable_grad():
        q = p.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(fn(q).sum(), q)
    return grad


class Minimax(GANLoss):
    """The original GAN game: ℓ_r = −log σ(p), ℓ_f = −log(1 − σ(p)), ℓ_g = log(1 − σ(p)).

    Symmetric (ℓ_g = −ℓ_f), γ ≡ −1.
    """

    symmetric = True
    name = "minimax"

    def d_real(self, p: Tensor) -> Tensor:
        return F.softplus(-p)

    def d_fake(self, p: Tensor) -> Tensor:
        return F.softplus(p)

    def g(self, p: Tensor) -> Tensor:
        return -F.softplus(p)

    def d_fake_grad(self, p: Tensor) -> Tensor:
        return torch.sigmoid(p)

    def gamma(self, p: Tensor) -> Tensor:
        return torch.full_like(p.detach(), -1.0)


class NonSaturating(GANLoss):
    """Non-saturating GAN (DCGAN/StyleGAN practice): ℓ_r = −log σ(p), ℓ_f = −log(1 − σ(p)),
    ℓ_g = −log σ(p).

    Asymmetric. ℓ_f' = σ(p), ℓ_g' = −σ(−p), so γ = −σ(−p)/σ(p) = −exp(−p) (computed in log space;
    samples with |γ| > ``max_abs_gamma``, i.e. p < −ln(max_abs_gamma), take the fallback pass).
    """

    name = "nonsaturating"

    def d_real(self, p: Tensor) -> Tensor:
        return F.softplus(-p)

    def d_fake(self, p: Tensor) -> Tensor:
        return F.softplus(p)

    def g(self, p: Tensor) -> Tensor:
        return F.softplus(-p)

    def d_fake_grad(self, p: Tensor) -> Tensor:
        return torch.sigmoid(p)

    def gamma(self, p: Tensor) -> Tensor:
        # exp(-p) overflows to inf for p < -88 (float32); cap the exponent one step above the
        # usable range so that the mask, not an inf, decides.
        cap = math.log(self.max_abs_gamma) + 1.0
        return -torch.exp((-p.detach()).clamp(max=cap))


class Wasserstein(GANLoss):
    """WGAN critic game: ℓ_r = −p, ℓ_f = p, ℓ_g = −p. Symmetric, γ ≡ −1.

    Lipschitz constraints (clipping, gradient penalty) are discriminator-only terms: pass a
    penalty to the step, computed on *detached* fakes.
    """

    symmetric = True
    name = "wasserstein"

    def d_real(self, p: Tensor) -> Tensor:
        return -p

    def d_fake(self, p: Tensor) -> Tensor:
        return p

    def g(self, p: Tensor) -> Tensor:
        return -p

    def d_fake_grad(self, p: Tensor) -> Tensor:
        return torch.ones_like(p)

    def gamma(self, p: Tensor) -> Tensor:
        return torch.full_like(p.detach(), -1.0)


class LeastSquares(GANLoss):
    """LSGAN (a=0, b=c=1): ℓ_r = ½(p − 1)², ℓ_f = ½p², ℓ_g = ½(p − 1)².

    Asymmetric. γ = (p − 1)/p: singular at p = 0, where those samples take the fallback pass.
    """

    name = "leastsquares"

    def d_real(self, p: Tensor) -> Tensor:
        return 0.5 * (p - 1.0) ** 2

    def d_fake(self, p: Tensor) -> Tensor:
        return 0.5 * p**2

    def g(self, p: Tensor) -> Tensor:
        return 0.5 * (p - 1.0) ** 2

    def d_fake_grad(self, p: Tensor) -> Tensor:
        return p

    def gamma(self, p: Tensor) -> Tensor:
        p = p.detach()
        return (p - 1.0) / p


class Hinge(GANLoss):
    """Hinge GAN (SAGAN/BigGAN): ℓ_r = relu(1 − p), ℓ_f = relu(1 + p), ℓ_g = −p.

    Asymmetric. ℓ_f' = 1[p > −1] and ℓ_g' = −1: γ = −1 where the hinge is active; samples with
    p ≤ −1 have ℓ_f' = 0, so scaling cannot produce their generator gradient (the official code
    divides by zero there, its issue #4) — they take the fallback pass.
    """

    name = "hinge"

    def d_real(self, p: Tensor) -> Tensor:
        return F.relu(1.0 - p)

    def d_fake(self, p: Tensor) -> Tensor:
        return F.relu(1.0 + p)

    def g(self, p: Tensor) -> Tensor:
        return -p

    def d_fake_grad(self, p: Tensor) -> Tensor:
        return (p > -1.0).to(p.dtype)

    def gamma(self, p: Tensor) -> Tensor:
        p = p.detach()
        return torch.where(p > -1.0, -torch.ones_like(p), torch.full_like(p, -math.inf))


class CustomLoss(GANLoss):
    """A user-defined triple of elementwise functions; γ is the autograd ratio ℓ_g'/ℓ_f'.

    Example::

        loss = CustomLoss(d_real=lambda p: F.softplus(-p), d_fake=F.softplus,
                          g=lambda p: F.softplus(-p))      # the non-saturating loss again
    """

    def __init__(self, d_real: Callable[[Tensor], Tensor], d_fake: Callable[[Tensor], Tensor],
                 g: Callable[[Tensor], Tensor], symmetric: bool = False,
                 name: str = "custom", max_abs_gamma: float = 1e6):
        self._d_real, self._d_fake, self._g = d_real, d_fake, g
        self.symmetric = symmetric
        self.name = name
        self.max_abs_gamma = max_abs_gamma

    def d_real(self, p: Tensor) -> Tensor:
        return self._d_real(p)

    def d_fake(self, p: Tensor) -> Tensor:
        return self._d_fake(p)

    def g(self, p: Tensor) -> Tensor:
        return self._g(p)


LOSSES: dict[str, type[GANLoss]] = {
    "minimax": Minimax, "nonsaturating": NonSaturating, "wasserstein": Wasserstein,
    "leastsquares": LeastSquares, "hinge": Hinge,
}


def get_loss(name: str | GANLoss) -> GANLoss:
    """A loss object from its name (``minimax``, ``nonsaturating``, ``wasserstein``,
    ``leastsquares``, ``hinge``) or the object itself."""
    if isinstance(name, GANLoss):
        return name
    key = str(name).lower().replace("-", "").replace("_", "")
    if key not in LOSSES:
        raise ValueError(f"unknown GAN loss {name!r}; expected one of {', '.join(LOSSES)}")
    return LOSSES[key]()
