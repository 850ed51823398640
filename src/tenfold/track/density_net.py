r"""A small fully convolutional density estimator and its resumable trainer.

Counting by density (Lempitsky and Zisserman, NIPS 2010): a network :math:`F_\theta` maps an
image to a map on the tracker's cell grid and is trained with the pixel-wise squared error
against dot annotations convolved with a normalised Gaussian,

.. math::

    \mathcal{L}(\theta) = \frac{1}{N} \sum_n \lVert F_\theta(I_n) - s\,D_n \rVert_2^2,

so that :math:`\sum_p F_\theta(I)(p) / s` estimates the count. ``s`` (``target_scale``) only
rescales the small density values for the optimiser. The architecture of the paper's estimator
was not available to us; this is a U-Net-like encoder-decoder (Ronneberger et al. 2015) with one
skip connection, at the cell resolution ``1 / 2^downsample`` of the input.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True))


class DensityFCN(nn.Module):
    """Image ``(B, C, H, W)`` to density ``(B, H / 2^downsample, W / 2^downsample)``.

    Args:
        in_channels: image channels.
        width: channels of the first block (doubled after each pooling).
        downsample: number of 2x poolings between the image and the cell grid (>= 1).
    """

    def __init__(self, in_channels: int = 1, width: int = 16, downsample: int = 2):
        super().__init__()
        if downsample < 1 or width < 1 or in_channels < 1:
            raise ValueError("in_channels, width and downsample must be >= 1")
        self.downsample = downsample
        chans = [width * 2 ** i for i in range(downsample + 1)]
        self.stem = _block(in_channels, chans[0])
        self.down = nn.ModuleList(_block(chans[i], chans[i + 1]) for i in range(downsample))
        self.bottom = _block(chans[-1], chans[-1])
        self.fuse = _block(2 * chans[-1], chans[-1])
        self.head = nn.Conv2d(chans[-1], 1, 1)

    def forward(self, image: Tensor) -> Tensor:
        if image.ndim != 4:
            raise ValueError(f"image must be (B, C, H, W), got {tuple(image.shape)}")
        factor = 2 ** self.downsample
        if image.shape[-2] % factor or image.shape[-1] % factor:
            raise ValueError(f"image height and width must be multiples of {factor}, got "
                             f"{tuple(image.shape[-2:])}")
        h = self.stem(image)
        for block in self.down:
            h = block(F.max_pool2d(h, 2))
        deep = self.bottom(F.max_pool2d(h, 2))
        deep = F.interpolate(deep, size=h.shape[-2:], mode="bilinear", align_corners=False)
        return self.head(self.fuse(torch.cat([h, deep], 1)))[:, 0]

    @torch.no_grad()
    def predict(self, images: Tensor, target_scale: float, batch_size: int = 16) -> Tensor:
        """Density maps of ``images`` in count units (divided by ``target_scale``, clipped at 0)."""
        was = self.training
        self.eval()
        out = torch.cat([self(images[i:i + batch_size]) for i in range(0, len(images),
                                                                          batch_size)])
        self.train(was)
        return (out / target_scale).clamp_min(0)


class DensityTrainer:
    """One epoch of shuffled mini-batch MSE per ``step()`` (a :class:`Stepper` for
    ``ctx.fit``). Shuffling uses ``generator``, whose state is checkpointed."""

    def __init__(self, model: nn.Module, images: Tensor, targets: Tensor,
                 optimizer: torch.optim.Optimizer, max_epochs: int, batch_size: int = 8,
                 target_scale: float = 100.0, generator: torch.Generator | None = None,
                 backward=None):
        if len(images) != len(targets) or len(images) == 0:
            raise ValueError(f"need as many targets as images (> 0), got {len(images)} images "
                             f"and {len(targets)} targets")
        self.model, self.images, self.targets = model, images, targets
        self.optimizer, self.max_epochs = optimizer, max_epochs
        self.batch_size, self.target_scale = batch_size, target_scale
        self.generator = generator or torch.Generator().manual_seed(0)
        self.backward = backward or (lambda loss: loss.backward())
        self.epoch = 0

    @property
    def stopped(self) -> bool:
        return self.epoch >= self.max_epochs

    def step(self) -> dict[str, float]:
        self.model.train()
        order = torch.randperm(len(self.images), generator=self.generator)
        total, count_err = 0.0, 0.0
        for i in range(0, len(order), self.batch_size):
            idx = order[i:i + self.batch_size]
            pred = self.model(self.images[idx])
            target = self.targets[idx].to(pred.dtype) * self.target_scale
            loss = F.mse_loss(pred, target)
            self.optimizer.zero_grad()
            self.backward(loss)
            self.optimizer.step()
            total += float(loss.detach()) * len(idx)
            count_err += float((pred.detach().sum((1, 2)) - target.sum((1, 2))).abs().sum()
                               / self.target_scale)
        self.epoch += 1
        n = len(self.images)
        return {"loss": total / n, "count_mae": count_err / n}

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "epoch": self.epoch, "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.epoch = state["epoch"]
        self.generator.set_state(state["generator"])
