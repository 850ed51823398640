"""``tenfold.impression.data`` (image preparation, class pairs) and ``ExperimentSession``,
checked against direct reference computations."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tenfold.impression import (
    DecodeSettings,
    ExperimentSession,
    TemplateNetwork,
    class_impressions,
    class_pair,
    prepare_images,
)


def _splits(n_train=12, n_test=10, size=8):
    g = torch.Generator().manual_seed(3)
    return {"train": ((torch.rand(n_train, 1, size, size, generator=g) * 255).to(torch.uint8)
                      .float() / 255, torch.arange(n_train, dtype=torch.int32) % 3),
            "test": (torch.rand(n_test, 1, size, size, generator=g),
                     torch.arange(n_test) % 3)}


def test_prepare_images_resizes_mixes_and_subsets_like_the_reference():
    splits = _splits()
    out = prepare_images(splits, 4, mix_test=True, train_subset=5, seed=7)
    order = torch.randperm(10, generator=torch.Generator().manual_seed(7))
    idx = torch.randperm(12, generator=torch.Generator().manual_seed(7))[:5]
    ref_test = F.interpolate(splits["test"][0], size=(4, 4), mode="bilinear",
                             align_corners=False).clamp(0, 1)[order]
    ref_train = F.interpolate(splits["train"][0], size=(4, 4), mode="bilinear",
                              align_corners=False).clamp(0, 1)[idx]
    assert torch.equal(out["test"][0], ref_test)
    assert torch.equal(out["test"][1], splits["test"][1][order])
    assert torch.equal(out["train"][0], ref_train)
    assert out["train"][1].dtype == torch.long
    assert torch.equal(out["train"][1], splits["train"][1][idx].long())


def test_prepare_images_keeps_the_right_size_and_order_untouched():
    splits = _splits()
    out = prepare_images(splits, 8)
    for name, (x, y) in splits.items():
        assert torch.equal(out[name][0], x) and torch.equal(out[name][1], y.long())


@pytest.mark.parametrize("kwargs, match", [
    ({"image_size": 0}, "image_size"), ({"image_size": 4, "train_subset": -1}, "train_subset")])
def test_prepare_images_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        prepare_images(_splits(), **kwargs)


def test_prepare_images_rejects_bad_shapes_and_missing_splits():
    with pytest.raises(ValueError, match="N, C, H, W"):
        prepare_images({"train": (torch.rand(3, 8, 8), torch.zeros(3))}, 8)
    with pytest.raises(ValueError, match="'test' split"):
        prepare_images({"train": _splits()["train"]}, 8, mix_test=True)


def test_class_pair_parses_and_rejects():
    assert class_pair("1-7") == (1, 7) and class_pair("9-0") == (9, 0)
    assert class_pair("3-12", num_classes=13) == (3, 12)
    for bad in ("1-1", "1-10", "a-b", "1-2-3", "1", "-1-2", "01-1"):
        with pytest.raises(ValueError, match="two different classes"):
            class_pair(bad)


def test_session_settings_override_the_base_and_targets_are_class_impressions(make_net,
                                                                               make_images):
    x = make_images(20)
    y = torch.arange(20) % 10
    template = TemplateNetwork(make_net(), pixel_range=(0.0, 1.0))
    base = DecodeSettings(lr=0.05, tv=2e-3, jitter=2, first_layer_weight=4.0,
                          iterations_per_step=3)
    s = ExperimentSession({"train": (x, y), "test": (x, y)}, template, None, base)
    assert s.settings(7) == DecodeSettings(steps=7, lr=0.05, tv=2e-3, jitter=2,
                                           first_layer_weight=4.0, iterations_per_step=3)
    assert s.settings(5, 0.2, tv=0.0, jitter=0) == DecodeSettings(
        steps=5, lr=0.2, tv=0.0, jitter=0, first_layer_weight=4.0, iterations_per_step=3)
    assert base.steps == DecodeSettings().steps                  # the base is not modified
    got, ref = s.class_targets(), class_impressions(template, x, y, num_classes=10)
    assert len(got) == len(ref)
    for a, b in zip(got, ref, strict=True):
        pairs = zip(a.means + a.stds, b.means + b.stds, strict=True)
        assert all(torch.equal(u, v) for u, v in pairs)
    with pytest.raises(ValueError, match="missing \\['test'\\]"):
        ExperimentSession({"train": (x, y)}, template, None, base)
