"""Learning-rate schedules shared by NetGraft's stages and the baselines.

``"constant"`` keeps every rate fixed. ``"cosine"`` anneals each optimiser's rate over the
``T`` steps of its stage: the rate used at step ``s = 1..T`` is

    lr_s = lr_0 · (1 + cos(π (s − 1) / T)) / 2,

so the first step uses ``lr_0`` and the rate approaches 0 at the end of the stage.
"""

from __future__ import annotations

import torch

SCHEDULES = ("constant", "cosine")


def check_schedule(schedule: str) -> str:
    """Return ``schedule`` if it is known, else raise a ``ValueError`` naming the choices."""
    if schedule not in SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {SCHEDULES}, got {schedule!r}")
    return schedule


def make_schedulers(optimizers: list[torch.optim.Optimizer], steps: int,
                    schedule: str) -> list[torch.optim.lr_scheduler.LRScheduler]:
    """One scheduler per optimiser for a stage of ``steps`` steps (none for ``"constant"``);
    call ``.step()`` on each after every optimiser step."""
    if check_schedule(schedule) == "constant":
        return []
    return [torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(steps, 1)) for opt in optimizers]
