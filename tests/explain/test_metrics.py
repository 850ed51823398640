"""Attribution metrics against hand-computed answers and scipy."""

from __future__ import annotations

import math

import pytest
import torch
from scipy.stats import spearmanr
from torch import nn

from tenfold.explain import (
    box_masks,
    curve_auc,
    deletion_insertion_curves,
    edge_map,
    energy_in_box,
    pointing_game,
    randomize_layers,
    spearman,
)


def _masks():
    boxes = torch.tensor([[2, 3, 6, 8], [0, 0, 4, 4]])
    return box_masks(boxes, 10, 10), torch.tensor([4 * 5, 4 * 4]) / 100.0


def test_box_masks():
    masks, area = _masks()
    assert masks.shape == (2, 10, 10)
    assert masks[0, 2, 3] and masks[0, 5, 7] and not masks[0, 6, 7] and not masks[0, 5, 8]
    torch.testing.assert_close(masks.flatten(1).float().mean(1), area)


def test_a_map_equal_to_the_mask_scores_one():
    masks, _ = _masks()
    maps = masks.float().unsqueeze(1)
    torch.testing.assert_close(energy_in_box(maps, masks), torch.ones(2))
    torch.testing.assert_close(pointing_game(maps, masks), torch.ones(2))


def test_a_uniform_map_scores_the_area_fraction():
    masks, area = _masks()
    maps = torch.full((2, 10, 10), 0.3)
    torch.testing.assert_close(energy_in_box(maps, masks), area)
    torch.testing.assert_close(pointing_game(maps, masks), area)


def test_energy_by_hand_and_pointing_tolerance():
    masks, _ = _masks()
    maps = torch.zeros(2, 10, 10)
    maps[0, 2, 3], maps[0, 9, 9] = 3.0, 1.0          # 3 of 4 inside
    maps[1, 6, 2] = 5.0                               # max 3 px below the box (rows 0..3)
    torch.testing.assert_close(energy_in_box(maps, masks), torch.tensor([0.75, 0.0]))
    torch.testing.assert_close(pointing_game(maps, masks), torch.tensor([1.0, 0.0]))
    torch.testing.assert_close(pointing_game(maps, masks, tolerance=3.0), torch.ones(2))
    torch.testing.assert_close(pointing_game(maps, masks, tolerance=2.9)[1], torch.tensor(0.0))


def test_bad_maps_are_refused():
    masks, _ = _masks()
    with pytest.raises(ValueError, match="non-negative"):
        energy_in_box(-torch.ones(2, 10, 10), masks)
    with pytest.raises(ValueError, match="channels"):
        energy_in_box(torch.ones(2, 3, 10, 10), masks)
    with pytest.raises(ValueError, match="differ"):
        pointing_game(torch.ones(2, 9, 10), masks)


class FirstPixel(nn.Module):
    """Logits ``(10 * x[0, 0, 0], 0)``."""

    def forward(self, x):
        return torch.stack([10 * x[:, 0, 0, 0], torch.zeros(len(x))], 1)


def test_deletion_and_insertion_curves_by_hand():
    x = torch.ones(1, 1, 2, 2)
    high = 1 / (1 + math.exp(-10))
    target = torch.tensor([0])
    good = torch.tensor([[[4.0, 1.0], [2.0, 3.0]]])     # the decisive pixel ranked first
    dele, ins = deletion_insertion_curves(FirstPixel(), x, good, target, steps=4)
    torch.testing.assert_close(dele, torch.tensor([[high, 0.5, 0.5, 0.5, 0.5]]))
    torch.testing.assert_close(ins, torch.tensor([[0.5, high, high, high, high]]))
    bad = torch.tensor([[[1.0, 4.0], [2.0, 3.0]]])      # ranked last
    dele_b, ins_b = deletion_insertion_curves(FirstPixel(), x, bad, target, steps=4)
    torch.testing.assert_close(dele_b, torch.tensor([[high, high, high, high, 0.5]]))
    expected = 0.25 * (high / 2 + 3 * 0.5 + 0.5 / 2)
    torch.testing.assert_close(curve_auc(dele), torch.tensor([expected]))
    assert curve_auc(dele_b) > curve_auc(dele) and curve_auc(ins) > curve_auc(ins_b)


def test_curve_auc_of_a_constant_and_a_line():
    torch.testing.assert_close(curve_auc(torch.full((2, 5), 0.7)), torch.full((2,), 0.7))
    torch.testing.assert_close(curve_auc(torch.linspace(0, 1, 9).view(1, -1)),
                               torch.tensor([0.5]))


def test_spearman_matches_scipy_with_ties():
    g = torch.Generator().manual_seed(0)
    a = torch.randint(0, 5, (3, 40), generator=g).float()
    b = a + torch.randn(3, 40, generator=g)
    ours = spearman(a, b)
    for i in range(3):
        assert ours[i].item() == pytest.approx(spearmanr(a[i], b[i]).statistic, abs=1e-6)
    torch.testing.assert_close(spearman(a, a), torch.ones(3))


def test_randomize_layers_changes_only_the_named_layers():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    clone = randomize_layers(model, ["1", "3"], torch.Generator().manual_seed(1))
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    new = clone.state_dict()
    assert torch.equal(new["0.weight"], before["0.weight"])
    assert not torch.equal(new["3.weight"], before["3.weight"])
    assert torch.equal(new["3.bias"], torch.zeros(3))
    assert torch.equal(new["1.weight"], torch.ones(8))
    with pytest.raises(ValueError, match="no submodule"):
        randomize_layers(model, ["head"], torch.Generator())


def test_edge_map_marks_only_the_edge():
    x = torch.zeros(1, 1, 6, 6)
    x[..., 3:] = 1.0
    edges = edge_map(x)[0, 0]
    assert edges.shape == (6, 6)
    assert (edges[:, 2:4] > 0).all() and (edges[:, :2] == 0).all() and (edges[:, 4:] == 0).all()
    assert (edge_map(torch.ones(2, 3, 5, 5)) == 0).all()
