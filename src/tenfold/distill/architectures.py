"""Teacher/student VGG pairs for few-shot distillation, one per dataset.

NetGraft (arXiv 2012.04915) distils a VGG teacher into a student of the same depth whose later
blocks are thinner; the student keeps (frozen copies of) the teacher's first ``shared`` blocks.
:data:`ARCHITECTURES` holds the per-dataset defaults used by the ``netgraft`` recipe and its
benchmarks: widths, head sizes, convolutions per block, the shared prefix, the teacher's step
budget, the augmentation (shift ``pad`` pixels, horizontal ``flip``) and the input
normalisation ``(x − mean) / std`` per channel.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from tenfold.distill.models import vgg_blocks

__all__ = ["ARCHITECTURES", "build_student", "build_teacher", "normalize", "resolve_architecture"]

ARCHITECTURES: dict[str, dict] = {
    "digits": {"in_channels": 1, "teacher_widths": (32, 64, 128), "student_widths": (32, 32, 64),
               "teacher_hidden": 128, "student_hidden": 64, "convs": 2, "shared": 1,
               "teacher_steps": 600, "pad": 1, "flip": False, "mean": (0.0,), "std": (1.0,)},
    "mnist": {"in_channels": 1, "teacher_widths": (16, 32, 64), "student_widths": (16, 16, 32),
              "teacher_hidden": 64, "student_hidden": 32, "convs": 2, "shared": 1,
              "teacher_steps": 1500, "pad": 2, "flip": False, "mean": (0.1307,),
              "std": (0.3081,)},
    "cifar10": {"in_channels": 3, "teacher_widths": (64, 128, 256, 256),
                "student_widths": (64, 128, 128, 128), "teacher_hidden": 256,
                "student_hidden": 128, "convs": 2, "shared": 2, "teacher_steps": 8000,
                "pad": 4, "flip": True, "mean": (0.4914, 0.4822, 0.4465),
                "std": (0.2023, 0.1994, 0.2010)},
}


def resolve_architecture(dataset: str, teacher_widths: Sequence[int] = (),
                         student_widths: Sequence[int] = (), shared: int = -1,
                         teacher_steps: int = 0) -> dict:
    """The defaults of ``dataset`` with the given overrides (``()``, ``-1`` and ``0`` keep the
    default). Raises ``ValueError`` when the two width lists differ in length or ``shared`` is
    not in ``0..len(widths)``."""
    if dataset not in ARCHITECTURES:
        raise ValueError(f"dataset must be one of {tuple(ARCHITECTURES)}, got {dataset!r}")
    arch = dict(ARCHITECTURES[dataset])
    if teacher_widths:
        arch["teacher_widths"] = tuple(teacher_widths)
    if student_widths:
        arch["student_widths"] = tuple(student_widths)
    if shared >= 0:
        arch["shared"] = shared
    if teacher_steps:
        arch["teacher_steps"] = teacher_steps
    if len(arch["teacher_widths"]) != len(arch["student_widths"]):
        raise ValueError("teacher_widths and student_widths need the same number of blocks")
    if not 0 <= arch["shared"] < len(arch["teacher_widths"]) + 1:
        raise ValueError(f"shared_blocks must be in 0..{len(arch['teacher_widths'])}")
    return arch


def normalize(x: torch.Tensor, arch: dict) -> torch.Tensor:
    """``(x − mean) / std`` per channel of ``(N, C, H, W)`` images."""
    if x.dim() != 4 or x.shape[1] != len(arch["mean"]):
        raise ValueError(f"expected images (N, {len(arch['mean'])}, H, W), got {tuple(x.shape)}")
    mean = torch.tensor(arch["mean"]).view(1, -1, 1, 1)
    std = torch.tensor(arch["std"]).view(1, -1, 1, 1)
    return (x - mean) / std


def build_teacher(arch: dict, num_classes: int = 10) -> nn.Sequential:
    """The teacher VGG of ``arch`` (fresh weights from the global random state)."""
    return vgg_blocks(arch["in_channels"], arch["teacher_widths"], num_classes,
                      arch["teacher_hidden"], arch["convs"])


def build_student(arch: dict, num_classes: int = 10) -> nn.Sequential:
    """The student VGG of ``arch``: the teacher's widths for the first ``shared`` blocks (so the
    teacher's blocks can be copied in), the student widths after."""
    widths = list(arch["student_widths"])
    widths[:arch["shared"]] = arch["teacher_widths"][:arch["shared"]]
    return vgg_blocks(arch["in_channels"], widths, num_classes, arch["student_hidden"],
                      arch["convs"])
