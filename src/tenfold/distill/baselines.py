"""Baselines for few-shot distillation, trained under the same step budget as NetGraft.

* :func:`distill` — whole-student KD on the unlabelled few-shot images, with Hinton's KL loss
  (arXiv 1503.02531) or NetGraft's normalised-logit loss (arXiv 2012.04915).
* :func:`train_supervised` — cross-entropy on labelled images (the "N labelled images" reference,
  and how the recipe trains its teachers).
* :func:`shared_prefix_student` — the student with the teacher's first blocks copied in and frozen,
  the setting NetGraft's official code uses; baselines get the same prefix to be fair.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tenfold.distill._batches import ShuffledBatches, image_batches
from tenfold.distill.graft import FrozenBlock
from tenfold.distill.losses import get_loss, kd_kl
from tenfold.distill.partition import BlockPartition
from tenfold.distill.schedules import make_schedulers
from tenfold.loops import LoopStepper, rank_share
from tenfold.metrics import model_accuracy


def shared_prefix_student(teacher: BlockPartition | Sequence[nn.Module],
                          student: BlockPartition | Sequence[nn.Module],
                          first: int) -> nn.Sequential:
    """``nn.Sequential`` of frozen copies of teacher blocks ``0..first-1`` followed by the
    student's blocks ``first..L-1`` (the student's own modules, not copies)."""
    teacher, student = list(teacher.blocks if isinstance(teacher, BlockPartition) else teacher), \
        list(student.blocks if isinstance(student, BlockPartition) else student)
    if len(teacher) != len(student):
        raise ValueError(f"teacher has {len(teacher)} blocks but student has {len(student)}")
    if not 0 <= first < len(student):
        raise ValueError(f"first must be in 0..{len(student) - 1}, got {first}")
    prefix = [FrozenBlock(copy.deepcopy(b)) for b in teacher[:first]]
    return nn.Sequential(*prefix, *student[first:])


def distill_stepper(teacher: nn.Module, student: nn.Module, data, steps: int,
                    loss: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = "kl",
                    lr: float = 1e-3, batch_size: int = 64, augment=None,
                    generator: torch.Generator | None = None,
                    device: torch.device | str = "cpu",
                    evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
                    eval_every: int = 0, tau: float = 4.0, lr_schedule: str = "constant",
                    backward: Callable[[torch.Tensor], Any] | None = None,
                    fabric: Any = None) -> AdamSteps:
    """:func:`distill` as a resumable stepper (one Adam step per ``step()``).

    ``fabric`` (a launched Lightning Fabric): data-parallel training, see :class:`AdamSteps`;
    ``batch_size`` is then per process (each rank trains on its share of the same global batch
    of ``batch_size × world_size`` images, augmented as one batch).
    """
    if loss == "kl":
        def loss_fn(s, t):
            return kd_kl(s, t, tau)
    else:
        loss_fn = get_loss(loss)
    teacher.requires_grad_(False).eval().to(device)
    rank, world = _rank_world(fabric)
    batches = image_batches(data, batch_size, generator, augment, device, rank, world)

    def batch_loss(model: nn.Module) -> torch.Tensor:
        x = next(batches)
        with torch.no_grad():
            target = teacher(x)
        return loss_fn(model(x), target)

    return AdamSteps(student.to(device), batch_loss, steps, lr, 0.0, lr_schedule, evaluate,
                     eval_every, batches, backward, fabric)


def distill(teacher: nn.Module, student: nn.Module, data, steps: int,
            loss: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = "kl",
            lr: float = 1e-3, batch_size: int = 64, augment=None,
            generator: torch.Generator | None = None, device: torch.device | str = "cpu",
            evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
            eval_every: int = 0, tau: float = 4.0,
            lr_schedule: str = "constant") -> list[dict[str, float]]:
    """Train ``student`` to match the frozen ``teacher``'s logits on ``data`` for ``steps`` Adam
    steps (labels in ``data`` are ignored). Returns the history of ``evaluate`` calls.

    ``loss="kl"`` uses ``τ² KL`` with temperature ``tau``; ``"normalized_mse"`` NetGraft's loss.
    ``lr_schedule``: ``"constant"`` or ``"cosine"`` (:mod:`tenfold.distill.schedules`).
    """
    return distill_stepper(teacher, student, data, steps, loss, lr, batch_size, augment,
                           generator, device, evaluate, eval_every, tau, lr_schedule
                           ).run().history


def supervised_stepper(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, steps: int,
                       lr: float = 1e-3, batch_size: int = 64, augment=None,
                       generator: torch.Generator | None = None,
                       device: torch.device | str = "cpu", weight_decay: float = 0.0,
                       evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
                       eval_every: int = 0, lr_schedule: str = "constant",
                       backward: Callable[[torch.Tensor], Any] | None = None,
                       fabric: Any = None) -> AdamSteps:
    """:func:`train_supervised` as a resumable stepper (one Adam step per ``step()``);
    ``fabric``: data-parallel as in :func:`distill_stepper` (``batch_size`` per process)."""
    if images.dim() != 4 or labels.shape != (images.shape[0],):
        raise ValueError(f"expected images (N, C, H, W) and labels (N,), got {tuple(images.shape)} "
                         f"and {tuple(labels.shape)}")
    rank, world = _rank_world(fabric)
    batches = ShuffledBatches(torch.arange(len(images)), batch_size * world, generator)

    def batch_loss(net: nn.Module) -> torch.Tensor:
        idx = next(batches)                           # the global batch, the same on every rank
        x = images[idx]
        if augment is not None:
            x = augment(x, generator)
        x, y = rank_share(x, rank, world), rank_share(labels[idx], rank, world)
        return F.cross_entropy(net(x.to(device)), y.to(device))

    return AdamSteps(model.to(device), batch_loss, steps, lr, weight_decay, lr_schedule,
                     evaluate, eval_every, batches, backward, fabric)


def train_supervised(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, steps: int,
                     lr: float = 1e-3, batch_size: int = 64, augment=None,
                     generator: torch.Generator | None = None, device: torch.device | str = "cpu",
                     weight_decay: float = 0.0,
                     evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
                     eval_every: int = 0, lr_schedule: str = "constant") -> list[dict[str, float]]:
    """Cross-entropy training on labelled ``images`` for ``steps`` Adam steps.

    ``lr_schedule="cosine"`` anneals the learning rate to 0 over ``steps``.
    """
    return supervised_stepper(model, images, labels, steps, lr, batch_size, augment, generator,
                              device, weight_decay, evaluate, eval_every, lr_schedule
                              ).run().history


def _rank_world(fabric: Any) -> tuple[int, int]:
    return (0, 1) if fabric is None else (int(fabric.global_rank), int(fabric.world_size))


class AdamSteps(LoopStepper):
    """``steps`` Adam steps on ``batch_loss(model)`` over the trainable parameters of ``model``,
    one per :meth:`step`; every ``eval_every`` steps and at the end, ``{"step", "loss"}`` plus
    ``evaluate(model)`` (run in eval mode) join :attr:`history`. ``model`` is left in eval mode
    after the last step. Resumable: the state holds the model, optimiser, schedulers, the batch
    source's position and the history.

    With ``fabric`` (a launched Lightning Fabric) the model and optimiser go through
    ``fabric.setup`` and the backward pass through ``fabric.backward``: under several processes
    (DDP) gradients are averaged across ranks, so each rank's ``batch_loss`` must be its share of
    one global batch. ``batch_loss`` receives the wrapped model; ``evaluate`` the plain one.
    """

    def __init__(self, model: nn.Module, batch_loss: Callable[[nn.Module], torch.Tensor],
                 steps: int, lr: float, weight_decay: float, lr_schedule: str,
                 evaluate: Callable[[nn.Module], dict[str, float]] | None, eval_every: int,
                 batches: Any = None, backward: Callable[[torch.Tensor], Any] | None = None,
                 fabric: Any = None):
        model.train()
        params = [p for p in model.parameters() if p.requires_grad]
        self.model, self.batch_loss = model, batch_loss
        self.opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
        self.train_model = model
        if fabric is not None:
            self.train_model, self.opt = fabric.setup(model, self.opt)
            backward = backward or fabric.backward
        self.scheds = make_schedulers([self.opt], steps, lr_schedule)
        self.evaluate, self.eval_every, self.steps = evaluate, eval_every, steps
        self.backward = backward or (lambda value: value.backward())
        stateful: dict[str, Any] = {"model": model, "opt": self.opt,
                                    **{f"sched{i}": s for i, s in enumerate(self.scheds)}}
        if hasattr(batches, "state_dict"):
            stateful["batches"] = batches
        super().__init__(self._step, steps, stateful, {"history": []})

    @property
    def history(self) -> list[dict[str, float]]:
        return self.memory["history"]

    def _step(self, index: int) -> dict[str, float]:
        step = index + 1
        value = self.batch_loss(self.train_model)
        self.opt.zero_grad(set_to_none=True)
        self.backward(value)
        self.opt.step()
        for sched in self.scheds:
            sched.step()
        record = {"step": step, "loss": float(value.detach())}
        if (self.eval_every and step % self.eval_every == 0) or step == self.steps:
            if self.evaluate is not None:
                self.model.eval()
                record.update(self.evaluate(self.model))
                self.model.train()
            self.history.append(record)
        if step == self.steps:
            self.model.eval()
        return record


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000,
             device: torch.device | str = "cpu") -> float:
    """Top-1 accuracy of ``model`` (in eval mode) on ``images``:
    :func:`tenfold.metrics.model_accuracy`, kept under this name for ``tenfold.distill``."""
    return model_accuracy(model, images, labels, batch_size=batch_size, device=device)
