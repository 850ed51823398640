"""The baseline+ mid-level head: shapes, max pooling, detached gradients, SnapMix on the wrapper."""

from __future__ import annotations

import pytest
import torch
import torchvision

from tenfold.augment import MidLevelHead, MidLevelResNet, SnapMix, soft_target_cross_entropy


def test_head_is_max_pooled_linear():
    head = MidLevelHead(3, 4)
    feats = torch.randn(2, 3, 5, 5)
    pooled = torch.relu(head.conv(feats)).flatten(2).max(dim=2).values
    assert torch.allclose(head(feats), head.fc(pooled), atol=1e-6)
    with pytest.raises(ValueError, match="features"):
        head(torch.randn(2, 4, 5, 5))


@pytest.mark.parametrize("detach", [True, False])
def test_detach_keeps_the_backbone_out_of_the_mid_loss(detach):
    net = MidLevelResNet(torchvision.models.resnet18(num_classes=5), 5, detach=detach)
    x, y = torch.randn(2, 3, 64, 64), torch.tensor([1, 3])
    logits, mid = net(x)
    assert logits.shape == mid.shape == (2, 5)
    soft_target_cross_entropy(mid, y).backward()
    grad = net.model.layer1[0].conv1.weight.grad
    assert (grad is None or grad.abs().sum() == 0) == detach
    assert net.mid_head.fc.weight.grad is not None


def test_predict_and_snapmix_on_the_wrapper():
    net = MidLevelResNet(torchvision.models.resnet18(num_classes=5), 5).eval()
    x, y = torch.randn(3, 3, 64, 64), torch.tensor([0, 1, 2])
    logits, mid = net(x)
    assert torch.allclose(net.predict(x), logits + mid)
    snap = SnapMix(5, head="model.fc", generator=torch.Generator().manual_seed(0))
    x_mix, t = snap(x, y, net)
    assert x_mix.shape == x.shape and torch.isfinite(t).all()
