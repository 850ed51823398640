"""Training UDOR and its baselines as a resumable step-wise loop (a runtime ``Stepper``).

One iteration (Feng et al., arXiv 2004.01426, official schedule):

    z = E(x),  r = z ⊙ m_k  (k uniform per image),  x̂ = Dec(r)
    L = w_rec · mean_b ‖Dec(z) − x‖²                   reconstruction (w_rec = 4: see PIXEL_SCALE)
      + w_rep · mean_b ‖r − E(x̂)‖²                     the removed image re-encodes to r
      + w_zero · ‖Dec(0) − 0‖²                         the empty code draws an empty canvas (40)
      + w_cls · fuzzy(C(z_1..K), C(0))                 fuzzy part classification
      + w_gan · (−mean_b D(x̂))                          removed images must look real
      + w_sup · CE(C(z_k), k·present_k)                S-AE only (labels)

then ``critic_steps`` WGAN-GP critic updates ``D(x̂) − D(x') + λ GP`` with ``x'`` another
batch of training images. A term with weight 0 is not computed. Presets:
:data:`METHOD_WEIGHTS` (``udor``, ``udor-nogan``, ``udor-nofuzzy``, ``ae``, ``s-ae``).

Deviations from the official code (documented in docs/methods/udor.md): the removed part ``k``
is re-drawn every iteration (official: fixed per image when the data set is written); by
default (``generator_step="joint"``) the GAN's generator term is part of the auto-encoder step,
so it also reaches the encoder (official, ``generator_step="decoder"``: a separate decoder-only
Adam step); the critic's real batch is a random batch (official: the
previous one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import Tensor

from tenfold.udor.losses import (
    fuzzy_loss,
    fuzzy_marginal_loss,
    gradient_penalty,
    supervised_part_loss,
)
from tenfold.udor.model import UDOR, Critic

FuzzyForm = Literal["official", "marginal"]
GeneratorStep = Literal["joint", "decoder"]
FUZZY = {"official": fuzzy_loss, "marginal": fuzzy_marginal_loss}


#: The official code sums squared pixel errors of images in ``[−1, 1]``; ours are in ``[0, 1]``,
#: where the same sums are 4× smaller. Pixel-space weights are multiplied by this factor so that
#: every term keeps the official *relative* weight (rec 1, zero 10 on ``[−1, 1]``).
PIXEL_SCALE = 4.0


@dataclass(frozen=True)
class Weights:
    """Loss weights; the defaults are the official Multi-MNIST run (``GAN_1_1_10_1000``), with
    the pixel terms rescaled to images in ``[0, 1]`` (:data:`PIXEL_SCALE`)."""

    rec: float = 1.0 * PIXEL_SCALE
    rep: float = 1.0
    zero: float = 10.0 * PIXEL_SCALE
    cls: float = 1000.0
    gan: float = 1.0
    sup: float = 0.0


METHOD_WEIGHTS: dict[str, Weights] = {
    "udor": Weights(),
    "udor-nogan": Weights(gan=0.0),
    "udor-nofuzzy": Weights(cls=0.0),
    "ae": Weights(rep=0.0, zero=0.0, cls=0.0, gan=0.0),
    "s-ae": Weights(rep=0.0, zero=0.0, cls=0.0, gan=0.0, sup=100.0),
}


@dataclass
class TrainSettings:
    """Optimisation settings (official: batch 64, Adam 1e-3 β=(0, 0.9) for the auto-encoder,
    Adam 1e-4 β=(0.5, 0.9) and 5 steps for the critic, λ_GP = 10)."""

    iterations: int = 1500
    batch_size: int = 64
    lr: float = 1e-3
    betas: tuple[float, float] = (0.0, 0.9)
    lr_critic: float = 1e-4
    critic_betas: tuple[float, float] = (0.5, 0.9)
    critic_steps: int = 5
    critic_ch: int = 16
    gp_weight: float = 10.0
    iters_per_step: int = 25
    fuzzy: FuzzyForm = "official"
    #: iterations over which the fuzzy weight ramps linearly from ``w_cls / cls_warmup`` to
    #: ``w_cls`` (0: none, the official schedule; a deviation, see :meth:`UDORTrainer.cls_scale`)
    cls_warmup: int = 0
    #: where the GAN's generator term ``−mean D(x̂)`` is minimised: ``"joint"`` inside the
    #: auto-encoder step (reaches the encoder too), ``"decoder"`` in a separate step over the
    #: decoder only with the critic's optimiser settings (official)
    generator_step: GeneratorStep = "joint"
    weights: Weights = field(default_factory=Weights)

    def __post_init__(self) -> None:
        if min(self.iterations, self.batch_size, self.iters_per_step) < 1:
            raise ValueError("iterations, batch_size and iters_per_step: expected ≥ 1")
        if self.cls_warmup < 0:
            raise ValueError(f"cls_warmup: expected ≥ 0 iterations, got {self.cls_warmup}")
        if self.critic_steps < 0 or self.gp_weight < 0 or min(self.lr, self.lr_critic) <= 0:
            raise ValueError("critic_steps and gp_weight ≥ 0 and learning rates > 0 expected")
        if self.generator_step not in ("joint", "decoder"):
            raise ValueError(f"generator_step: expected 'joint' or 'decoder', got "
                             f"{self.generator_step!r}")
        if self.fuzzy not in FUZZY:
            raise ValueError(f"fuzzy: expected one of {', '.join(FUZZY)}, got {self.fuzzy!r}")
        if min(vars(self.weights).values()) < 0:
            raise ValueError(f"weights: expected ≥ 0, got {self.weights}")


class UDORTrainer:
    """Trains ``model`` on ``images`` ``(N, C, S, S)`` in ``[0, 1]``; ``present`` ``(N, K)`` is
    needed only when ``settings.weights.sup > 0`` (S-AE). ``step()`` runs
    ``settings.iters_per_step`` iterations, so ``max_epochs = ceil(iterations / iters_per_step)``.
    """

    def __init__(self, model: UDOR, images: Tensor, settings: TrainSettings,
                 generator: torch.Generator, present: Tensor | None = None,
                 critic: Critic | None = None):
        if images.dim() != 4 or images.shape[1:] != (model.in_channels, model.image_size,
                                                      model.image_size):
            raise ValueError(f"images: expected (N, {model.in_channels}, {model.image_size}, "
                             f"{model.image_size}), got {tuple(images.shape)}")
        w = settings.weights
        if w.sup > 0 and (present is None or present.shape != (len(images), model.num_parts)):
            raise ValueError(f"present: expected ({len(images)}, {model.num_parts}) labels for "
                             "the supervised term")
        self.model, self.images, self.present, self.s = model, images, present, settings
        self.generator = generator
        self.device = next(model.parameters()).device
        self.opt = torch.optim.Adam(model.parameters(), settings.lr, betas=settings.betas)
        self.critic = None
        if w.gan > 0:
            self.critic = critic or Critic(model.in_channels, model.image_size,
                                          settings.critic_ch).to(self.device)
            self.opt_critic = torch.optim.Adam(self.critic.parameters(), settings.lr_critic,
                                               betas=settings.critic_betas)
        self.opt_gen = None
        if w.gan > 0 and settings.generator_step == "decoder":
            self.opt_gen = torch.optim.Adam(model.decoder.parameters(), settings.lr_critic,
                                            betas=settings.critic_betas)
        self.diagnostics: dict[str, float] = {}
        self.epoch = 0
        self.iteration = 0
        self.max_epochs = -(-settings.iterations // settings.iters_per_step)

    @property
    def stopped(self) -> bool:
        return self.iteration >= self.s.iterations

    def _batch(self) -> tuple[Tensor, Tensor | None]:
        idx = torch.randint(0, len(self.images), (self.s.batch_size,), generator=self.generator)
        present = None if self.present is None else self.present[idx].to(self.device)
        return self.images[idx].to(self.device), present

    def losses(self, x: Tensor, parts: Tensor, present: Tensor | None = None
               ) -> tuple[dict[str, Tensor], Tensor]:
        """Every weighted term of one batch (unweighted values in the dict) and the removed
        images ``Dec(z ⊙ m_k)``; with the fuzzy term, ``self.diagnostics`` holds the batch's
        mean ``P_k[0]`` ("empty") and ``P_k[k]`` ("own category") over parts."""
        m, w = self.model, self.s.weights
        z = m.encode(x)
        out = {"rec": ((m.decode(z) - x) ** 2).flatten(1).sum(1).mean()}
        r = m.remove_code(z, parts)
        x_removed = m.decode(r)
        if w.rep > 0:
            out["rep"] = ((r - m.encode(x_removed)) ** 2).sum(1).mean()
        if w.zero > 0:
            out["zero"] = (m.decode(torch.zeros(1, m.code_dim, device=x.device)) ** 2).sum()
        if w.cls > 0:
            zero_logits = m.classifier(torch.zeros(len(x), m.part_dim, device=x.device))
            logits = m.classify_parts(z)
            out["cls"] = FUZZY[self.s.fuzzy](logits, zero_logits)
            with torch.no_grad():                 # diagnostics: the trivial minimiser
                p = logits.softmax(dim=2)
                own = torch.arange(1, m.num_parts + 1, device=x.device)
                self.diagnostics = {
                    "p_empty": float(p[:, :, 0].mean()),
                    "p_own": float(p.gather(2, own.view(1, -1, 1).expand(len(x), -1, 1)).mean())}
        if w.sup > 0:
            out["sup"] = supervised_part_loss(m.classify_parts(z), present)
        if w.gan > 0 and self.opt_gen is None:
            out["gan"] = -self.critic(x_removed).mean()
        return out, x_removed

    def generator_update(self, x: Tensor, parts: Tensor) -> float:
        """The official decoder-only GAN step: minimise ``w_gan · (−mean D(Dec(E(x) ⊙ m_k)))``
        over the decoder's parameters (the code is held fixed); returns ``−mean D``."""
        with torch.no_grad():
            r = self.model.remove_code(self.model.encode(x), parts)
        g = -self.critic(self.model.decode(r)).mean()
        self.opt_gen.zero_grad(set_to_none=True)
        (self.s.weights.gan * g).backward()
        self.opt_gen.step()
        return float(g.detach())

    def cls_scale(self, iteration: int | None = None) -> float:
        """Factor on the fuzzy weight at ``iteration`` (default: the next one):
        ``min(1, (t + 1) / cls_warmup)``, 1 without a warm-up."""
        t = self.iteration if iteration is None else iteration
        return 1.0 if self.s.cls_warmup == 0 else min(1.0, (t + 1) / self.s.cls_warmup)

    def iterate(self) -> dict[str, float]:
        """One auto-encoder update and ``critic_steps`` critic updates."""
        w = self.s.weights
        self.model.train()
        x, present = self._batch()
        parts = torch.randint(0, self.model.num_parts, (len(x),), generator=self.generator)
        self.diagnostics = {}
        terms, x_removed = self.losses(x, parts.to(self.device), present)
        scale = {"cls": self.cls_scale()}
        loss = sum(getattr(w, k) * scale.get(k, 1.0) * v for k, v in terms.items())
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        stats = {k: float(v.detach()) for k, v in terms.items()}
        stats.update(self.diagnostics)
        if self.opt_gen is not None:
            stats["gan"] = self.generator_update(x, parts.to(self.device))
        if self.critic is not None:
            fake = x_removed.detach()
            for _ in range(self.s.critic_steps):
                real, _ = self._batch()
                d = self.critic(fake).mean() - self.critic(real).mean()
                gp = gradient_penalty(self.critic, real, fake, self.generator)
                self.opt_critic.zero_grad(set_to_none=True)
                (d + self.s.gp_weight * gp).backward()
                self.opt_critic.step()
                stats["critic_gap"] = -float(d.detach())
        stats["loss"] = float(loss.detach())
        self.iteration += 1
        return stats

    def step(self) -> dict[str, float]:
        """``iters_per_step`` iterations (fewer at the end); returns their mean statistics."""
        history = []
        for _ in range(self.s.iters_per_step):
            if self.stopped:
                break
            history.append(self.iterate())
        self.epoch += 1
        keys = history[0].keys() if history else ()
        return {k: sum(h[k] for h in history) / len(history) for k in keys}

    def state_dict(self) -> dict[str, Any]:
        state = {"model": self.model.state_dict(), "opt": self.opt.state_dict(),
                 "epoch": self.epoch, "iteration": self.iteration,
                 "generator": self.generator.get_state()}
        if self.critic is not None:
            state["critic"] = self.critic.state_dict()
            state["opt_critic"] = self.opt_critic.state_dict()
        if self.opt_gen is not None:
            state["opt_gen"] = self.opt_gen.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.epoch, self.iteration = state["epoch"], state["iteration"]
        self.generator.set_state(state["generator"].cpu())
        if self.critic is not None:
            self.critic.load_state_dict(state["critic"])
            self.opt_critic.load_state_dict(state["opt_critic"])
        if self.opt_gen is not None:
            self.opt_gen.load_state_dict(state["opt_gen"])
