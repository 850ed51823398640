"""SnapMix's area fallback for ``rho_b`` follows the *partner's* map, not the image's own.

``rho_b`` of image ``i`` is the semantic mass of the pasted box in image ``perm[i]``; when that
partner's map is degenerate (constant) it falls back to the pasted area ``|A| / HW``. With every
map constant (the other fallback tests) the image's own flag and its partner's always agree, so
here only half of the maps are constant and every image is paired with one of the other half.
"""

from __future__ import annotations

import pytest
import torch

from tenfold.augment import snapmix_batch
from tenfold.augment.boxes import box_area
from tenfold.augment.cam import is_degenerate

H = W = 12


def maps() -> torch.Tensor:
    """Images 0-2: constant maps (degenerate); images 3-5: a smooth map that grows towards the
    bottom-right corner (not degenerate), each summing to one."""
    u = torch.arange(H, dtype=torch.float32).view(H, 1) + 1
    v = torch.arange(W, dtype=torch.float32).view(1, W) + 1
    peaked = (u * v**2) / (u * v**2).sum()
    flat = torch.full((H, W), 1.0 / (H * W))
    return torch.stack([flat, flat, flat, peaked, peaked.flip(0), peaked.flip(1)])


def mass(spm: torch.Tensor, box) -> float:
    top, left, bottom, right = box
    return float(spm[top:bottom, left:right].sum())


def test_rho_b_falls_back_only_where_the_partner_map_is_degenerate():
    spm = maps()
    assert is_degenerate(spm).tolist() == [True] * 3 + [False] * 3
    x = torch.rand(6, 3, H, W, generator=torch.Generator().manual_seed(0))
    y = torch.arange(6)  # all labels differ: no same-class boost
    perm = torch.tensor([3, 4, 5, 0, 1, 2])  # constant maps with peaked partners, and back
    checked = telling = 0
    for seed in range(10):
        _, info = snapmix_batch(x, y, spm, beta=1.0, same_class_boost=False, perm=perm,
                                generator=torch.Generator().manual_seed(seed))
        if not info.mixed:
            continue
        area = box_area(info.box_a) / (H * W)
        for i in range(6):
            partner = int(perm[i])
            own_flat, partner_flat = i < 3, partner < 3
            semantic_b = min(max(mass(spm[partner], info.box_b), 0.0), 1.0)
            expect_b = area if partner_flat else semantic_b
            expect_a = 1 - area if own_flat else min(max(1 - mass(spm[i], info.box_a), 0.0), 1.0)
            # count the cases where the wrong flag would give another number
            telling += abs(semantic_b - area) > 1e-3
            assert float(info.weight_b[i]) == pytest.approx(expect_b, abs=1e-6), (seed, i)
            assert float(info.weight_a[i]) == pytest.approx(expect_a, abs=1e-6), (seed, i)
        assert info.extra["area_fallback_a"].tolist() == [True] * 3 + [False] * 3
        assert info.extra["area_fallback_b"].tolist() == [False] * 3 + [True] * 3
        checked += 1
    assert checked >= 5 and telling >= 3 * checked

