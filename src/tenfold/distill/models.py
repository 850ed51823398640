"""Small VGG-style classifiers already cut into blocks, for NetGraft teachers and students.

The official NetGraft setting (arXiv 2012.04915, VGG16 on CIFAR) cuts the network after every
max-pool and treats the classifier as the last block; the student keeps the teacher's early
widths and halves the late ones. :func:`vgg_blocks` builds that family at any width.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def _conv_block(in_ch: int, out_ch: int, convs: int, batch_norm: bool, pool: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(convs):
        layers.append(nn.Conv2d(in_ch if i == 0 else out_ch, out_ch, 3, padding=1,
                                bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_ch))
        layers.append(nn.ReLU(inplace=True))
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


def vgg_blocks(in_channels: int, widths: Sequence[int], num_classes: int, hidden: int,
               convs_per_block: int | Sequence[int] = 2, batch_norm: bool = True,
               pool: Sequence[bool] | None = None) -> nn.Sequential:
    """``nn.Sequential(block_1, …, block_k, head)``: each block is ``convs`` × (3×3 conv, BN,
    ReLU) then a 2×2 max-pool; the head is global average pooling, flatten,
    ``Linear(widths[-1], hidden)``, ReLU, ``Linear(hidden, num_classes)``.

    Every child is one NetGraft block, so ``BlockPartition(list(model))`` partitions it.
    """
    widths = list(widths)
    if not widths:
        raise ValueError("widths must name at least one block")
    if isinstance(convs_per_block, int):
        convs = [convs_per_block] * len(widths)
    else:
        convs = list(convs_per_block)
    pool = [True] * len(widths) if pool is None else list(pool)
    if len(convs) != len(widths) or len(pool) != len(widths):
        raise ValueError(f"convs_per_block and pool need {len(widths)} entries")
    blocks: list[nn.Module] = []
    prev = in_channels
    for width, n_conv, p in zip(widths, convs, pool, strict=True):
        blocks.append(_conv_block(prev, width, n_conv, batch_norm, p))
        prev = width
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(prev, hidden),
                         nn.ReLU(inplace=True), nn.Linear(hidden, num_classes))
    return nn.Sequential(*blocks, head)


def count_parameters(model: nn.Module) -> int:
    """All parameters (trainable or frozen)."""
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def count_macs(model: nn.Module, example: torch.Tensor) -> int:
    """Multiply-accumulates of the convolutions and linear layers for one input image
    (``example`` is a ``(1, C, H, W)`` batch)."""
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            per_out = module.in_channels // module.groups * kh * kw
            total += output[0].numel() * per_out
        elif isinstance(module, nn.Linear):
            total += module.in_features * module.out_features

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, nn.Conv2d | nn.Linear)]
    was_training = model.training
    model.eval()
    try:
        model(example[:1])
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return total
