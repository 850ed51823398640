"""Metrics: an oracle scores perfectly, part permutations score the same after matching, and the
numbers equal a direct computation."""

from __future__ import annotations

import pytest
import torch

from tenfold.udor import metrics
from tenfold.udor.canvas import MultiObjectCanvas


@pytest.fixture(scope="module")
def data():
    g = torch.Generator().manual_seed(0)
    pools = [torch.rand(6, 14, 14, generator=g) for _ in range(3)]
    return MultiObjectCanvas.generate(pools, 120, generator=g)


def test_oracle_renderer_scores_zero_and_do_nothing_scores_one(data):
    out = metrics.visual_integrity(data.removed, data.removed, data.present, data.images)
    assert out["error"] == 0 and out["matching"] == [0, 1, 2]
    assert out["do_nothing"] > 0
    ignore = data.images[:, None].expand(-1, 3, -1, -1, -1)
    same = metrics.visual_integrity(ignore, data.removed, data.present, data.images)
    assert same["ratio"] == pytest.approx(1.0)
    # an empty canvas for every removal scores the "empty" scale, which is the mean over
    # categories of 255 · mean |x^{−c}| over the images holding c
    blank = metrics.visual_integrity(torch.zeros_like(data.removed), data.removed, data.present,
                                     data.images)
    direct = sum(255 * data.removed[data.present[:, c], c].abs().mean() for c in range(3)) / 3
    assert blank["error"] == pytest.approx(blank["empty"], rel=1e-6)
    assert blank["empty"] == pytest.approx(float(direct), rel=1e-5) and out["empty"] > 0


def test_permuted_parts_score_the_same_after_matching(data):
    g = torch.Generator().manual_seed(1)
    noisy = (data.removed + 0.1 * torch.rand(data.removed.shape, generator=g)).clamp(0, 1)
    base = metrics.visual_integrity(noisy, data.removed, data.present, data.images)
    perm = [2, 0, 1]
    permuted = metrics.visual_integrity(noisy[:, perm], data.removed, data.present, data.images)
    assert permuted["error"] == pytest.approx(base["error"], rel=1e-6)
    # part perm.index(c) now holds category c
    assert permuted["matching"] == [perm.index(c) for c in range(3)]


def test_visual_error_equals_a_direct_computation(data):
    pred = torch.rand(data.removed.shape, generator=torch.Generator().manual_seed(2))
    out = metrics.visual_integrity(pred, data.removed, data.present, data.images)
    for p in range(3):
        for c in range(3):
            rows = data.present[:, c]
            direct = 255 * (pred[rows, p] - data.removed[rows, c]).abs().mean()
            assert out["matrix"][p][c] == pytest.approx(float(direct), rel=1e-5)
    best = min(sum(out["matrix"][q[c]][c] for c in range(3)) / 3
               for q in ([0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]))
    assert out["error"] == pytest.approx(best, rel=1e-6)


def test_modularity_of_an_oracle_encoder_is_zero():
    g = torch.Generator().manual_seed(0)
    # part c = instance id of category c; within a group category c's instance is fixed
    groups = torch.randint(0, 10, (3, 4, 5, 3), generator=g).float()
    for c in range(3):
        groups[c, :, :, c] = torch.arange(4).float()[:, None]
    ref = torch.randint(0, 10, (50, 3), generator=g).float()
    out = metrics.modularity(groups, ref, 3, [0, 1, 2])
    assert out["modularity"] == 0
    # the wrong matching reads a part that varies inside the groups
    assert metrics.modularity(groups, ref, 3, [1, 2, 0])["modularity"] > 0.5


def test_part_classification_finds_the_permuted_parts():
    g = torch.Generator().manual_seed(0)
    present = torch.rand(400, 3, generator=g) > 0.5
    codes = present.float() + 0.1 * torch.randn(400, 3, generator=g)
    perm = [1, 2, 0]                                   # part p holds category perm[p]
    codes = codes[:, perm]
    out = metrics.part_classification(codes[:200], present[:200], codes[200:], present[200:], 3)
    assert out["macro_f1"] == 1.0 and out["micro_f1"] == 1.0
    assert out["matching"] == [perm.index(c) for c in range(3)]
    noise = torch.randn(400, 3, generator=g)
    chance = metrics.part_classification(noise[:200], present[:200], noise[200:], present[200:], 3)
    assert chance["macro_f1"] < 0.75


def test_shape_errors(data):
    with pytest.raises(ValueError, match="present"):
        metrics.visual_integrity(data.removed, data.removed, data.present[:, :2], data.images)
