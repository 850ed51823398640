"""A small CAM-compatible ResNet for low-resolution images (cluttered digits, CIFAR-10).

``features -> AdaptiveAvgPool2d(1) -> Linear``, so :class:`tenfold.augment.SnapMix` finds its CAM
layer automatically, exactly as for torchvision's ``resnet18``. Built from torchvision's
``BasicBlock`` (He et al., arXiv 1512.03385).
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock


class SmallResNet(nn.Module):
    """A stem conv, one stage of ``blocks`` BasicBlocks per width (stride 2 after the first), GAP,
    linear head.

    Args:
        num_classes: outputs of the head.
        widths: channels per stage, e.g. ``(16, 32, 64)``.
        in_channels: input channels.
        blocks: BasicBlocks per stage.
    """

    def __init__(self, num_classes: int, widths: tuple[int, ...] = (16, 32, 64),
                 in_channels: int = 3, blocks: int = 1):
        super().__init__()
        if not widths:
            raise ValueError("widths must name at least one stage")
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        stages, prev = [], widths[0]
        for i, width in enumerate(widths):
            stride = 1 if i == 0 else 2
            down = None
            if stride != 1 or prev != width:
                down = nn.Sequential(nn.Conv2d(prev, width, 1, stride=stride, bias=False),
                                     nn.BatchNorm2d(width))
            layers = [BasicBlock(prev, width, stride, down)]
            layers += [BasicBlock(width, width) for _ in range(blocks - 1)]
            stages.append(nn.Sequential(*layers))
            prev = width
        self.features = nn.Sequential(*stages)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(prev, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.avgpool(self.features(self.stem(x))), 1))
