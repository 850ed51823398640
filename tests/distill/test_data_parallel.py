"""Data-parallel pieces of tenfold.distill, checked without processes: every rank's share of one
global batch, and gradients averaged over ranks equal to one process with the whole batch."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from tenfold.distill import RandomShiftFlip
from tenfold.distill._batches import ShuffledBatches
from tenfold.distill.architectures import build_student, build_teacher, resolve_architecture
from tenfold.distill.baselines import distill_stepper, supervised_stepper
from tenfold.distill.fewshot import validation_split
from tenfold.loops import rank_share


class FakeFabric:
    """What the steppers use of a launched Fabric, for one rank, without a process group."""

    def __init__(self, rank: int, world: int):
        self.global_rank, self.world_size = rank, world

    def setup(self, model, opt):
        return model, opt

    def backward(self, loss):
        loss.backward()


def _images(n=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 6, 6, generator=g), torch.randint(0, 3, (n,), generator=g)


def test_rank_share_splits_in_order_and_checks_the_rank():
    x = torch.arange(10)
    assert torch.equal(torch.cat([rank_share(x, r, 3) for r in range(3)]), x)
    assert torch.equal(rank_share(x, 0, 1), x)
    with pytest.raises(ValueError, match="rank"):
        rank_share(x, 2, 2)


def test_shuffled_batches_rank_shares_make_the_single_process_batch():
    x, _ = _images()
    aug = RandomShiftFlip(1, True)
    one = ShuffledBatches(x, 8, torch.Generator().manual_seed(3), aug)
    ranks = [ShuffledBatches(x, 4, torch.Generator().manual_seed(3), aug, rank=r, world=2)
             for r in range(2)]
    for _ in range(7):                        # crosses passes (20 = 8 + 8 + 4)
        assert torch.equal(next(one), torch.cat([next(b) for b in ranks]))


def _grads(model, loss):
    model.zero_grad()
    loss.backward()
    return [p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize("kind", ["supervised", "distill"])
def test_rank_gradients_average_to_the_single_process_gradient(kind):
    """Equal shares: the mean over ranks of each share's mean loss gradient is the gradient of
    the whole batch (what DDP's all-reduce gives), batch after batch, augmentation included."""
    x, y = _images()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(36, 3))
    teacher = nn.Sequential(nn.Flatten(), nn.Linear(36, 3))
    aug = RandomShiftFlip(1, True)

    def stepper(net, batch, fabric):
        gen = torch.Generator().manual_seed(5)
        if kind == "supervised":
            return supervised_stepper(net, x, y, steps=4, batch_size=batch, augment=aug,
                                      generator=gen, fabric=fabric)
        return distill_stepper(teacher, net, x, steps=4, batch_size=batch, augment=aug,
                               generator=gen, fabric=fabric)

    one = stepper(model, 8, None)
    replicas = [copy.deepcopy(model) for _ in range(2)]
    ranks = [stepper(replicas[r], 4, FakeFabric(r, 2)) for r in range(2)]
    for _ in range(4):
        want = _grads(model, one.batch_loss(model))
        per_rank = [_grads(replicas[r], ranks[r].batch_loss(replicas[r])) for r in range(2)]
        for w, a, b in zip(want, *per_rank, strict=True):
            torch.testing.assert_close((a + b) / 2, w, rtol=1e-5, atol=1e-6)
        assert not torch.allclose(per_rank[0][-1], want[-1])    # each rank saw its share only


def test_architectures_and_validation_split():
    arch = resolve_architecture("digits", shared=2)
    assert arch["shared"] == 2 and arch["teacher_widths"] == (32, 64, 128)
    teacher, student = build_teacher(arch), build_student(arch)
    assert len(teacher) == len(student) == 4
    # the shared prefix has the teacher's widths, so its blocks can be copied in
    for t, s in zip(list(teacher)[:2], list(student)[:2], strict=True):
        assert [p.shape for p in t.parameters()] == [p.shape for p in s.parameters()]
    with pytest.raises(ValueError, match="same number of blocks"):
        resolve_architecture("digits", teacher_widths=(8, 8))
    with pytest.raises(ValueError, match="shared_blocks"):
        resolve_architecture("digits", shared=5)
    x, y = torch.arange(50).float().view(50, 1, 1, 1), torch.arange(50)
    split = validation_split(x, y)
    train, val = split["train"][1], split["test"][1]
    assert len(val) == 10 and len(train) == 40
    assert sorted(torch.cat([train, val]).tolist()) == list(range(50))
    assert torch.equal(split["test"][1], validation_split(x, y)["test"][1])   # fixed
