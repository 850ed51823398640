"""Semantic percent maps: normalisation, invariances, and equality with a hand-computed CAM."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from tenfold.augment import (
    SmallResNet,
    class_activation_map,
    find_cam_modules,
    model_spm,
    normalize_map,
    semantic_percent_map,
)


def _toy():
    gen = torch.Generator().manual_seed(0)
    feats = torch.rand(3, 4, 5, 6, generator=gen)
    weight = torch.randn(7, 4, generator=gen)
    bias = torch.randn(7, generator=gen)
    labels = torch.tensor([2, 6, 0])
    return feats, weight, bias, labels


def test_cam_equals_hand_computation_and_mean_is_the_logit():
    feats, weight, bias, labels = _toy()
    cam = class_activation_map(feats, weight, bias, labels)
    for i, c in enumerate(labels.tolist()):
        for u in range(5):
            for v in range(6):
                expect = sum(weight[c, k] * feats[i, k, u, v] for k in range(4)) + bias[c]
                assert cam[i, u, v].item() == pytest.approx(expect.item(), abs=1e-5)
    logits = feats.mean(dim=(2, 3)) @ weight.T + bias
    assert torch.allclose(cam.mean(dim=(1, 2)), logits[torch.arange(3), labels], atol=1e-5)


def test_spm_is_a_normalised_shifted_cam():
    feats, weight, bias, labels = _toy()
    spm = semantic_percent_map(feats, weight, bias, labels, (5, 6))   # same size: no resampling
    cam = class_activation_map(feats, weight, bias, labels)
    shifted = cam - cam.flatten(1).min(1).values.view(-1, 1, 1)
    assert torch.allclose(spm, shifted / shifted.sum(dim=(1, 2), keepdim=True), atol=1e-6)
    big = semantic_percent_map(feats, weight, bias, labels, (20, 24))
    assert big.shape == (3, 20, 24)
    assert (big >= 0).all()
    assert torch.allclose(big.sum(dim=(1, 2)), torch.ones(3), atol=1e-5)


def test_spm_ignores_constants_and_the_bias():
    feats, weight, bias, labels = _toy()
    a = semantic_percent_map(feats, weight, bias, labels, (10, 12))
    b = semantic_percent_map(feats, weight, bias + 100.0, labels, (10, 12))
    c = semantic_percent_map(feats, weight, None, labels, (10, 12))
    assert torch.allclose(a, b, atol=1e-5) and torch.allclose(a, c, atol=1e-5)
    cam = torch.randn(2, 8, 8)
    assert torch.allclose(normalize_map(cam), normalize_map(cam - 3.5), atol=1e-6)


def test_spm_uses_the_label_class_not_another():
    feats, weight, bias, labels = _toy()
    right = semantic_percent_map(feats, weight, bias, labels, (5, 6))
    wrong = semantic_percent_map(feats, weight, bias, (labels + 1) % 7, (5, 6))
    assert not torch.allclose(right, wrong, atol=1e-3)


def test_constant_map_becomes_uniform_without_nan():
    spm = normalize_map(torch.full((2, 4, 4), 3.0))
    assert torch.isfinite(spm).all()
    assert torch.allclose(spm, torch.full_like(spm, 1 / 16))


def test_bad_shapes_raise():
    feats, weight, bias, labels = _toy()
    with pytest.raises(ValueError, match="features"):
        class_activation_map(feats[0], weight, bias, labels)
    with pytest.raises(ValueError, match="head weight"):
        class_activation_map(feats, weight[:, :3], bias, labels)
    with pytest.raises(ValueError, match="labels"):
        class_activation_map(feats, weight, bias, labels[:2])


class _Toy(nn.Module):
    """features = identity conv of the input, so the CAM is computable by hand."""

    def __init__(self):
        super().__init__()
        self.body = nn.Identity()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2, 3)

    def forward(self, x):
        return self.fc(self.pool(self.body(x)).flatten(1))


def test_model_spm_hooks_the_pool_input_and_the_last_linear():
    model = _Toy()
    x = torch.rand(2, 2, 4, 4)
    y = torch.tensor([1, 2])
    spm = model_spm(model, x, y)
    expect = semantic_percent_map(x, model.fc.weight, model.fc.bias, y, (4, 4))
    assert torch.allclose(spm, expect, atol=1e-6)
    named = model_spm(model, x, y, cam_layer="body", head="fc")
    assert torch.allclose(named, expect, atol=1e-6)


def test_auto_finds_torchvision_resnet_layers():
    model = torchvision.models.resnet18(num_classes=5)
    module, use_input, head = find_cam_modules(model)
    assert module is model.avgpool and use_input and head is model.fc
    spm = model_spm(model, torch.randn(2, 3, 64, 64), torch.tensor([0, 4]), eval_mode=True)
    assert spm.shape == (2, 64, 64)
    assert torch.allclose(spm.sum(dim=(1, 2)), torch.ones(2), atol=1e-5)


def test_eval_cam_leaves_batchnorm_statistics_alone():
    model = SmallResNet(4, widths=(4, 8), in_channels=1).train()
    x, y = torch.randn(3, 1, 16, 16), torch.tensor([0, 1, 2])
    before = model.stem[1].running_mean.clone()
    model_spm(model, x, y, eval_mode=True)
    assert torch.equal(model.stem[1].running_mean, before)
    assert model.training and model.stem[1].training
    model_spm(model, x, y, eval_mode=False)
    assert not torch.equal(model.stem[1].running_mean, before)


def test_user_cam_fn_and_missing_layers():
    model = _Toy()
    x, y = torch.rand(2, 2, 8, 8), torch.tensor([0, 1])

    def cam_fn(m, inp, lab):
        return torch.ones(inp.shape[0], 2, 2)

    spm = model_spm(model, x, y, cam_fn=cam_fn)
    assert torch.allclose(spm, torch.full((2, 8, 8), 1 / 64))
    with pytest.raises(ValueError, match="cam_layer"):
        model_spm(model, x, y, cam_layer="nope")
    with pytest.raises(ValueError, match="nn.Linear"):
        find_cam_modules(nn.Sequential(nn.Conv2d(1, 1, 1)))
