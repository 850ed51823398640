"""Partition, adapters, losses, few-shot sampler, augmentation and baselines."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tenfold.distill import (
    BlockPartition,
    RandomShiftFlip,
    distill,
    few_shot_indices,
    kd_kl,
    make_adapter,
    normalized_mse,
    shared_prefix_student,
    train_supervised,
    vgg_blocks,
)
from tenfold.distill.schedules import make_schedulers


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def test_partition_from_modules_with_glue_matches_the_model():
    net = _Net()
    part = BlockPartition.from_modules(net, ["features", "classifier"],
                                       glue={"classifier": nn.Flatten()})
    x = torch.randn(3, 1, 8, 8)
    torch.testing.assert_close(part(x), net(x))
    assert part.junction_shapes(x) == [(4, 4, 4), (3,)]
    assert part[0] is net.features  # same modules, not copies
    with pytest.raises(ValueError, match="no submodules"):
        BlockPartition.from_modules(net, ["features", "head"])
    with pytest.raises(ValueError, match="at least 2"):
        BlockPartition([nn.Identity()])


def test_adapter_init_is_kaiming_fan_out_with_zero_bias():
    layer = make_adapter(64, 256, "conv1x1", torch.Generator().manual_seed(0))
    assert isinstance(layer, nn.Conv2d) and layer.kernel_size == (1, 1)
    assert torch.count_nonzero(layer.bias) == 0
    assert abs(layer.weight.std().item() - math.sqrt(2 / 256)) < 0.01 * math.sqrt(2 / 256) * 10
    assert isinstance(make_adapter(3, 5, "linear"), nn.Linear)
    with pytest.raises(ValueError, match="conv1x1"):
        make_adapter(3, 5, "conv3x3")


def test_normalized_mse_is_sum_of_two_minus_two_cos_and_scale_invariant():
    gen = torch.Generator().manual_seed(0)
    s, t = torch.randn(7, 10, generator=gen), torch.randn(7, 10, generator=gen)
    ref = (2 * (1 - F.cosine_similarity(s, t, dim=1))).sum()
    torch.testing.assert_close(normalized_mse(s, t), ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(normalized_mse(3.7 * s, 0.2 * t), ref, atol=1e-5, rtol=1e-5)
    assert normalized_mse(2 * t, t).item() < 1e-10
    assert normalized_mse(-t, t).item() == pytest.approx(4 * 7, rel=1e-5)
    with pytest.raises(ValueError, match="same shape"):
        normalized_mse(s, t[:, :5])


def test_kd_kl_matches_the_definition():
    gen = torch.Generator().manual_seed(1)
    s, t = torch.randn(5, 4, generator=gen), torch.randn(5, 4, generator=gen)
    tau = 3.0
    p_t, p_s = F.softmax(t / tau, 1), F.softmax(s / tau, 1)
    ref = (p_t * (p_t.log() - p_s.log())).sum(1).mean() * tau ** 2
    torch.testing.assert_close(kd_kl(s, t, tau), ref, atol=1e-6, rtol=1e-5)
    assert kd_kl(t, t).item() == pytest.approx(0.0, abs=1e-6)


def test_few_shot_indices_exact_nested_and_seeded():
    labels = torch.arange(200) % 10
    one, five = few_shot_indices(labels, 1, seed=3), few_shot_indices(labels, 5, seed=3)
    assert torch.bincount(labels[five], minlength=10).tolist() == [5] * 10
    assert torch.bincount(labels[one], minlength=10).tolist() == [1] * 10
    assert set(one.tolist()) <= set(five.tolist())
    assert len(set(five.tolist())) == 50
    assert not torch.equal(five, few_shot_indices(labels, 5, seed=4))
    assert torch.equal(five, few_shot_indices(labels, 5, seed=3))
    with pytest.raises(ValueError, match="fewer than"):
        few_shot_indices(labels, 21)


def test_random_shift_flip_is_a_shift_and_seeded():
    x = torch.arange(2 * 1 * 5 * 5, dtype=torch.float32).view(2, 1, 5, 5)
    aug = RandomShiftFlip(pad=0, flip=True)
    out = aug(x, torch.Generator().manual_seed(0))
    for i in range(2):
        assert torch.equal(out[i], x[i]) or torch.equal(out[i], x[i].flip(2))
    a = RandomShiftFlip(2)(x, torch.Generator().manual_seed(5))
    b = RandomShiftFlip(2)(x, torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and a.shape == x.shape
    # every output value is an input value or padding
    assert set(a.unique().tolist()) <= set(x.unique().tolist()) | {0.0}


def test_shared_prefix_student_freezes_copied_blocks_only():
    torch.manual_seed(0)
    teacher = vgg_blocks(1, (4, 6), 3, 5, convs_per_block=1)
    student = vgg_blocks(1, (4, 3), 3, 5, convs_per_block=1)
    model = shared_prefix_student(list(teacher), list(student), first=1)
    model.train()
    assert not model[0].block.training and model[1].training
    assert all(not p.requires_grad for p in model[0].parameters())
    assert model[1] is student[1]
    x = torch.rand(16, 1, 8, 8)
    before = [p.clone() for p in model[0].parameters()]
    hist = distill(teacher.eval(), model, x, steps=3, loss="kl", batch_size=8)
    assert len(hist) == 1
    assert all(torch.equal(a, b) for a, b in zip(before, model[0].parameters(), strict=True))


def test_train_supervised_learns_a_separable_problem():
    gen = torch.Generator().manual_seed(0)
    y = torch.arange(40) % 2
    x = torch.rand(40, 1, 8, 8, generator=gen) * 0.1 + y.view(-1, 1, 1, 1).float()
    torch.manual_seed(0)
    model = vgg_blocks(1, (4,), 2, 4, convs_per_block=1)
    hist = train_supervised(model, x, y, steps=60, lr=1e-2, batch_size=16, generator=gen,
                            evaluate=lambda m: {"acc": float((m(x).argmax(1) == y).float().mean())})
    assert hist[-1]["acc"] == 1.0


def test_make_schedulers_cosine_rates_and_unknown_schedule():
    opt = torch.optim.Adam([nn.Parameter(torch.zeros(1))], lr=2e-3)
    scheds = make_schedulers([opt], 4, "cosine")
    rates = []
    for _ in range(4):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        for s in scheds:
            s.step()
    assert rates == pytest.approx([2e-3 * (1 + math.cos(math.pi * s / 4)) / 2 for s in range(4)])
    assert make_schedulers([opt], 4, "constant") == []
    with pytest.raises(ValueError, match="lr_schedule must be one of"):
        make_schedulers([opt], 4, "linear")


def test_distill_cosine_schedule_first_step_at_full_rate_then_annealed():
    x = torch.rand(16, 1, 8, 8, generator=torch.Generator().manual_seed(3))

    def run(steps, schedule):
        torch.manual_seed(0)
        teacher = vgg_blocks(1, (4,), 3, 5, convs_per_block=1).eval()
        student = vgg_blocks(1, (3,), 3, 4, convs_per_block=1)
        distill(teacher, student, x, steps=steps, lr=1e-2, batch_size=8,
                generator=torch.Generator().manual_seed(1), lr_schedule=schedule)
        return student.state_dict()

    one_cos, one_const = run(1, "cosine"), run(1, "constant")
    assert all(torch.equal(one_cos[k], one_const[k]) for k in one_cos)
    three_cos, three_const = run(3, "cosine"), run(3, "constant")
    assert any(not torch.equal(three_cos[k], three_const[k]) for k in three_cos)
    with pytest.raises(ValueError, match="lr_schedule"):
        run(1, "exponential")
