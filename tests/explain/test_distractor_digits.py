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
