"""Small reference networks used by the ``osgan`` and ``dfad`` recipes (32×32 grey images).

* :class:`DCGANGenerator32` / :class:`DCGANDiscriminator32`: DCGAN (Radford et al., arXiv
  1511.06434) at 32×32 with base width ``ch``; the discriminator's normalisation is selectable
  because one-stage training with an asymmetric loss needs per-sample independence (GroupNorm or
  none; BatchNorm in train mode breaks it).
* :class:`LeNet5` (LeCun et al. 1998) with a width factor: ``width=1`` is DFAD's teacher,
  ``width=0.5`` its "LeNet-5-half" student.
* :class:`DFADGenerator`: DFAD's generator (upsampling convolutions, tanh, then a non-affine
  BatchNorm that standardises the images).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

__all__ = ["DCGANGenerator32", "DCGANDiscriminator32", "LeNet5", "DFADGenerator", "dcgan_init"]


def dcgan_init(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights N(0, 0.02), norm weights N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d | nn.GroupNorm) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class DCGANGenerator32(nn.Module):
    """z (B, zdim) → 4ch×4×4 → 2ch×8×8 → ch×16×16 → channels×32×32, BatchNorm + ReLU, tanh."""

    def __init__(self, zdim: int = 64, ch: int = 32, channels: int = 1):
        super().__init__()
        self.zdim = zdim
        self.net = nn.Sequential(
            nn.ConvTranspose2d(zdim, 4 * ch, 4, 1, 0, bias=False), nn.BatchNorm2d(4 * ch),
            nn.ReLU(True),
            nn.ConvTranspose2d(4 * ch, 2 * ch, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * ch),
            nn.ReLU(True),
            nn.ConvTranspose2d(2 * ch, ch, 4, 2, 1, bias=False), nn.BatchNorm2d(ch), nn.ReLU(True),
            nn.ConvTranspose2d(ch, channels, 4, 2, 1), nn.Tanh(),
        )
        dcgan_init(self)

    def forward(self, z: Tensor) -> Tensor:
        if z.dim() != 2 or z.shape[1] != self.zdim:
            raise ValueError(f"expected noise of shape (B, {self.zdim}), got {tuple(z.shape)}")
        return self.net(z[:, :, None, None])


def _norm(kind: str, c: int) -> nn.Module:
    if kind == "group":
        return nn.GroupNorm(min(8, c), c)
    if kind == "batch":
        return nn.BatchNorm2d(c)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be 'group', 'batch' or 'none', got {kind!r}")


class DCGANDiscriminator32(nn.Module):
    """channels×32×32 → ch×16×16 → 2ch×8×8 → 4ch×4×4 → one logit per sample, shape (B,)."""

    def __init__(self, ch: int = 32, channels: int = 1,
                 norm: Literal["group", "batch", "none"] = "group"):
        super().__init__()
        self.channels = channels
        self.net = nn.Sequential(
            nn.Conv2d(channels, ch, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ch, 2 * ch, 4, 2, 1, bias=norm == "none"), _norm(norm, 2 * ch),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * ch, 4 * ch, 4, 2, 1, bias=norm == "none"), _norm(norm, 4 * ch),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(4 * ch, 1, 4, 1, 0),
        )
        dcgan_init(self)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1:] != (self.channels, 32, 32):
            raise ValueError(f"expected images of shape (B, {self.channels}, 32, 32), "
                             f"got {tuple(x.shape)}")
        return self.net(x).flatten()


class LeNet5(nn.Module):
    """LeNet-5 for 1×32×32 inputs; ``width`` scales every layer (0.5 = DFAD's student).

    ``features(x)`` returns the penultimate activations (used for Fréchet distances).
    """

    def __init__(self, num_classes: int = 10, width: float = 1.0, channels: int = 1):
        super().__init__()
        c1, c2, f1, f2 = (max(1, round(v * width)) for v in (6, 16, 120, 84))
        self.body = nn.Sequential(
            nn.Conv2d(channels, c1, 5), nn.ReLU(True), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 5), nn.ReLU(True), nn.MaxPool2d(2),
            nn.Conv2d(c2, f1, 5), nn.ReLU(True), nn.Flatten(),
            nn.Linear(f1, f2), nn.ReLU(True),
        )
        self.head = nn.Linear(f2, num_classes)
        self.channels = channels

    def features(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1:] != (self.channels, 32, 32):
            raise ValueError(f"expected images of shape (B, {self.channels}, 32, 32), "
                             f"got {tuple(x.shape)}")
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


class DFADGenerator(nn.Module):
    """DFAD's generator: linear → ch×8×8, two (upsample, 3×3 conv, BatchNorm, LeakyReLU) blocks,
    3×3 conv to ``channels``, tanh, then BatchNorm without affine parameters."""

    def __init__(self, zdim: int = 100, ch: int = 64, channels: int = 1):
        super().__init__()
        self.zdim, self.ch = zdim, ch
        self.fc = nn.Linear(zdim, ch * 8 * 8)
        self.net = nn.Sequential(
            nn.BatchNorm2d(ch), nn.Upsample(scale_factor=2),
            nn.Conv2d(ch, ch, 3, 1, 1, bias=False), nn.BatchNorm2d(ch), nn.LeakyReLU(0.2, True),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(ch, ch // 2, 3, 1, 1, bias=False), nn.BatchNorm2d(ch // 2),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ch // 2, channels, 3, 1, 1), nn.Tanh(),
            nn.BatchNorm2d(channels, affine=False),
        )

    def forward(self, z: Tensor) -> Tensor:
        if z.dim() != 2 or z.shape[1] != self.zdim:
            raise ValueError(f"expected noise of shape (B, {self.zdim}), got {tuple(z.shape)}")
        return self.net(self.fc(z).view(-1, self.ch, 8, 8))


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


__all__.append("count_parameters")


@torch.no_grad()
def sample_images(generator: nn.Module, n: int, zdim: int, gen: torch.Generator | None = None,
                  device: torch.device | str = "cpu", batch: int = 500) -> Tensor:
    """``n`` images from ``generator`` in eval mode (restoring its mode afterwards)."""
    was = generator.training
    generator.eval()
    out = []
    for start in range(0, n, batch):
        m = min(batch, n - start)
        z = torch.randn(m, zdim, generator=gen).to(device)
        out.append(generator(z).cpu())
    generator.train(was)
    return torch.cat(out)


__all__.append("sample_images")
