"""SnapMix's same-class boost (official rule, on by default): a pair with equal labels gets both
weights set to rho_a + rho_b, so its soft-target row sums to 2 (rho_a + rho_b) — the number
docs/methods/snapmix.md states."""

from __future__ import annotations

import torch
from torch import nn

from tenfold.augment import SnapMix, soft_target_cross_entropy


def _cams(model, x, y):
    gen = torch.Generator().manual_seed(int(y.sum()) + 7)
    return torch.rand(x.shape[0], 5, 5, generator=gen) + 0.1     # informative, non-constant


def _mix(y, boost):
    x = torch.rand(len(y), 3, 20, 20, generator=torch.Generator().manual_seed(0))
    snap = SnapMix(4, beta=1.0, same_class_boost=boost, cam_fn=_cams,
                   generator=torch.Generator().manual_seed(1))
    x_mix, targets = snap(x, y, nn.Identity())
    return x_mix, targets, snap.last_info


def test_boosted_rows_sum_to_twice_rho_a_plus_rho_b_and_double_the_loss():
    y = torch.tensor([2, 2, 2, 2, 2, 2])                           # every pair is same-class
    x_plain, t_plain, info = _mix(y, boost=False)
    x_boost, t_boost, _ = _mix(y, boost=True)
    assert info.mixed and torch.equal(x_plain, x_boost)            # same draws, same images
    rho = info.weight_a + info.weight_b
    assert (rho < 1.5).all() and (rho > 0).all()
    torch.testing.assert_close(t_plain.sum(1), rho)                # without the boost: rho_a+rho_b
    torch.testing.assert_close(t_boost.sum(1), 2 * rho)            # with it: twice that
    torch.testing.assert_close(t_boost[:, 2], 2 * rho)
    logits = torch.randn(6, 4, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(soft_target_cross_entropy(logits, t_boost),
                               2 * soft_target_cross_entropy(logits, t_plain))


def test_boost_leaves_different_class_pairs_alone():
    y = torch.tensor([0, 1, 2, 3, 0, 1])
    _, t_plain, info = _mix(y, boost=False)
    _, t_boost, info_boost = _mix(y, boost=True)
    same = y == y[info.perm]
    torch.testing.assert_close(t_boost[~same], t_plain[~same])
    assert torch.equal(info_boost.extra["boosted"], same)


def test_docs_state_the_doubled_row_sum():
    """The class docstring and the method page say what the first test shows."""
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "methods" / "snapmix.md").read_text()
    assert "2 (rho_a + rho_b)" in " ".join(SnapMix.__doc__.split())
    assert "2(ρ_a + ρ_b)" in page
