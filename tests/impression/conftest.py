"""Shared helpers of the impression tests: a tiny BN CNN with non-trivial statistics and random
images, as fixtures returning factories."""

from __future__ import annotations

import pytest
import torch
from torch import nn


def tiny_cnn(seed: int = 0, pool_to_one: bool = False) -> nn.Module:
    torch.manual_seed(seed)
    layers = [nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
              nn.Conv2d(4, 6, 3, stride=2, padding=1), nn.BatchNorm2d(6), nn.ReLU()]
    if pool_to_one:
        layers += [nn.AdaptiveAvgPool2d(1), nn.BatchNorm2d(6)]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 3)]
    net = nn.Sequential(*layers)
    with torch.no_grad():                       # non-trivial running statistics
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return net


def images(n: int, seed: int = 1, size: int = 8) -> torch.Tensor:
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(seed))


@pytest.fixture
def make_net():
    return tiny_cnn


@pytest.fixture
def make_images():
    return images
