"""One-stage GAN training by gradient decomposition (Shen et al., arXiv 2103.00430, CVPR 2021).

Conventional *two-stage* training alternates a discriminator step (generator fixed, fake images
detached) and a generator step (discriminator fixed, fresh noise). Per iteration this costs two
generator forwards, three discriminator forwards and backwards, and one generator backward.

*One-stage* training does one generator forward, one discriminator forward on real and on fake
images and ONE backward, then steps both optimisers. With x̃ = G(z), p_i = D(x̃_i):

    L_D = mean_i ℓ_r(D(x_i)) + mean_i ℓ_f(p_i)
    ∂ℓ_g(p_i)/∂x̃_i = γ_i ∂ℓ_f(p_i)/∂x̃_i,    γ_i = ℓ_g'(p_i)/ℓ_f'(p_i)

so back-propagating L_D through ``scale_grad(x̃, γ)`` leaves ∇_φ L_D in the discriminator's
``.grad`` and puts exactly ∇_θ L_G in the generator's ``.grad``. Symmetric losses (ℓ_g = −ℓ_f)
have γ ≡ −1 (gradient reversal) and need nothing else. Asymmetric losses need each logit p_i to
depend on x̃_i only (checked once with :func:`check_sample_independence`) and one logit per
sample. Samples whose γ is unusable (ℓ_f'(p_i) = 0, e.g. an inactive hinge, or |γ_i| huge) get
γ_i = 0 in the scaled pass plus a fallback term ℓ_g(D_φ̄(x̃_i)) evaluated with *detached*
discriminator parameters φ̄, so that they receive their exact generator gradient in the same
backward and the discriminator's gradient is untouched.

Differences from the official code (zju-vipa/OSGAN): γ lives in a per-call tensor instead of a
class attribute; the ratio is analytic and finite; the hinge loss works; real and fake batches go
through D separately (no 2B concatenation that halves both gradients).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Literal

import torch
from torch import Tensor, nn
from torch.func import functional_call

from tenfold.gan.independence import check_sample_independence
from tenfold.gan.losses import GANLoss, get_loss
from tenfold.gan.scale import scale_grad

log = logging.getLogger(__name__)

__all__ = ["OneStageGAN", "one_stage_backward", "require_independence",
           "two_stage_reference_backward"]

Penalty = Callable[[nn.Module, Tensor, Tensor], Tensor]
GExtra = Callable[[Tensor], Tensor]


def unwrap(module: nn.Module) -> nn.Module:
    """The user's module inside data-parallel wrappers (``DistributedDataParallel`` and Lightning
    Fabric's module wrapper), so that a side computation (the detached-D fallback term) does not
    go through the wrapper's gradient synchronisation."""
    while isinstance(module, nn.parallel.DistributedDataParallel) or hasattr(
            module, "_original_module"):
        module = module.module
    return module


def _flat_logits(p: Tensor, batch: int, symmetric: bool) -> Tensor:
    if p.shape[0] != batch:
        raise ValueError(f"discriminator must return logits with the batch ({batch}) as first "
                         f"dimension, got shape {tuple(p.shape)}")
    if p.numel() == batch:
        return p.reshape(batch)
    if symmetric:
        return p  # e.g. PatchGAN logits: γ ≡ −1 needs no per-sample decomposition
    raise ValueError(
        f"an asymmetric loss needs ONE discriminator logit per sample (shape ({batch},) or "
        f"({batch}, 1)), got {tuple(p.shape)}; per-patch logits each have their own γ and cannot "
        "be scaled at the image — use a symmetric loss or mode='two-stage'")


def require_independence(discriminator: nn.Module, fake: Tensor, loss: GANLoss,
                         on_dependent: Literal["raise", "warn"] = "raise",
                         stacklevel: int = 3) -> bool:
    """Probe ``discriminator`` on (up to 8 of) the detached ``fake`` samples with
    :func:`check_sample_independence`; ``"raise"`` a ``ValueError`` or ``"warn"`` if it mixes
    samples. Returns whether the samples were scored independently (``True`` for fewer than 2
    samples, which cannot be probed)."""
    if on_dependent not in ("raise", "warn"):
        raise ValueError(f"on_dependent must be 'raise' or 'warn', got {on_dependent!r}")
    fake = fake.detach()[:8]
    if fake.shape[0] < 2:
        return True
    ok, change = check_sample_independence(discriminator, fake)
    if ok:
        return True
    msg = (f"the discriminator does not score samples independently (changing one sample moved "
           f"another's logit by {change:.3g}); one-stage training with the asymmetric loss "
           f"{loss!r} would give the generator a wrong gradient. Use GroupNorm/LayerNorm "
           "or no normalisation in D (or BatchNorm in eval mode), a symmetric loss "
           "(minimax, wasserstein), or mode='two-stage'.")
    if on_dependent == "raise":
        raise ValueError(msg)
    warnings.warn(msg, stacklevel=stacklevel)
    return False


def one_stage_backward(generator: nn.Module, discriminator: nn.Module, loss: GANLoss | str,
                       real: Tensor, z: Tensor, d_penalty: Penalty | None = None,
                       g_extra: GExtra | None = None, check_independence: bool = True,
                       on_dependent: Literal["raise", "warn"] = "raise") -> dict[str, Tensor]:
    """Accumulate ∇_φ L_D into D's ``.grad`` and ∇_θ L_G into G's ``.grad`` with ONE backward.

    Args:
        generator: ``G(z) -> x̃``.
        discriminator: ``D(x) -> (B,)`` or ``(B, 1)`` logits.
        loss: a :class:`~tenfold.gan.losses.GANLoss` or its name.
        real: a batch of real samples.
        z: the generator's input for this batch.
        d_penalty: optional discriminator-only term ``d_penalty(D, real, fake_detached)`` (e.g. a
            WGAN-GP or R1 penalty); it receives detached fakes so it cannot leak into G.
        g_extra: optional generator-only term ``g_extra(fake)`` (e.g. an L1 reconstruction),
            attached to x̃ before the scaling, added to G's objective.
        check_independence: with an asymmetric loss, first probe D on this batch's fakes
            (:func:`require_independence`: two extra no-grad D forwards on at most 8 samples,
            no trace left); pass ``False`` once your discriminator is known to be fine, as
            :class:`OneStageGAN` does after its first check.
        on_dependent: ``"raise"`` a ``ValueError`` or ``"warn"`` when D mixes samples.

    Returns:
        Detached statistics: ``loss_d``, ``loss_g``, ``gamma_mean`` (over usable samples) and
        ``n_fallback`` (samples handled by the fallback term).
    """
    loss = get_loss(loss)
    if on_dependent not in ("raise", "warn"):
        raise ValueError(f"on_dependent must be 'raise' or 'warn', got {on_dependent!r}")
    fake = generator(z)
    batch = fake.shape[0]
    if real.shape[0] == 0 or batch == 0:
        raise ValueError("one_stage_backward needs non-empty real and fake batches")
    if check_independence and not loss.symmetric:
        require_independence(discriminator, fake, loss, on_dependent)
    if loss.symmetric:
        scale: Tensor = torch.tensor(-1.0, device=fake.device)
    else:
        scale = torch.zeros(batch, device=fake.device, dtype=fake.dtype)
    p_fake = _flat_logits(discriminator(scale_grad(fake, scale)), batch, loss.symmetric)
    p_real = discriminator(real)
    loss_d = loss.loss_d(p_real, p_fake)
    total = loss_d
    loss_g = loss.g(p_fake.detach()).mean()
    n_fallback = torch.zeros((), device=fake.device)
    gamma_mean = torch.full((), -1.0, device=fake.device)
    if not loss.symmetric:
        gamma, usable = loss.gamma_mask(p_fake)
        scale.copy_(gamma)  # read by scale_grad's backward
        n_use = usable.sum()
        gamma_mean = gamma.sum() / n_use.clamp(min=1)
        if not bool(usable.all()):
            idx = (~usable).nonzero().flatten()
            n_fallback = (~usable).sum().to(n_fallback.dtype)
            plain = unwrap(discriminator)
            frozen = {k: v.detach() for k, v in plain.named_parameters()}
            frozen.update(dict(plain.named_buffers()))
            p_fb = functional_call(plain, frozen, (fake[idx],)).reshape(-1)
            total = total + loss.g(p_fb).sum() / batch
    if d_penalty is not None:
        total = total + d_penalty(discriminator, real, fake.detach())
    if g_extra is not None:
        total = total + g_extra(fake)
    total.backward()
    return {"loss_d": loss_d.detach(), "loss_g": loss_g.detach(), "gamma_mean": gamma_mean.detach(),
            "n_fallback": n_fallback}


def two_stage_reference_backward(generator: nn.Module, discriminator: nn.Module,
                                 loss: GANLoss | str, real: Tensor, z: Tensor,
                                 d_penalty: Penalty | None = None,
                                 g_extra: GExtra | None = None) -> dict[str, Tensor]:
    """The *simultaneous* two-stage gradients one-stage training must reproduce exactly.

    ∇_φ L_D with the fake detached, and ∇_θ L_G through the SAME discriminator parameters and the
    same fake batch (no optimiser step in between), accumulated into ``.grad``. This is the
    reference for tests, not the alternating baseline (see :class:`OneStageGAN` ``mode``).
    """
    loss = get_loss(loss)
    d_params = [p for p in discriminator.parameters() if p.requires_grad]
    g_params = [p for p in generator.parameters() if p.requires_grad]
    fake = generator(z)
    p_fake = discriminator(fake.detach()).reshape(fake.shape[0], -1).squeeze(-1)
    loss_d = loss.loss_d(discriminator(real), p_fake)
    if d_penalty is not None:
        loss_d = loss_d + d_penalty(discriminator, real, fake.detach())
    grads_d = torch.autograd.grad(loss_d, d_params, allow_unused=True)
    loss_g = loss.loss_g(discriminator(fake).reshape(fake.shape[0], -1).squeeze(-1))
    if g_extra is not None:
        loss_g = loss_g + g_extra(fake)
    grads_g = torch.autograd.grad(loss_g, g_params, allow_unused=True)
    for params, grads in ((d_params, grads_d), (g_params, grads_g)):
        for p, g in zip(params, grads, strict=True):
            if g is None:
                continue
            p.grad = g.detach().clone() if p.grad is None else p.grad + g.detach()
    return {"loss_d": loss_d.detach(), "loss_g": loss_g.detach()}


class OneStageGAN:
    """One training iteration of a GAN, one-stage or the conventional two-stage baseline.

    The object does not own the data loop: call it once per batch from your own code.

    Args:
        generator, discriminator: the two networks (``D`` returns one logit per sample; symmetric
            losses also accept per-patch logits).
        opt_g, opt_d: their optimisers.
        loss: a :class:`~tenfold.gan.losses.GANLoss` or a name (``nonsaturating``, ``minimax``,
            ``wasserstein``, ``leastsquares``, ``hinge``).
        mode: ``"one-stage"`` (one backward, both optimisers step) or ``"two-stage"`` (the
            official alternating loop: a D step on detached fakes, then a G step with fresh noise
            through the updated D).
        check_independence: ``"first"`` (probe the discriminator on the first call; default),
            ``"always"`` or ``"never"``. Only asymmetric losses in one-stage mode need the check.
        on_dependent: ``"raise"`` a ``ValueError`` or ``"warn"`` when the discriminator mixes
            samples (BatchNorm in train mode, minibatch stddev, attention across the batch).
        d_penalty: optional ``d_penalty(D, real, fake_detached) -> scalar`` added to L_D.
        g_extra: optional ``g_extra(fake) -> scalar`` added to L_G (attached before scaling).
        freeze_d_in_g_step: two-stage only: switch off D's parameter gradients during the G step
            (skips D's weight-gradient computation; the official code does not do this).
        noise_generator: ``torch.Generator`` for the fresh noise of the two-stage G step when
            the caller passes no ``z2``.

    Example::

        step = OneStageGAN(G, D, opt_g, opt_d, loss="nonsaturating")
        for real, _ in loader:
            z = torch.randn(real.shape[0], zdim, generator=gen)
            stats = step(real, z)     # {'loss_d', 'loss_g', 'gamma_mean', 'n_fallback'}
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module,
                 opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
                 loss: GANLoss | str = "nonsaturating",
                 mode: Literal["one-stage", "two-stage"] = "one-stage",
                 check_independence: Literal["first", "always", "never"] = "first",
                 on_dependent: Literal["raise", "warn"] = "raise",
                 d_penalty: Penalty | None = None, g_extra: GExtra | None = None,
                 freeze_d_in_g_step: bool = False,
                 noise_generator: torch.Generator | None = None):
        if mode not in ("one-stage", "two-stage"):
            raise ValueError(f"mode must be 'one-stage' or 'two-stage', got {mode!r}")
        if check_independence not in ("first", "always", "never"):
            raise ValueError("check_independence must be 'first', 'always' or 'never', got "
                             f"{check_independence!r}")
        if on_dependent not in ("raise", "warn"):
            raise ValueError(f"on_dependent must be 'raise' or 'warn', got {on_dependent!r}")
        self.generator, self.discriminator = generator, discriminator
        self.opt_g, self.opt_d = opt_g, opt_d
        self.loss = get_loss(loss)
        self.mode = mode
        self.check_independence = check_independence
        self.on_dependent = on_dependent
        self.d_penalty, self.g_extra = d_penalty, g_extra
        self.freeze_d_in_g_step = freeze_d_in_g_step
        self.noise_generator = noise_generator
        self._checked = False

    def _maybe_check(self, z: Tensor) -> None:
        if self.mode != "one-stage" or self.loss.symmetric or self.check_independence == "never":
            return
        if self.check_independence == "first" and self._checked:
            return
        self._checked = True
        saved = {k: b.detach().clone() for k, b in self.generator.named_buffers()}
        devices = [z.device] if z.device.type == "cuda" else []
        # the probe leaves no trace: G's BatchNorm statistics and the random state are restored
        with torch.no_grad(), torch.random.fork_rng(devices=devices):
            fake = self.generator(z[: max(2, min(8, z.shape[0]))])
        buffers = dict(self.generator.named_buffers())
        for k, v in saved.items():
            buffers[k].copy_(v)
        require_independence(self.discriminator, fake, self.loss, self.on_dependent,
                             stacklevel=4)

    def __call__(self, real: Tensor, z: Tensor, z2: Tensor | None = None) -> dict[str, Tensor]:
        """One iteration on a real batch and noise ``z``; ``z2`` is the two-stage G step's noise
        (drawn like ``z`` when omitted). Returns detached statistics."""
        if self.mode == "one-stage":
            return self._one_stage(real, z)
        return self._two_stage(real, z, z2)

    step = __call__

    def _one_stage(self, real: Tensor, z: Tensor) -> dict[str, Tensor]:
        self._maybe_check(z)
        self.opt_g.zero_grad(set_to_none=True)
        self.opt_d.zero_grad(set_to_none=True)
        stats = one_stage_backward(self.generator, self.discriminator, self.loss, real, z,
                                   self.d_penalty, self.g_extra, check_independence=False)
        self.opt_d.step()
        self.opt_g.step()
        return stats

    def _two_stage(self, real: Tensor, z: Tensor, z2: Tensor | None) -> dict[str, Tensor]:
        G, D, loss = self.generator, self.discriminator, self.loss
        # stage 1: discriminator step, generator fixed
        self.opt_d.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = G(z)
        loss_d = loss.loss_d(D(real), _flat_logits(D(fake), fake.shape[0], loss.symmetric))
        if self.d_penalty is not None:
            loss_d = loss_d + self.d_penalty(D, real, fake)
        loss_d.backward()
        self.opt_d.step()
        # stage 2: generator step through the updated discriminator, fresh noise
        if z2 is None:
            z2 = torch.randn(z.shape, generator=self.noise_generator, device=z.device,
                             dtype=z.dtype)
        self.opt_g.zero_grad(set_to_none=True)
        frozen = []
        if self.freeze_d_in_g_step:
            frozen = [p for p in D.parameters() if p.requires_grad]
            for p in frozen:
                p.requires_grad_(False)
        try:
            fake2 = G(z2)
            loss_g = loss.loss_g(_flat_logits(D(fake2), fake2.shape[0], loss.symmetric))
            total_g = loss_g if self.g_extra is None else loss_g + self.g_extra(fake2)
            total_g.backward()
        finally:
            for p in frozen:
                p.requires_grad_(True)
        self.opt_g.step()
        self.opt_d.zero_grad(set_to_none=True)  # drop the D gradients the G step produced
        return {"loss_d": loss_d.detach(), "loss_g": loss_g.detach(),
                "gamma_mean": torch.full((), float("nan")), "n_fallback": torch.zeros(())}
