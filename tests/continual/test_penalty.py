"""The merged quadratic penalty: zero at the anchor, exact values, merged == per-task sum."""

import pytest
import torch

from tenfold.continual import QuadraticPenalty


def _random_task(gen, shapes):
    imp = {n: torch.rand(s, generator=gen, dtype=torch.float64) for n, s in shapes.items()}
    anchor = {n: torch.randn(s, generator=gen, dtype=torch.float64) for n, s in shapes.items()}
    imp["w"][0, 0] = 0.0     # unimportant entries must stay harmless
    return imp, anchor


SHAPES = {"w": (3, 4), "b": (4,)}


def test_zero_value_and_gradient_at_anchor_and_exact_quadratic():
    gen = torch.Generator().manual_seed(0)
    imp, anchor = _random_task(gen, SHAPES)
    for merge in (True, False):
        pen = QuadraticPenalty(merge=merge)
        pen.add(imp, anchor)
        params = {n: a.clone().requires_grad_(True) for n, a in anchor.items()}
        value = pen(params)
        assert float(value.detach()) == 0.0
        grads = torch.autograd.grad(value, list(params.values()))
        assert all(bool((g == 0).all()) for g in grads)
        delta = {n: torch.randn(s, generator=gen, dtype=torch.float64) for n, s in SHAPES.items()}
        moved = {n: anchor[n] + delta[n] for n in SHAPES}
        expected = sum((imp[n] * delta[n] ** 2).sum() for n in SHAPES)
        assert float(pen(moved)) == pytest.approx(float(expected), rel=1e-12)


def test_merged_equals_per_task_sum():
    gen = torch.Generator().manual_seed(1)
    merged, separate = QuadraticPenalty(merge=True), QuadraticPenalty(merge=False)
    for _ in range(4):
        imp, anchor = _random_task(gen, SHAPES)
        merged.add(imp, anchor)
        separate.add(imp, anchor)
    theta = {n: torch.randn(s, generator=gen, dtype=torch.float64, requires_grad=True)
             for n, s in SHAPES.items()}
    a, b = merged(theta), separate(theta)
    torch.testing.assert_close(a, b, rtol=1e-10, atol=0)
    ga = torch.autograd.grad(a, list(theta.values()))
    gb = torch.autograd.grad(b, list(theta.values()))
    for x, y in zip(ga, gb, strict=True):
        torch.testing.assert_close(x, y, rtol=1e-10, atol=1e-12)
    # the merged form really is O(|θ|): two tensors per parameter, whatever the number of tasks
    assert len(merged.weight) == len(merged.center) == len(SHAPES) and not merged.terms
    # reference: explicit per-task formula
    ref = sum((i[n] * (theta[n] - t[n]) ** 2).sum() for i, t in separate.terms for n in SHAPES)
    torch.testing.assert_close(b, ref)


def test_state_dict_round_trip_and_errors():
    gen = torch.Generator().manual_seed(2)
    pen = QuadraticPenalty()
    imp, anchor = _random_task(gen, SHAPES)
    pen.add(imp, anchor)
    other = QuadraticPenalty()
    other.load_state_dict(pen.state_dict())
    theta = {n: torch.randn(s, dtype=torch.float64, generator=gen) for n, s in SHAPES.items()}
    assert float(other(theta)) == float(pen(theta))
    with pytest.raises(ValueError, match="non-negative"):
        pen.add({"w": -torch.ones(3, 4), "b": torch.ones(4)}, anchor)
    with pytest.raises(ValueError, match="shape"):
        pen.add({"w": torch.ones(4, 3), "b": torch.ones(4)}, anchor)
