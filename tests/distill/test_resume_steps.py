"""The distillation steppers resume exactly: stopping after k steps (inside a stage, with Adam
moments, a cosine schedule and a half-used batch pass), saving, rebuilding everything from scratch
and loading gives the weights and history of an uninterrupted run."""

from __future__ import annotations

import io

import pytest
import torch
from torch import nn

from tenfold.distill import BlockPartition, NetGraft, RandomShiftFlip, vgg_blocks
from tenfold.distill.baselines import distill_stepper, supervised_stepper


def _nets() -> tuple[nn.Sequential, nn.Sequential]:
    torch.manual_seed(0)
    teacher = vgg_blocks(1, (6, 8, 10), num_classes=5, hidden=12, convs_per_block=1).eval()
    torch.manual_seed(1)
    student = vgg_blocks(1, (6, 4, 5), num_classes=5, hidden=6, convs_per_block=1)
    return teacher, student


DATA = torch.rand(10, 1, 8, 8, generator=torch.Generator().manual_seed(2))
LABELS = torch.arange(10) % 5


def _graft(teacher, student):
    grafter = NetGraft(BlockPartition(list(teacher)), BlockPartition(list(student)), DATA[:2],
                       graft=[1, 2, 3], generator=torch.Generator().manual_seed(3))
    stepper = grafter.stepper(DATA, block_steps=3, net_steps=2, batch_size=4,
                              augment=RandomShiftFlip(1, True), lr_schedule="cosine",
                              evaluate=lambda m: {"out": float(m(DATA).sum().detach())},
                              eval_every=2)
    return stepper, student, lambda: grafter.history


def _kd(teacher, student):
    stepper = distill_stepper(teacher, student, DATA, steps=7, batch_size=4,
                              augment=RandomShiftFlip(1, True), lr_schedule="cosine",
                              generator=torch.Generator().manual_seed(3), eval_every=2)
    return stepper, student, lambda: stepper.history


def _ce(teacher, student):
    stepper = supervised_stepper(student, DATA, LABELS, steps=7, batch_size=4,
                                 augment=RandomShiftFlip(1, True), lr_schedule="cosine",
                                 generator=torch.Generator().manual_seed(3), eval_every=2)
    return stepper, student, lambda: stepper.history


@pytest.mark.parametrize("build", [_graft, _kd, _ce], ids=["netgraft", "kd", "ce"])
@pytest.mark.parametrize("k", [2, 4, 5])
def test_stop_save_rebuild_load_equals_uninterrupted(build, k):
    torch.manual_seed(9)
    full, full_student, full_history = build(*_nets())
    while not full.stopped:
        full.step()

    torch.manual_seed(9)
    first, _, _ = build(*_nets())
    for _ in range(k):
        first.step()
    buffer = io.BytesIO()
    torch.save({"state": first.state_dict(), "rng": torch.get_rng_state()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=False)

    torch.manual_seed(123)                      # a fresh process: other global state
    resumed, student, history = build(*_nets())
    resumed.load_state_dict(saved["state"])
    torch.set_rng_state(saved["rng"])
    assert resumed.epoch == k
    while not resumed.stopped:
        resumed.step()
    assert history() == full_history()
    for (name, a), b in zip(full_student.state_dict().items(), student.state_dict().values(),
                            strict=True):
        assert torch.equal(a, b), name
