"""Energy-in-box and the pointing game against Quantus' definitions (RelevanceMassAccuracy,
PointingGame) on random maps and boxes; skipped when Quantus is not installed (``test`` extra)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from tenfold.explain import box_masks, energy_in_box, pointing_game

quantus = pytest.importorskip("quantus")


def _batch(n: int = 12, size: int = 16):
    gen = torch.Generator().manual_seed(0)
    maps = torch.rand(n, 1, size, size, generator=gen) ** 4        # unique maxima, skewed
    top = torch.randint(0, size - 6, (n,), generator=gen)
    left = torch.randint(0, size - 6, (n,), generator=gen)
    boxes = torch.stack([top, left, top + 6, left + 6], 1)
    masks = box_masks(boxes, size, size)
    for i in range(0, n, 3):       # put some maxima inside the box, so both outcomes occur
        t, l_ = int(top[i]), int(left[i])
        maps[i, 0, t + 2, l_ + 3] = 2.0
    model = nn.Sequential(nn.Flatten(), nn.Linear(size * size, 3)).eval()
    kwargs = {"model": model, "x_batch": maps.numpy(), "y_batch": np.zeros(n, dtype=np.int64),
              "a_batch": maps.numpy(), "s_batch": masks.unsqueeze(1).float().numpy(),
              "channel_first": True, "device": "cpu"}
    return maps, masks, kwargs


def test_energy_in_box_equals_quantus_relevance_mass_accuracy():
    maps, masks, kwargs = _batch()
    theirs = quantus.RelevanceMassAccuracy(disable_warnings=True, abs=False,
                                           normalise=False)(**kwargs)
    ours = energy_in_box(maps, masks)
    np.testing.assert_allclose(np.asarray(theirs, dtype=np.float64), ours.double().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert 0.05 < float(ours.min()) and float(ours.max()) < 0.95


def test_pointing_game_equals_quantus():
    maps, masks, kwargs = _batch()
    theirs = quantus.PointingGame(disable_warnings=True, abs=False, normalise=False)(**kwargs)
    ours = pointing_game(maps, masks)
    np.testing.assert_array_equal(np.asarray(theirs, dtype=np.float64), ours.double().numpy())
    assert 0 < float(ours.sum()) < len(ours)
