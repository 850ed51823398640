"""Data-free adversarial distillation (DFAD), two-stage and one-stage.

DFAD (Fang et al., arXiv 1912.11006) distils a frozen teacher T into a student S without data: a
generator G proposes inputs on which the two disagree. With x̃ = G(z) the game is

    L_S = mean_i ‖S(x̃_i) − T(x̃_i)‖₁ / K      (K = number of logits; student minimises)
    L_G = −L_S                                 (generator maximises the discrepancy)

This game is *symmetric*, so one-stage training (arXiv 2103.00430) applies with plain gradient
reversal: one forward of G, T and S and ONE backward of L_S through ``scale_grad(x̃, −1)`` gives the
student's descent direction and the generator's ascent direction; both optimisers then step. The
teacher's logits are NOT detached (its parameters are frozen), because the generator's gradient
flows through both networks.

Two-stage DFAD (the baseline, as in the official code): ``student_steps`` student updates on
detached fakes from fresh noise, then one generator update on fresh noise. In one-stage mode the
same iteration does ``student_steps − 1`` student-only updates and one joint update, so both modes
make the same number of student and generator updates per iteration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tenfold.gan.scale import scale_grad
from tenfold.loops import rank_share

__all__ = ["DataFreeDistillation", "NoiseDistillation", "dfad_one_stage_backward",
           "l1_discrepancy", "noise_sampler"]


def l1_discrepancy(student_logits: Tensor, teacher_logits: Tensor) -> Tensor:
    """mean over samples and logits of |s − t| (DFAD's mean absolute error on logits)."""
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(f"student and teacher logits must have the same shape, got "
                         f"{tuple(student_logits.shape)} and {tuple(teacher_logits.shape)}")
    return F.l1_loss(student_logits, teacher_logits)


def dfad_one_stage_backward(teacher: nn.Module, student: nn.Module, generator: nn.Module, z: Tensor,
                            discrepancy: Callable[[Tensor, Tensor], Tensor] = l1_discrepancy
                            ) -> Tensor:
    """One backward that leaves ∇_S L_S in the student's and ∇_G(−L_S) in the generator's
    ``.grad``. Returns the detached discrepancy."""
    fake = scale_grad(generator(z), -1.0)
    loss = discrepancy(student(fake), teacher(fake))
    loss.backward()
    return loss.detach()


class DataFreeDistillation:
    """One DFAD iteration (``student_steps`` student updates and one generator update).

    Args:
        teacher: the frozen teacher (its parameters are set to ``requires_grad=False``; it is put
            in eval mode).
        student, generator: the trained networks.
        opt_s, opt_g: their optimisers.
        mode: ``"one-stage"`` or ``"two-stage"`` (DFAD's official alternating loop).
        student_steps: student updates per generator update (DFAD uses 5).
        discrepancy: the loss on (student, teacher) logits; default :func:`l1_discrepancy`.

    Call it with a noise function ``sample_z() -> Tensor`` (fresh noise for every forward):
    ``stats = step(lambda: torch.randn(256, 100, generator=gen))``.
    """

    def __init__(self, teacher: nn.Module, student: nn.Module, generator: nn.Module,
                 opt_s: torch.optim.Optimizer, opt_g: torch.optim.Optimizer,
                 mode: Literal["one-stage", "two-stage"] = "one-stage", student_steps: int = 1,
                 discrepancy: Callable[[Tensor, Tensor], Tensor] = l1_discrepancy):
        if mode not in ("one-stage", "two-stage"):
            raise ValueError(f"mode must be 'one-stage' or 'two-stage', got {mode!r}")
        if student_steps < 1:
            raise ValueError(f"student_steps must be >= 1, got {student_steps}")
        self.teacher, self.student, self.generator = teacher, student, generator
        self.opt_s, self.opt_g = opt_s, opt_g
        self.mode, self.student_steps, self.discrepancy = mode, int(student_steps), discrepancy
        teacher.eval()
        for p in teacher.parameters():
            p.requires_grad_(False)

    def _student_step(self, z: Tensor) -> Tensor:
        with torch.no_grad():
            fake = self.generator(z)
            t = self.teacher(fake)
        self.opt_s.zero_grad(set_to_none=True)
        loss = self.discrepancy(self.student(fake), t)
        loss.backward()
        self.opt_s.step()
        return loss.detach()

    def __call__(self, sample_z: Callable[[], Tensor]) -> dict[str, Tensor]:
        """One iteration; returns ``loss_s`` (last student discrepancy) and ``loss_g``."""
        extra = self.student_steps - (1 if self.mode == "one-stage" else 0)
        loss_s = torch.zeros(())
        for _ in range(extra):
            loss_s = self._student_step(sample_z())
        self.opt_s.zero_grad(set_to_none=True)
        self.opt_g.zero_grad(set_to_none=True)
        if self.mode == "one-stage":
            loss = dfad_one_stage_backward(self.teacher, self.student, self.generator, sample_z(),
                                           self.discrepancy)
            self.opt_s.step()
            self.opt_g.step()
            return {"loss_s": loss, "loss_g": -loss}
        fake = self.generator(sample_z())
        loss_g = -self.discrepancy(self.student(fake), self.teacher(fake))
        loss_g.backward()
        self.opt_g.step()
        self.opt_s.zero_grad(set_to_none=True)
        return {"loss_s": loss_s, "loss_g": loss_g.detach()}

    step = __call__


class NoiseDistillation:
    """The floor of data-free distillation: ``steps`` student updates per call on the teacher's
    logits for fresh noise images (no generator), with the same L1 discrepancy.

    Call it with ``sample_x() -> Tensor`` returning a fresh batch of input-shaped noise.
    """

    def __init__(self, teacher: nn.Module, student: nn.Module, opt_s: torch.optim.Optimizer,
                 steps: int, discrepancy: Callable[[Tensor, Tensor], Tensor] = l1_discrepancy):
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        self.teacher, self.student, self.opt_s, self.steps = teacher, student, opt_s, steps
        self.discrepancy = discrepancy

    def __call__(self, sample_x: Callable[[], Tensor]) -> dict[str, Tensor]:
        for _ in range(self.steps):
            x = sample_x()
            with torch.no_grad():
                t = self.teacher(x)
            loss = self.discrepancy(self.student(x), t)
            self.opt_s.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_s.step()
        return {"loss_s": loss.detach()}


def noise_sampler(shape: tuple[int, ...], gen: torch.Generator,
                  device: torch.device | str = "cpu", rank: int = 0,
                  world: int = 1) -> Callable[[], Tensor]:
    """Fresh standard-normal noise of ``shape`` (the per-process batch first) on every call, from
    ``gen``: every rank draws the global batch of ``world`` such batches and keeps its slice, so
    N processes see the noise one process with an N times larger batch sees."""
    rank_share(torch.empty(0), rank, world)             # checks the rank

    def sample() -> Tensor:
        z = torch.randn((shape[0] * world, *shape[1:]), generator=gen)
        return rank_share(z, rank, world).to(device)
    return sample
