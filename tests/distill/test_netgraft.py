"""NetGraft (arXiv 2012.04915): tests that fail on a wrong implementation."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from tenfold.distill import (
    BlockPartition,
    NetGraft,
    count_parameters,
    merge_affine,
    vgg_blocks,
)


def _teacher(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    model = vgg_blocks(1, (6, 8, 10), num_classes=5, hidden=12, convs_per_block=1)
    with torch.no_grad():  # non-trivial BN statistics
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    return model.eval()


def _student(seed: int = 1) -> nn.Sequential:
    torch.manual_seed(seed)
    return vgg_blocks(1, (6, 4, 5), num_classes=5, hidden=6, convs_per_block=1)


def _data(n: int = 24, seed: int = 2) -> torch.Tensor:
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed))


def _graft(teacher=None, student=None, graft=(1, 2, 3), seed=0) -> NetGraft:
    teacher = teacher if teacher is not None else _teacher()
    student = student if student is not None else _student()
    return NetGraft(BlockPartition(list(teacher)), BlockPartition(list(student)), _data(2),
                    graft=list(graft), generator=torch.Generator().manual_seed(seed))


def _set_identity(layer: nn.Module) -> None:
    with torch.no_grad():
        w = layer.weight
        eye = torch.eye(w.shape[0], w.shape[1])
        w.copy_(eye.view(w.shape) if w.dim() == 4 else eye)
        layer.bias.zero_()


def _snapshot(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _changed(before: dict, module: nn.Module) -> bool:
    after = module.state_dict()
    return any(not torch.equal(before[k], after[k]) for k in before)


def test_plumbing_identity_at_every_position():
    teacher = _teacher()
    student = copy.deepcopy(teacher)  # same widths: identity adapters make the hybrid the teacher
    g = _graft(teacher, student, graft=(0, 1, 2, 3))
    for layer in [*g.s2t.values(), *g.t2s.values()]:
        _set_identity(layer)
    x = _data(6)
    with torch.no_grad():
        ref = teacher(x)
        for b in g.graft:
            torch.testing.assert_close(g.block_hybrid(b).eval()(x), ref, atol=1e-6, rtol=0)
        for k in range(1, 5):
            torch.testing.assert_close(g.net_hybrid(k).eval()(x), ref, atol=1e-6, rtol=0)
        torch.testing.assert_close(g.export()(x), ref, atol=1e-6, rtol=0)


def test_teacher_untouched_and_never_gets_gradients():
    teacher = _teacher()
    before = _snapshot(teacher)
    g = _graft(teacher)
    g.fit(_data(), block_steps=3, net_steps=3, batch_size=8)
    assert not _changed(before, teacher)  # parameters and BN buffers bit-identical
    assert all(p.grad is None for p in teacher.parameters())
    assert not any(m.training for m in teacher.modules())


def test_teacher_requires_grad_flags_frozen_while_grafting_and_restored_after():
    teacher = _teacher()
    teacher[0][1].bias.requires_grad_(False)            # a flag the user had set stays as it was
    flags = [p.requires_grad for p in teacher.parameters()]
    g = _graft(teacher)
    seen = []
    g.fit(_data(), block_steps=2, net_steps=2, batch_size=8,
          evaluate=lambda hybrid: seen.append(any(p.requires_grad for p in teacher.parameters()))
          or {})
    assert seen and not any(seen)                        # frozen during every stage
    assert [p.requires_grad for p in teacher.parameters()] == flags
    assert all(p.grad is None for p in teacher.parameters())


def test_export_holds_standard_torch_modules_only(tmp_path):
    g = _graft()
    g.fit(_data(), block_steps=1, net_steps=1, batch_size=8)
    model = g.export()
    assert all(type(m).__module__.startswith("torch.nn") for m in model.modules())
    assert not any(".block." in k for k in model.state_dict())
    assert set(model[0].state_dict()) == set(_teacher()[0].state_dict())   # keys as the block's
    torch.save(model, tmp_path / "student.pt")
    import subprocess
    import sys

    code = ("import sys, torch; sys.modules['tenfold'] = None; "          # tenfold unimportable
            f"m = torch.load({str(tmp_path / 'student.pt')!r}, weights_only=False); "
            "print(m(torch.zeros(1, 1, 8, 8)).shape)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "torch.Size([1, 5])" in out.stdout


def test_stage_one_changes_only_the_grafted_block_and_its_adapters():
    g = _graft()
    snaps = {name: _snapshot(m) for name, m in
             [("s1", g.student[1]), ("s2", g.student[2]), ("s3", g.student[3]),
              ("s2t1", g.s2t["1"]), ("t2s1", g.t2s["1"]), ("s2t2", g.s2t["2"]),
              ("t2s2", g.t2s["2"])]}
    mods = {"s1": g.student[1], "s2": g.student[2], "s3": g.student[3], "s2t1": g.s2t["1"],
            "t2s1": g.t2s["1"], "s2t2": g.s2t["2"], "t2s2": g.t2s["2"]}
    g.fit(_data(), block_steps=[0, 3, 0], net_steps=0, batch_size=8)
    changed = {name for name in mods if _changed(snaps[name], mods[name])}
    # w_2 = A^{s→t}_2 ∘ s_2 ∘ A^{t→s}_1
    assert changed == {"s2", "t2s1", "s2t2"}


def test_gradient_flows_through_the_downstream_teacher_blocks():
    teacher = _teacher()
    g = _graft(teacher)
    fired = []
    hooks = [teacher[i].register_forward_hook(lambda *_, i=i: fired.append(i)) for i in range(4)]
    x = _data(8)
    hybrid = g.block_hybrid(1).train()
    g.loss_fn(hybrid(x), teacher(x).detach()).backward()
    for h in hooks:
        h.remove()
    assert {0, 2, 3} <= set(fired)
    grad = g.student[1][0].weight.grad.clone()
    # perturbing the next teacher block changes the gradient reaching s_1
    perturbed = copy.deepcopy(teacher)
    with torch.no_grad():
        perturbed[2][0].weight.mul_(1.5)
    g2 = _graft(perturbed)
    g2.student[1].load_state_dict(g.student[1].state_dict())
    g2.s2t.load_state_dict(g.s2t.state_dict())
    g2.t2s.load_state_dict(g.t2s.state_dict())
    g2.student[1].zero_grad()
    hybrid2 = g2.block_hybrid(1).train()
    g2.loss_fn(hybrid2(x), perturbed(x).detach()).backward()
    assert not torch.allclose(grad, g2.student[1][0].weight.grad)


def test_stage_two_updates_exactly_the_first_k_blocks():
    teacher = _teacher()
    g = _graft(teacher, graft=(0, 1, 2, 3))
    mods = {"s0": g.student[0], "s1": g.student[1], "s2": g.student[2], "s3": g.student[3],
            "s2t0": g.s2t["0"], "t2s0": g.t2s["0"], "s2t1": g.s2t["1"], "t2s1": g.t2s["1"],
            "s2t2": g.s2t["2"], "t2s2": g.t2s["2"]}
    snaps = {name: _snapshot(m) for name, m in mods.items()}
    fired = []
    hook = teacher[3].register_forward_hook(lambda *_: fired.append(3))
    g.fit(_data(), block_steps=0, net_steps=[0, 2, 0], batch_size=8)  # only k = 3
    hook.remove()
    changed = {name for name in mods if _changed(snaps[name], mods[name])}
    assert changed == {"s0", "s1", "s2", "s2t0", "t2s0", "s2t1", "t2s1", "s2t2"}
    assert fired  # t_4 still ran in G_3
    assert g.steps_taken == 2


def test_export_is_pure_student_with_exact_parameter_count():
    teacher = _teacher()
    student = _student()
    g = _graft(teacher, student)
    g.fit(_data(), block_steps=2, net_steps=2, batch_size=8)
    x = _data(5, seed=9)
    with torch.no_grad():
        expected = g.net_hybrid(3).eval()(x)
    merged, unmerged = g.export(merge_adapters=True), g.export(merge_adapters=False)
    teacher_ptrs = {t.data_ptr() for t in teacher.state_dict().values()}
    trainer_ptrs = {t.data_ptr() for m in (student, g.s2t, g.t2s) for t in m.state_dict().values()}
    for model in (merged, unmerged):
        ptrs = {t.data_ptr() for t in model.state_dict().values()}
        assert not ptrs & teacher_ptrs and not ptrs & trainer_ptrs
    fired = []
    hooks = [m.register_forward_hook(lambda *_: fired.append(1)) for m in teacher.modules()]
    with torch.no_grad():
        out_merged, out_unmerged = merged(x), unmerged(x)
    for h in hooks:
        h.remove()
    assert not fired
    torch.testing.assert_close(out_unmerged, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out_merged, expected, atol=1e-5, rtol=1e-5)
    # prefix (teacher block 0) + student blocks 1..3 + one c_s x c_s map per junction (1 and 2)
    base = count_parameters(teacher[0]) + sum(count_parameters(student[i]) for i in (1, 2, 3))
    c1, c2 = 4, 5
    assert count_parameters(merged) == base + (c1 * c1 + c1) + (c2 * c2 + c2)
    t1, t2 = 8, 10
    adapters = sum(2 * c * t + c + t for c, t in ((c1, t1), (c2, t2)))
    assert count_parameters(unmerged) == base + adapters
    assert sum(p.numel() for p in merged[0].parameters() if p.requires_grad) == 0


def test_merge_affine_is_exact_for_conv_and_linear():
    gen = torch.Generator().manual_seed(0)
    a, b = nn.Conv2d(3, 7, 1), nn.Conv2d(7, 3, 1)
    x = torch.randn(2, 3, 5, 5, generator=gen)
    torch.testing.assert_close(merge_affine(a, b)(x), b(a(x)), atol=1e-5, rtol=1e-5)
    a, b = nn.Linear(4, 9), nn.Linear(9, 4)
    x = torch.randn(6, 4, generator=gen)
    merged = merge_affine(a, b)
    torch.testing.assert_close(merged(x), b(a(x)), atol=1e-5, rtol=1e-5)
    assert merged.weight.shape == (4, 4)
    with pytest.raises(ValueError, match="1x1"):
        merge_affine(nn.Conv2d(3, 3, 3), b)
    with pytest.raises(ValueError, match="widths"):
        merge_affine(nn.Linear(4, 5), nn.Linear(6, 4))


def test_trainer_never_reads_labels():
    x = _data()
    y = torch.arange(len(x)) % 5
    results = []
    for data in (x, TensorDataset(x), TensorDataset(x, y), TensorDataset(x, torch.zeros_like(y))):
        g = _graft()
        g.fit(data, block_steps=2, net_steps=2, batch_size=8)
        results.append(g.export().state_dict())
    for other in results[1:]:
        assert all(torch.equal(results[0][k], other[k]) for k in results[0])
    loader = DataLoader(TensorDataset(x), batch_size=8, shuffle=False)
    g = _graft()
    g.fit(loader, block_steps=2, net_steps=2)
    assert g.steps_taken == 3 * 2 + 2 * 2


def test_step_budget_and_determinism():
    runs = []
    for _ in range(2):
        g = _graft()
        g.fit(_data(), block_steps=[2, 3, 4], net_steps=[5, 1], batch_size=8)
        assert g.steps_taken == 2 + 3 + 4 + 5 + 1
        runs.append(g.export().state_dict())
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])
    g = _graft(seed=1)
    g.fit(_data(), block_steps=[2, 3, 4], net_steps=[5, 1], batch_size=8)
    other = g.export().state_dict()
    assert any(not torch.equal(runs[0][k], other[k]) for k in other)


def test_validation_selection_uses_agreement_not_labels():
    g = _graft()
    g.fit(_data(), block_steps=1, net_steps=3, batch_size=8, eval_every=1,
          val_data=_data(16, seed=5))
    last = [h for h in g.history if h["stage"] == "net" and h["index"] == 3]
    assert len(last) == 3 and all("val_agreement" in h for h in last)


def test_cosine_schedule_anneals_every_stage_from_its_own_rate():
    g = _graft()
    g.fit(_data(), block_steps=4, net_steps=5, lr_block=[1e-3, 2e-3, 4e-3], lr_net=3e-4,
          batch_size=8, eval_every=1, lr_schedule="cosine")
    for stage, index, lr0, steps in (("block", 1, 1e-3, 4), ("block", 3, 4e-3, 4),
                                     ("net", 2, 3e-4, 5), ("net", 3, 3e-4, 5)):
        used = [h["lr"] for h in g.history if h["stage"] == stage and h["index"] == index]
        expected = [lr0 * (1 + math.cos(math.pi * s / steps)) / 2 for s in range(steps)]
        assert used == pytest.approx(expected, rel=1e-9, abs=1e-15)
    constant = _graft()
    constant.fit(_data(), block_steps=2, net_steps=2, lr_net=3e-4, batch_size=8, eval_every=1)
    assert [h["lr"] for h in constant.history if h["stage"] == "net"] == [3e-4] * 4


def test_bad_configurations_are_clear_errors():
    with pytest.raises(ValueError, match="contiguous"):
        _graft(graft=(1, 3))
    with pytest.raises(ValueError, match="ending at the head"):
        _graft(graft=(0, 1))
    torch.manual_seed(0)
    wrong_classes = vgg_blocks(1, (6, 4, 5), num_classes=3, hidden=6, convs_per_block=1)
    with pytest.raises(ValueError, match="differs from the teacher"):
        _graft(student=wrong_classes)
    g = _graft()
    with pytest.raises(ValueError, match="block_steps needs 3"):
        g.fit(_data(), block_steps=[1, 1], net_steps=1)
    with pytest.raises(ValueError, match="lr_schedule must be one of"):
        g.fit(_data(), block_steps=1, net_steps=1, lr_schedule="step")
