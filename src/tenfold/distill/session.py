"""What every method of one few-shot distillation run shares (NetGraft, arXiv 2012.04915, and
its KD baselines): the frozen teacher, the evaluation sets, the augmentation, the grafted blocks
and the common Adam-step budget, plus accuracy helpers and the accuracy-vs-steps curve points.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from tenfold.distill.architectures import build_student
from tenfold.distill.baselines import accuracy, shared_prefix_student
from tenfold.distill.fewshot import RandomShiftFlip

__all__ = ["FewShotSession", "graft_budget"]


def graft_budget(n_blocks: int, shared: int, block_steps: int, net_steps: int
                 ) -> tuple[list[int], int]:
    """The grafted blocks ``[shared, …, n_blocks − 1]`` and the Adam steps of a full NetGraft
    run, ``block_steps · G + net_steps · (G − 1)`` with ``G`` grafted blocks — the budget every
    baseline gets too."""
    if not 0 <= shared < n_blocks:
        raise ValueError(f"shared: expected 0..{n_blocks - 1} frozen blocks (of {n_blocks}), "
                         f"got {shared}")
    graft = list(range(shared, n_blocks))
    return graft, block_steps * len(graft) + net_steps * (len(graft) - 1)


class FewShotSession:
    """Shared state of one seed's few-shot distillation methods.

    Args:
        teacher: the trained teacher (frozen, in eval mode).
        arch: a resolved architecture (:func:`tenfold.distill.architectures.resolve_architecture`):
            ``teacher_widths`` (one block each, plus the head), ``shared``, ``pad``, ``flip``.
        test: (images, labels) of the reported accuracies.
        curve: (images, labels) of the accuracy-vs-steps curves.
        example: a few input images (shapes for MAC counts and adapters).
        block_steps, net_steps: NetGraft's steps per grafted block / per net-grafting stage.
        device: where accuracies are computed.

    Attributes: ``augment`` (:class:`RandomShiftFlip` from ``pad``/``flip``), ``graft`` and
    ``budget`` (:func:`graft_budget`), ``curves`` (every point of :meth:`curve_points`).
    """

    def __init__(self, teacher: nn.Module, arch: dict, test: tuple, curve: tuple,
                 example: torch.Tensor, *, block_steps: int, net_steps: int,
                 device: torch.device | str = "cpu"):
        self.teacher, self.arch, self.test, self.curve = teacher, arch, test, curve
        self.example, self.device = example, device
        self.curves: list[dict] = []
        self.augment = RandomShiftFlip(arch["pad"], arch["flip"])
        self.graft, self.budget = graft_budget(len(arch["teacher_widths"]) + 1, arch["shared"],
                                               block_steps, net_steps)

    def accuracy(self, model: nn.Module, split: str = "test") -> float:
        """Top-1 accuracy on the ``"test"`` set or the ``"curve"`` subset."""
        if split not in ("test", "curve"):
            raise ValueError(f"split: expected 'test' or 'curve', got {split!r}")
        x, y = self.test if split == "test" else self.curve
        return accuracy(model, x, y, device=self.device)

    def curve_eval(self, model: nn.Module) -> dict[str, float]:
        """``{"curve_acc": accuracy on the curve subset}`` (a stepper's ``evaluate``)."""
        return {"curve_acc": self.accuracy(model, "curve")}

    def student(self, prefix: bool = True) -> nn.Module:
        """A fresh student (:func:`~tenfold.distill.architectures.build_student`, initialised
        from the global RNG: seed it first for a common start); with ``prefix`` its first
        ``arch["shared"]`` blocks are the teacher's, frozen (:func:`shared_prefix_student`)."""
        student = build_student(self.arch)
        if not prefix:
            return student
        return shared_prefix_student(list(self.teacher), list(student), self.arch["shared"])

    def curve_points(self, method: str, history: Iterable[dict]) -> list[dict]:
        """The records of ``history`` that carry ``curve_acc`` as ``{"step", "test_acc",
        "loss"}`` (``step``: ``total_step`` where a record has one); each is also kept in
        :attr:`curves` with ``"method": method``."""
        points = []
        for rec in history:
            if "curve_acc" in rec:
                point = {"step": rec.get("total_step", rec["step"]),
                         "test_acc": rec["curve_acc"], "loss": rec["loss"]}
                points.append(point)
                self.curves.append({"method": method, **point})
        return points
