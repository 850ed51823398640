"""The distractor-digits generator: labels, boxes and the distractor's place."""

from __future__ import annotations

import pytest
import torch

from tenfold.data import load_dataset


def test_distractor_digits_layout():
    data = load_dataset("distractor-digits", num_train=40, num_test=10, seed=3)
    train = data["train"]
    assert train.images.shape == (40, 1, 32, 32) and len(data["test"].labels) == 10
    assert int(train.labels.min()) >= 0 and int(train.labels.max()) <= 4
    box, dbox = train.boxes, train.distractor_boxes
    assert ((box[:, 2] - box[:, 0]) == 12).all() and ((dbox[:, 3] - dbox[:, 1]) == 12).all()
    apart = (box[:, 2] <= dbox[:, 0]) | (dbox[:, 2] <= box[:, 0]) | \
        (box[:, 3] <= dbox[:, 1]) | (dbox[:, 3] <= box[:, 1])
    assert apart.all()
    for i in range(5):   # both digits leave ink in their boxes
        t, l_, b, r = box[i].tolist()
        dt, dl, db, dr = dbox[i].tolist()
        assert train.images[i, 0, t:b, l_:r].max() > 0.5
        assert train.images[i, 0, dt:db, dl:dr].max() > 0.5
    again = load_dataset("distractor-digits", num_train=40, num_test=10, seed=3)["train"]
    assert torch.equal(again.images, train.images)


def test_distractor_digits_refuses_a_small_canvas():
    with pytest.raises(ValueError, match="canvas"):
        load_dataset("distractor-digits", canvas=20)


def test_distractor_mnist_from_the_mirror(mirror, monkeypatch):
    monkeypatch.setenv("TENFOLD_DATA", str(mirror))
    data = load_dataset("distractor-mnist", num_train=12, num_test=6, sources=300, seed=1)
    train, test = data["train"], data["test"]
    assert train.images.shape == (12, 1, 32, 32) and test.images.shape == (6, 1, 32, 32)
    assert set(train.labels.tolist()) <= {0, 1, 2, 3, 4}
    for ds in (train, test):
        for i in range(len(ds.labels)):
            t, l_, b, r = ds.boxes[i].tolist()
            dt, dl, db, dr = ds.distractor_boxes[i].tolist()
            assert b - t == 12 and dr - dl == 12
            assert ds.images[i, 0, t:b, l_:r].max() > 0.5 and \
                ds.images[i, 0, dt:db, dl:dr].max() > 0.5
    again = load_dataset("distractor-mnist", num_train=12, num_test=6, sources=300, seed=1)
    assert torch.equal(again["test"].images, test.images)
    assert not torch.equal(
        load_dataset("distractor-mnist", num_train=12, num_test=6, sources=300,
                     seed=2)["test"].images, test.images)


def test_sources_without_distractor_classes_are_refused():
    import numpy as np

    from tenfold.data.synthetic.distractor_digits import render_distractor_digits

    with pytest.raises(ValueError, match="classes"):
        render_distractor_digits(np.zeros((3, 8, 8)), np.array([0, 1, 2]), 2, 32, 12, 0, 6, 0.0,
                                 5, np.random.default_rng(0))


def test_random_shift_translates_each_image_with_zero_fill():
    import torch.nn.functional as F

    from tenfold.data.synthetic.cluttered_digits import random_shift

    x = torch.arange(1, 3 * 2 * 6 * 6 + 1, dtype=torch.float32).view(3, 2, 6, 6)
    y = random_shift(x, 2, torch.Generator().manual_seed(0))
    padded = F.pad(x, (2,) * 4)
    for i in range(3):
        crops = [padded[i, :, oy:oy + 6, ox:ox + 6] for oy in range(5) for ox in range(5)]
        assert any(torch.equal(y[i], c) for c in crops)
    assert torch.equal(random_shift(x, 0, torch.Generator()), x)
