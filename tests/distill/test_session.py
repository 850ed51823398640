"""``tenfold.distill.session`` and ``fewshot.evaluation_sets``: the shared state of a few-shot
distillation run, checked against reference computations and known answers."""

from __future__ import annotations

import pytest
import torch

from tenfold.distill import accuracy
from tenfold.distill.architectures import build_teacher, resolve_architecture
from tenfold.distill.fewshot import evaluation_sets, validation_split
from tenfold.distill.session import FewShotSession, graft_budget


def _data(n_train=20, n_test=15):
    g = torch.Generator().manual_seed(0)
    return {"train": (torch.rand(n_train, 1, 8, 8, generator=g), torch.arange(n_train) % 10),
            "test": (torch.rand(n_test, 1, 8, 8, generator=g), torch.arange(n_test) % 10)}


def test_evaluation_sets_mix_cut_and_take_the_curve_prefix():
    data = _data()
    out, test, curve = evaluation_sets(data, test_size=9, curve_size=4, seed=5)
    order = torch.randperm(15, generator=torch.Generator().manual_seed(5))[:9]
    assert out is data
    assert torch.equal(test[0], data["test"][0][order]) and torch.equal(test[1],
                                                                        data["test"][1][order])
    assert torch.equal(curve[0], test[0][:4]) and torch.equal(curve[1], test[1][:4])
    _, whole, _ = evaluation_sets(data, seed=5)                 # test_size 0 = all
    assert len(whole[1]) == 15


def test_evaluation_sets_validation_never_touches_the_test_set():
    data = _data()
    out, test, _ = evaluation_sets(data, validation=True, seed=5)
    ref = validation_split(*data["train"])
    assert torch.equal(out["train"][0], ref["train"][0])
    order = torch.randperm(len(ref["test"][1]), generator=torch.Generator().manual_seed(5))
    assert torch.equal(test[0], ref["test"][0][order])
    _, test2, _ = evaluation_sets({"train": data["train"]}, validation=True, seed=5)
    assert torch.equal(test2[0], test[0])


def test_evaluation_sets_reject_bad_sizes_and_missing_splits():
    with pytest.raises(ValueError, match="test_size"):
        evaluation_sets(_data(), test_size=-1)
    with pytest.raises(ValueError, match="curve_size"):
        evaluation_sets(_data(), curve_size=0)
    with pytest.raises(ValueError, match="'train' and 'test'"):
        evaluation_sets({"train": _data()["train"]})


def test_graft_budget_known_answers():
    assert graft_budget(4, 1, 200, 200) == ([1, 2, 3], 3 * 200 + 2 * 200)
    assert graft_budget(5, 2, 147, 200) == ([2, 3, 4], 3 * 147 + 2 * 200)
    assert graft_budget(3, 2, 10, 99) == ([2], 10)               # one block: no net grafting
    for shared in (-1, 4):
        with pytest.raises(ValueError, match="shared"):
            graft_budget(4, shared, 1, 1)


def _session():
    arch = resolve_architecture("digits", teacher_widths=(4, 4, 4), student_widths=(2, 2, 2),
                                shared=1)
    torch.manual_seed(0)
    teacher = build_teacher(arch).eval()
    data = _data()
    return FewShotSession(teacher, arch, data["test"], (data["test"][0][:5], data["test"][1][:5]),
                          data["train"][0][:2], block_steps=3, net_steps=2), teacher, data


def test_session_budget_accuracy_and_curve_points():
    s, teacher, data = _session()
    assert s.graft == [1, 2, 3] and s.budget == 3 * 3 + 2 * 2
    assert (s.augment.pad, s.augment.flip) == (1, False)
    assert s.accuracy(teacher) == accuracy(teacher, *data["test"])
    assert s.curve_eval(teacher) == {"curve_acc": accuracy(teacher, data["test"][0][:5],
                                                            data["test"][1][:5])}
    with pytest.raises(ValueError, match="split"):
        s.accuracy(teacher, "train")
    history = [{"step": 1, "loss": 2.0}, {"step": 2, "total_step": 7, "loss": 1.5,
                                          "curve_acc": 0.25},
               {"step": 3, "loss": 1.0, "curve_acc": 0.5}]
    points = s.curve_points("kd@n1", history)
    assert points == [{"step": 7, "test_acc": 0.25, "loss": 1.5},
                      {"step": 3, "test_acc": 0.5, "loss": 1.0}]
    assert s.curves == [{"method": "kd@n1", **p} for p in points]


def test_session_student_prefix_is_a_frozen_copy_of_the_teacher():
    s, teacher, _ = _session()
    torch.manual_seed(3)
    plain = s.student(prefix=False)
    torch.manual_seed(3)
    grafted = s.student()
    assert len(grafted) == len(plain) == len(list(teacher))
    assert all(not p.requires_grad for p in grafted[0].parameters())
    for a, b in zip(grafted[0].state_dict().values(), teacher[0].state_dict().values(),
                    strict=True):
        assert torch.equal(a, b)
    for a, b in zip(grafted[1].parameters(), plain[1].parameters(), strict=True):
        assert torch.equal(a, b)                  # the same RNG start for the student's blocks
