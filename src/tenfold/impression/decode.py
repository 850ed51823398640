"""Iterative decoding: images whose impression matches a target (arXiv 2007.05441), and the
same optimiser for the DeepInversion-style baseline (Yin et al., arXiv 1912.08795).

Impression matching, per image ``i`` with target impression ``I*_i = {(μ*_l, σ*_l)}`` (one entry
per image, or one set impression shared by all):

    R_imp(x_i) = Σ_l w_l (‖μ_l(x_i) − μ*_l‖₂ + ‖σ_l(x_i) − σ*_l‖₂)

The decoded batch minimises

    L(x) = Σ_i R_imp(x_i) + λ_ce Σ_i CE(f(x_i), y_i) + λ_tv Σ_i TV(x_i) + λ_2 Σ_i ‖x_i‖²/P,

with TV(x) the mean squared difference of 4-neighbours and P the pixels per image, by Adam
(betas (0.5, 0.99)) under a cosine learning rate, a random jitter (a roll of up to ``jitter``
px) and optional horizontal flip applied to the batch each iteration, and clipping to the
template's pixel range after every step.

The DeepInversion-style objective (:func:`deepinversion_objective`) replaces ``R_imp`` by one
batch-level term: the statistics of the whole batch over (N, H, W) matched to the BN running
statistics,

    R_DI(x) = Σ_l w_l (‖mean_l(x) − running_mean_l‖₂ + ‖var_l(x) − running_var_l‖₂),

plus the class cross-entropy; written from the DeepInversion paper's equations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from tenfold.impression.template import Impression, TemplateNetwork

__all__ = ["DecodeSettings", "ImageDecoder", "decode", "decoder", "deepinversion_objective",
           "impression_loss", "impression_objective", "total_variation"]

@dataclass
class DecodeSettings:
    """Settings of :class:`ImageDecoder`.

    Attributes:
        steps: Adam iterations.
        lr: initial learning rate (cosine-annealed to 0 over ``steps``).
        tv: weight of the total-variation prior ``λ_tv``.
        l2: weight of the L2 prior ``λ_2``.
        jitter: maximum random roll in pixels per iteration (0 = none).
        flip: random horizontal flip per iteration.
        layer_weights: one weight ``w_l`` per BN layer (default all 1, the first layer
            ``first_layer_weight``).
        first_layer_weight: ``w_1`` when ``layer_weights`` is not given.
        ce_weight: ``λ_ce`` (needs labels).
        betas: Adam's betas.
        iterations_per_step: iterations per :meth:`ImageDecoder.step` (checkpoint granularity).
    """

    steps: int = 1000
    lr: float = 0.1
    tv: float = 1e-3
    l2: float = 0.0
    jitter: int = 1
    flip: bool = False
    layer_weights: tuple[float, ...] | None = None
    first_layer_weight: float = 1.0
    ce_weight: float = 0.0
    betas: tuple[float, float] = (0.5, 0.99)
    iterations_per_step: int = 50

    def validate(self, num_layers: int) -> None:
        if self.steps < 1 or self.iterations_per_step < 1:
            raise ValueError(f"steps and iterations_per_step: expected >= 1, got {self.steps} "
                             f"and {self.iterations_per_step}")
        for name in ("lr", "tv", "l2", "first_layer_weight", "ce_weight"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0 or (name == "lr" and value == 0):
                raise ValueError(f"{name}: expected a finite value >= 0 (lr > 0), got {value}")
        if self.jitter < 0:
            raise ValueError(f"jitter: expected >= 0 px, got {self.jitter}")
        if self.layer_weights is not None and (
                len(self.layer_weights) != num_layers
                or any(not math.isfinite(w) or w < 0 for w in self.layer_weights)):
            raise ValueError(f"layer_weights: expected {num_layers} finite weights >= 0 (one "
                             f"per BN layer), got {self.layer_weights}")

    def weights(self, num_layers: int) -> list[float]:
        if self.layer_weights is not None:
            return list(self.layer_weights)
        return [self.first_layer_weight] + [1.0] * (num_layers - 1)


def total_variation(x: Tensor) -> Tensor:
    """Per-image mean squared difference of horizontal and vertical neighbours, ``(N,)``."""
    dh = (x[..., 1:, :] - x[..., :-1, :]).pow(2).flatten(1).mean(1) if x.shape[-2] > 1 else 0
    dw = (x[..., :, 1:] - x[..., :, :-1]).pow(2).flatten(1).mean(1) if x.shape[-1] > 1 else 0
    return dh + dw + torch.zeros(x.shape[0], device=x.device)


def impression_loss(current: Impression, target: Impression, weights: Sequence[float]
                    ) -> Tensor:
    """``R_imp`` per image, ``(N,)``; ``target`` has ``N`` entries or one (broadcast)."""
    current.check_compatible(target)
    if len(target) not in (1, len(current)):
        raise ValueError(f"target impression: expected 1 or {len(current)} entries, got "
                         f"{len(target)}")
    total = torch.zeros(len(current), device=current.means[0].device)
    for w, m, s, mt, st in zip(weights, current.means, current.stds, target.means,
                                   target.stds, strict=True):
        if w:
            total = total + w * ((m - mt).norm(dim=1) + (s - st).norm(dim=1))
    return total


def impression_objective(template: TemplateNetwork, target: Impression,
                         weights: Sequence[float]) -> Callable[[Tensor], tuple[Tensor, Tensor]]:
    """``objective(x) -> (per-image R_imp (N,), logits)`` for impression matching."""
    template.check(target)

    def objective(x: Tensor) -> tuple[Tensor, Tensor]:
        logits, means, varis = template.forward_stats(x)
        return impression_loss(template.stats_impression(means, varis), target, weights), logits
    return objective


def deepinversion_objective(template: TemplateNetwork, weights: Sequence[float]
                            ) -> Callable[[Tensor], tuple[Tensor, Tensor]]:
    """``objective(x) -> (batch R_DI spread evenly over the N images, logits)``."""
    running = template.running_stats()

    def objective(x: Tensor) -> tuple[Tensor, Tensor]:
        logits, means, varis = template.forward_stats(x, batch_stats=True)
        total = x.new_zeros(())
        for w, m, v, (rm, rv) in zip(weights, means, varis, running, strict=True):
            if w:
                total = total + w * ((m - rm).norm() + (v - rv).norm())
        return total.expand(x.shape[0]) / x.shape[0], logits
    return objective


class ImageDecoder:
    """A resumable decoding loop (a :class:`tenfold.loops.Stepper`): each :meth:`step` runs
    ``settings.iterations_per_step`` Adam iterations on the images.

    Args:
        template: the template network.
        objective: ``objective(x) -> (per-image loss (N,), logits)`` (see
            :func:`impression_objective`, :func:`deepinversion_objective`).
        init: the starting images ``(N, C, H, W)`` (copied).
        settings: :class:`DecodeSettings`.
        labels: ``(N,)`` classes for the cross-entropy term (required if ``ce_weight > 0``).
        generator: the jitter/flip random stream (saved with the state).
        monitor: optional ``monitor(x) -> (N,)`` loss without augmentation, recorded at the
            end of every step in :attr:`history` (``{"iteration", "loss"}``).
        callback: optional ``callback(iteration, loss)`` after every step (progress).
    """

    def __init__(self, template: TemplateNetwork, objective, init: Tensor,
                 settings: DecodeSettings, labels: Tensor | None = None,
                 generator: torch.Generator | None = None,
                 monitor: Callable[[Tensor], Tensor] | None = None,
                 callback: Callable[[int, float], Any] | None = None):
        settings.validate(len(template.bn_layers))
        if init.dim() != 4:
            raise ValueError(f"init: expected images (N, C, H, W), got {tuple(init.shape)}")
        if settings.ce_weight > 0 and (labels is None or labels.shape != (init.shape[0],)):
            raise ValueError(f"ce_weight > 0 needs labels of shape ({init.shape[0]},)")
        self.template, self.objective, self.settings = template, objective, settings
        self.labels = None if labels is None else labels.to(init.device)
        self.generator = generator if generator is not None else torch.Generator()
        self.monitor, self.callback = monitor, callback
        lo, hi = template.pixel_range
        self.x = init.detach().clone().clamp_(lo, hi).requires_grad_(True)
        self.opt = torch.optim.Adam([self.x], lr=settings.lr, betas=settings.betas)
        self.sched = torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=settings.steps)
        self.iteration = 0
        self.epoch = 0
        self.max_epochs = math.ceil(settings.steps / settings.iterations_per_step)
        self.history: list[dict[str, float]] = []

    @property
    def stopped(self) -> bool:
        return self.iteration >= self.settings.steps

    def _augment(self, x: Tensor) -> Tensor:
        s = self.settings
        if s.jitter:
            dy, dx = (torch.randint(-s.jitter, s.jitter + 1, (2,), generator=self.generator)
                      .tolist())
            x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
        if s.flip and bool(torch.rand((), generator=self.generator) < 0.5):
            x = x.flip(3)
        return x

    def loss(self, x: Tensor, augment: bool = True) -> Tensor:
        """The full objective per image (N,) at ``x`` (augmented if ``augment``)."""
        s = self.settings
        xa = self._augment(x) if augment else x
        value, logits = self.objective(xa)
        if s.ce_weight:
            value = value + s.ce_weight * F.cross_entropy(logits, self.labels, reduction="none")
        if s.tv:
            value = value + s.tv * total_variation(x)
        if s.l2:
            value = value + s.l2 * x.pow(2).flatten(1).mean(1)
        return value

    def step(self) -> dict[str, float]:
        lo, hi = self.template.pixel_range
        last = float("nan")
        for _ in range(min(self.settings.iterations_per_step,
                           self.settings.steps - self.iteration)):
            value = self.loss(self.x).sum()
            self.opt.zero_grad(set_to_none=True)
            value.backward()
            self.opt.step()
            self.sched.step()
            with torch.no_grad():
                self.x.clamp_(lo, hi)
            self.iteration += 1
            last = float(value.detach()) / self.x.shape[0]
        self.epoch += 1
        record = {"iteration": self.iteration, "objective": last}
        if self.monitor is not None:
            with torch.no_grad():
                record["loss"] = float(self.monitor(self.x.detach()).mean())
        self.history.append(record)
        if self.callback is not None:
            self.callback(self.iteration, record.get("loss", last))
        return record

    def result(self) -> Tensor:
        return self.x.detach().clone()

    def state_dict(self) -> dict[str, Any]:
        return {"x": self.x.detach().clone(), "opt": self.opt.state_dict(),
                "sched": self.sched.state_dict(), "generator": self.generator.get_state(),
                "iteration": self.iteration, "epoch": self.epoch,
                "history": [dict(r) for r in self.history]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        with torch.no_grad():
            self.x.copy_(state["x"])
        self.opt.load_state_dict(state["opt"])
        self.sched.load_state_dict(state["sched"])
        self.generator.set_state(state["generator"].cpu())
        self.iteration, self.epoch = int(state["iteration"]), int(state["epoch"])
        self.history = [dict(r) for r in state["history"]]

    def run(self) -> ImageDecoder:
        while not self.stopped:
            self.step()
        return self


def noise_init(template: TemplateNetwork, n: int, shape: tuple[int, int, int],
               generator: torch.Generator | None = None) -> Tensor:
    """``n`` images uniform in the template's pixel range."""
    lo, hi = template.pixel_range
    return lo + (hi - lo) * torch.rand((n, *shape), generator=generator).to(template.device)


def decoder(template: TemplateNetwork, target: Impression,
            init: Literal["noise"] | Tensor = "noise",
            image_shape: tuple[int, int, int] | None = None, n: int | None = None,
            settings: DecodeSettings | None = None, labels: Tensor | None = None,
            generator: torch.Generator | None = None,
            callback: Callable[[int, float], Any] | None = None, **overrides) -> ImageDecoder:
    """An :class:`ImageDecoder` for impression matching towards ``target`` (one target per image,
    or one set impression shared by ``n`` images). ``init="noise"`` needs ``image_shape``
    ``(C, H, W)``; otherwise ``init`` is the starting images. ``overrides`` set
    :class:`DecodeSettings` fields."""
    settings = settings or DecodeSettings()
    if overrides:
        settings = DecodeSettings(**{**vars(settings), **overrides})
    settings.validate(len(template.bn_layers))
    template.check(target)
    target = target.detach().to(template.device)
    if isinstance(init, str):
        if init != "noise":
            raise ValueError(f"init: expected 'noise' or an image tensor, got {init!r}")
        if image_shape is None or len(image_shape) != 3:
            raise ValueError("init='noise' needs image_shape=(C, H, W)")
        count = n if n is not None else len(target)
        x0 = noise_init(template, count, tuple(image_shape), generator)
    else:
        x0 = init.to(template.device)
        count = x0.shape[0]
    if len(target) not in (1, count):
        raise ValueError(f"target impression has {len(target)} entries; expected 1 or {count}")
    weights = settings.weights(len(template.bn_layers))
    objective = impression_objective(template, target, weights)

    def monitor(x: Tensor) -> Tensor:
        return objective(x)[0]
    return ImageDecoder(template, objective, x0, settings, labels, generator, monitor, callback)


def decode(template: TemplateNetwork, target: Impression,
           init: Literal["noise"] | Tensor = "noise", **kwargs) -> Tensor:
    """Decode ``target`` into images by impression matching (see :func:`decoder` for the
    arguments); returns the images ``(N, C, H, W)`` in the template's pixel range."""
    return decoder(template, target, init, **kwargs).run().result()
