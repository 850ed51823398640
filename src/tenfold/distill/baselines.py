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

import torch
import torch.nn.functional as F
from torch import nn

from tenfold.distill._batches import image_batches
from tenfold.distill.graft import FrozenBlock
from tenfold.distill.losses import get_loss, kd_kl
from tenfold.distill.partition import BlockPartition
from tenfold.distill.schedules import make_schedulers


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
    if loss == "kl":
        def loss_fn(s, t):
            return kd_kl(s, t, tau)
    else:
        loss_fn = get_loss(loss)
    teacher.requires_grad_(False).eval().to(device)
    batches = image_batches(data, batch_size, generator, augment, device)

    def batch_loss() -> torch.Tensor:
        x = next(batches)
        with torch.no_grad():
            target = teacher(x)
        return loss_fn(student(x), target)

    return _fit(student.to(device), batch_loss, steps, lr, 0.0, lr_schedule, evaluate,
                eval_every)


def train_supervised(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, steps: int,
                     lr: float = 1e-3, batch_size: int = 64, augment=None,
                     generator: torch.Generator | None = None, device: torch.device | str = "cpu",
                     weight_decay: float = 0.0,
                     evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
                     eval_every: int = 0, lr_schedule: str = "constant") -> list[dict[str, float]]:
    """Cross-entropy training on labelled ``images`` for ``steps`` Adam steps.

    ``lr_schedule="cosine"`` anneals the learning rate to 0 over ``steps``.
    """
    if images.dim() != 4 or labels.shape != (images.shape[0],):
        raise ValueError(f"expected images (N, C, H, W) and labels (N,), got {tuple(images.shape)} "
                         f"and {tuple(labels.shape)}")
    batches = _index_batches(len(images), batch_size, generator)

    def batch_loss() -> torch.Tensor:
        idx = next(batches)
        x = images[idx]
        if augment is not None:
            x = augment(x, generator)
        return F.cross_entropy(model(x.to(device)), labels[idx].to(device))

    return _fit(model.to(device), batch_loss, steps, lr, weight_decay, lr_schedule, evaluate,
                eval_every)


def _fit(model: nn.Module, batch_loss: Callable[[], torch.Tensor], steps: int, lr: float,
         weight_decay: float, lr_schedule: str,
         evaluate: Callable[[nn.Module], dict[str, float]] | None,
         eval_every: int) -> list[dict[str, float]]:
    """``steps`` Adam steps on ``batch_loss()`` over the trainable parameters of ``model``;
    every ``eval_every`` steps and at the end, ``{"step", "loss"}`` plus ``evaluate(model)``
    (run in eval mode) join the returned history. ``model`` is left in eval mode."""
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    scheds = make_schedulers([opt], steps, lr_schedule)
    history = []
    for step in range(1, steps + 1):
        value = batch_loss()
        opt.zero_grad(set_to_none=True)
        value.backward()
        opt.step()
        for sched in scheds:
            sched.step()
        if (eval_every and step % eval_every == 0) or step == steps:
            record = {"step": step, "loss": float(value.detach())}
            if evaluate is not None:
                model.eval()
                record.update(evaluate(model))
                model.train()
            history.append(record)
    model.eval()
    return history


def _index_batches(n: int, batch_size: int, generator: torch.Generator | None):
    while True:
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000,
             device: torch.device | str = "cpu") -> float:
    """Top-1 accuracy of ``model`` (in eval mode) on ``images``."""
    was_training = model.training
    model.eval()
    correct = 0
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size].to(device)
        correct += int((model(x).argmax(1).cpu() == labels[start:start + batch_size]).sum())
    model.train(was_training)
    return correct / max(len(images), 1)
