"""UDOR's losses (Feng et al., arXiv 2004.01426; forms and weights of the official code).

Fuzzy part classification. The shared classifier ``C`` gives, for part ``k`` (1-based) of a
code, probabilities ``P_k = softmax(C(z_k))`` over ``K + 1`` classes (0 = "no object"). The part
may be empty OR of category ``k``, nothing else:

    L_k = −mean_b log(1 − (1 − P_k[0])(1 − P_k[k])) = −mean_b log(P_k[0] + P_k[k](1 − P_k[0]))

and the all-zero part must be "empty": ``L_0 = −(K / (K + 1)) log C(0)[0]`` (the official
cross-entropy averaged over the ``K + 1`` class entries, times ``K``). The official loss is
``Σ_k L_k + L_0``. It has a *trivial minimiser*: a classifier that answers "empty" for every
input gives ``L_k = L_0 = 0`` whatever the codes are, so the term alone does not tie parts to
categories. :func:`fuzzy_marginal_loss` adds, per part, ``−log mean_b P_k[k]`` (the batch must
contain codes that the classifier calls category ``k``), which the trivial answer does not
minimise.

:func:`fuzzy_loss` is computed in log space from logits (finite at logits of ±30 and beyond);
:func:`fuzzy_loss_naive` is the official probability form (``log`` of a product of
probabilities, no epsilon; NaN/inf for saturated logits).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def _check_logits(logits: Tensor) -> int:
    if logits.dim() != 3 or logits.shape[2] != logits.shape[1] + 1:
        raise ValueError(f"logits: expected (B, K, K + 1), got {tuple(logits.shape)}")
    return logits.shape[1]


def fuzzy_part_terms(logits: Tensor) -> Tensor:
    """``(B, K)``: ``−log(P_k[0] + P_k[k](1 − P_k[0]))`` for every row and part, in log space:
    ``log P_j = l_j − LSE(l)``, ``log(1 − P_0) = LSE(l_{1:}) − LSE(l)``."""
    num_k = _check_logits(logits)
    logp = logits.log_softmax(dim=2)
    log_p0 = logp[:, :, 0]
    idx = torch.arange(1, num_k + 1, device=logits.device)
    log_pk = logp.gather(2, idx.view(1, -1, 1).expand(logits.shape[0], -1, 1)).squeeze(2)
    log_not0 = torch.logsumexp(logits[:, :, 1:], dim=2) - torch.logsumexp(logits, dim=2)
    return -torch.logaddexp(log_p0, log_pk + log_not0)


def empty_code_term(zero_logits: Tensor, num_parts: int) -> Tensor:
    """``−(K / (K + 1)) log C(0)[0]`` from the classifier's logits ``(K + 1,)`` (or ``(B,
    K + 1)``, averaged) for the all-zero part."""
    logp0 = zero_logits.log_softmax(dim=-1)[..., 0]
    return -(num_parts / (num_parts + 1)) * logp0.mean()


def fuzzy_loss(logits: Tensor, zero_logits: Tensor | None = None) -> Tensor:
    """The official fuzzy loss ``Σ_k mean_b L_k (+ L_0)``, in log space."""
    num_k = _check_logits(logits)
    loss = fuzzy_part_terms(logits).mean(dim=0).sum()
    if zero_logits is not None:
        loss = loss + empty_code_term(zero_logits, num_k)
    return loss


def fuzzy_loss_naive(logits: Tensor, zero_logits: Tensor | None = None) -> Tensor:
    """The same loss in the official probability form (softmax, products, ``log`` with no
    epsilon). Reference for tests; not safe for training."""
    num_k = _check_logits(logits)
    p = logits.softmax(dim=2)
    idx = torch.arange(1, num_k + 1, device=logits.device)
    pk = p.gather(2, idx.view(1, -1, 1).expand(p.shape[0], -1, 1)).squeeze(2)
    loss = -torch.log(1 - (1 - p[:, :, 0]) * (1 - pk)).mean(dim=0).sum()
    if zero_logits is not None:
        loss = loss - (num_k / (num_k + 1)) * torch.log(zero_logits.softmax(-1)[..., 0]).mean()
    return loss


def marginal_term(logits: Tensor) -> Tensor:
    """``Σ_k −log mean_b P_k[k]`` (log space): every part must be called its own category on
    part of the batch. Zero iff the classifier calls every part's code its category."""
    num_k = _check_logits(logits)
    logp = logits.log_softmax(dim=2)
    idx = torch.arange(1, num_k + 1, device=logits.device)
    log_pk = logp.gather(2, idx.view(1, -1, 1).expand(logits.shape[0], -1, 1)).squeeze(2)
    return -(torch.logsumexp(log_pk, dim=0) - math.log(logits.shape[0])).sum()


def fuzzy_marginal_loss(logits: Tensor, zero_logits: Tensor | None = None) -> Tensor:
    """Non-trivial variant: :func:`fuzzy_loss` + :func:`marginal_term`."""
    return fuzzy_loss(logits, zero_logits) + marginal_term(logits)


def uniform_fuzzy_value(num_parts: int) -> float:
    """Closed form of one ``L_k`` at the uniform distribution over ``K + 1`` classes:
    ``−log(1 − (K / (K + 1))²)``."""
    q = num_parts / (num_parts + 1)
    return -math.log(1 - q * q)


def supervised_part_loss(logits: Tensor, present: Tensor) -> Tensor:
    """S-AE's supervised term: cross-entropy of part ``k`` against class ``k`` when category
    ``k`` is present, class 0 otherwise; summed over parts, averaged over the batch."""
    num_k = _check_logits(logits)
    if present.shape != logits.shape[:2]:
        raise ValueError(f"present: expected {tuple(logits.shape[:2])}, got "
                         f"{tuple(present.shape)}")
    target = present.long() * torch.arange(1, num_k + 1, device=logits.device)
    return torch.nn.functional.cross_entropy(
        logits.reshape(-1, num_k + 1), target.reshape(-1), reduction="sum") / logits.shape[0]


def gradient_penalty(critic: torch.nn.Module, real: Tensor, fake: Tensor,
                     generator: torch.Generator | None = None) -> Tensor:
    """WGAN-GP (Gulrajani et al. 2017): ``mean (‖∇_x̃ D(x̃)‖₂ − 1)²`` at
    ``x̃ = ε x_real + (1 − ε) x_fake``, ``ε ~ U(0, 1)`` per sample."""
    if real.shape != fake.shape:
        raise ValueError(f"real and fake: expected equal shapes, got {tuple(real.shape)}, "
                         f"{tuple(fake.shape)}")
    eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), generator=generator,
                     device=generator.device if generator is not None else real.device)
    mix = (eps.to(real) * real + (1 - eps.to(real)) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(critic(mix).sum(), mix, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
