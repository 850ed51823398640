"""The property SnapMix rests on: with the true object map as SPM, its label weights are the true
visible fractions of the two objects, while area labels are not."""

from __future__ import annotations

import torch

from tenfold.augment import box_area, snapmix_batch
from tenfold.data import load_dataset


def object_fraction(boxes: torch.Tensor, cut: tuple[int, int, int, int]) -> torch.Tensor:
    """Fraction of each object box that lies inside ``cut``."""
    top = boxes[:, 0].clamp(min=cut[0])
    left = boxes[:, 1].clamp(min=cut[1])
    bottom = boxes[:, 2].clamp(max=cut[2])
    right = boxes[:, 3].clamp(max=cut[3])
    inter = (bottom - top).clamp(min=0) * (right - left).clamp(min=0)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter.float() / area.float()


def test_cluttered_digits_shapes_and_boxes():
    data = load_dataset("cluttered-digits", num_train=40, num_test=20, seed=3)
    train = data["train"]
    assert train.images.shape == (40, 1, 32, 32) and len(data["test"]) == 20
    assert ((train.boxes[:, 2] - train.boxes[:, 0]) == 12).all()
    assert train.boxes.min() >= 0 and train.boxes.max() <= 32
    assert set(train.labels.tolist()) <= set(range(10))
    again = load_dataset("cluttered-digits", num_train=40, num_test=20, seed=3)["train"]
    assert torch.equal(train.images, again.images)


def test_oracle_spm_gives_the_true_visible_fractions():
    data = load_dataset("cluttered-digits", num_train=64, num_test=1, seed=0)["train"]
    x, y, boxes = data.images, data.labels, data.boxes
    spm = torch.zeros(len(y), 32, 32)
    for i, (top, left, bottom, right) in enumerate(boxes.tolist()):
        spm[i, top:bottom, left:right] = 1.0 / ((bottom - top) * (right - left))
    area_err, snap_err = [], []
    for seed in range(10):
        _, info = snapmix_batch(x, y, spm, beta=1.0, same_class_boost=False,
                                generator=torch.Generator().manual_seed(seed))
        if not info.mixed:
            continue
        true_a = 1 - object_fraction(boxes, info.box_a)
        true_b = object_fraction(boxes[info.perm], info.box_b)
        assert torch.allclose(info.weight_a, true_a, atol=1e-5)
        assert torch.allclose(info.weight_b, true_b, atol=1e-5)
        frac = box_area(info.box_a) / 1024
        area_err.append(((1 - frac - true_a).abs() + (frac - true_b).abs()).mean())
        snap_err.append(((info.weight_a - true_a).abs() + (info.weight_b - true_b).abs()).mean())
    assert len(area_err) >= 5
    assert max(snap_err) < 1e-5 < min(area_err)
