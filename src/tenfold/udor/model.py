"""The UDOR networks (Feng et al., arXiv 2004.01426): a convolutional auto-encoder whose code of
``K·u`` numbers is split into ``K`` parts of ``u`` dimensions, a part classifier shared by all
parts, and a WGAN critic.

Object removal zeroes one part, ``r = z ⊙ m_k`` (``m_k`` is 0 on part ``k``, 1 elsewhere), and
decodes it; swapping takes the parts ``S`` of a second image,
``Dec(z_1 ⊙ m_S + z_2 ⊙ (1 − m_S))``.

The official code uses WGAN-GP ResNet blocks with batch normalisation at 32×32 and ``tanh``
output in ``[−1, 1]``; here the encoder and decoder are plain strided (transposed) convolutions
without normalisation (so that ``Dec(0)`` does not depend on the batch), for images in ``[0, 1]``
(empty canvas = 0). The decoder's output layer is a choice: ``output="sigmoid"`` is the official
bounded output (``(tanh(a) + 1) / 2 = σ(2a)``, i.e. the official ``tanh`` on ``[−1, 1]`` mapped
affinely to ``[0, 1]``); ``output="linear"`` (the default so far) leaves it unbounded, because a
squashing output can saturate while the empty-code term drives ``Dec(0)`` to black, after which
the auto-encoder may stay at the mean image for hundreds of iterations
(docs/methods/udor.md measures both).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor, nn


def _check_images(x: Tensor, channels: int, size: int) -> None:
    if x.dim() != 4 or x.shape[1:] != (channels, size, size):
        raise ValueError(f"images: expected (B, {channels}, {size}, {size}), got {tuple(x.shape)}")


class Encoder(nn.Module):
    """``(B, C, S, S) → (B, K·u)``: three stride-2 3×3 convolutions (``ch, 2ch, 4ch``), ReLU,
    then a linear layer."""

    def __init__(self, code_dim: int, in_channels: int = 1, image_size: int = 32, ch: int = 32):
        super().__init__()
        if image_size % 8:
            raise ValueError(f"image_size: expected a multiple of 8, got {image_size}")
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, ch, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(ch, 2 * ch, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(2 * ch, 4 * ch, 3, 2, 1), nn.ReLU(),
            nn.Flatten(), nn.Linear(4 * ch * (image_size // 8) ** 2, code_dim))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


DecoderOutput = Literal["linear", "sigmoid"]


class Decoder(nn.Module):
    """``(B, K·u) → (B, C, S, S)``: linear to ``4ch × S/8 × S/8``, three stride-2 transposed
    convolutions, then the output layer: ``"linear"`` (none) or ``"sigmoid"`` (``σ(a)``, the
    official ``tanh`` output rescaled to ``[0, 1]``; see the module docstring)."""

    def __init__(self, code_dim: int, out_channels: int = 1, image_size: int = 32, ch: int = 32,
                 output: DecoderOutput = "linear"):
        super().__init__()
        if output not in ("linear", "sigmoid"):
            raise ValueError(f"output: expected 'linear' or 'sigmoid', got {output!r}")
        self.output = output
        self.ch, self.side = ch, image_size // 8
        self.fc = nn.Sequential(nn.Linear(code_dim, 4 * ch * self.side ** 2), nn.ReLU())
        self.net = nn.Sequential(
            nn.ConvTranspose2d(4 * ch, 2 * ch, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(2 * ch, ch, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(ch, out_channels, 4, 2, 1))

    def forward(self, z: Tensor) -> Tensor:
        h = self.fc(z).view(-1, 4 * self.ch, self.side, self.side)
        a = self.net(h)
        return torch.sigmoid(a) if self.output == "sigmoid" else a


class PartClassifier(nn.Module):
    """The classifier shared by every part: ``R^u → K + 1`` logits (class 0 = "no object",
    class ``k`` = category ``k``, 1-based); official: Linear(u, 9) → BN → ReLU → Linear(9, K+1).

    The batch normalisation makes the classifier invariant to the scale of the codes (without
    it the fuzzy loss is lowered by letting codes run off to ±∞, where one logit dominates, and
    the auto-encoder collapses); its statistics are taken over all parts of the batch together,
    so parts keep their location. The all-zero code of the empty-code term is a batch of equal
    rows, which BN maps to its shift (as in the official code).
    """

    def __init__(self, part_dim: int, num_parts: int, hidden: int = 9):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(part_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                 nn.Linear(hidden, num_parts + 1))

    def forward(self, parts: Tensor) -> Tensor:
        """``(B, K, u)`` or ``(B, u)`` → logits ``(B, K, K + 1)`` or ``(B, K + 1)``."""
        return self.net(parts.flatten(0, -2)).view(*parts.shape[:-1], -1)


class Critic(nn.Module):
    """WGAN critic: three stride-2 5×5 convolutions with LeakyReLU(0.2), no normalisation (as
    WGAN-GP requires), then a linear score."""

    def __init__(self, in_channels: int = 1, image_size: int = 32, ch: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, ch, 5, 2, 2), nn.LeakyReLU(0.2),
            nn.Conv2d(ch, 2 * ch, 5, 2, 2), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * ch, 4 * ch, 5, 2, 2), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(4 * ch * (image_size // 8) ** 2, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).squeeze(1)


class UDOR(nn.Module):
    """Encoder, decoder and shared part classifier with the part operations.

    Args:
        num_parts: ``K``, the number of object categories (one part each).
        part_dim: ``u``, dimensions per part (official: 1 for Multi-MNIST).
        in_channels, image_size: image shape ``(C, S, S)``; ``S`` a multiple of 8.
        ch: width of the first convolution.
        classifier_hidden: hidden units of the part classifier.
        output: the decoder's output layer, ``"linear"`` or ``"sigmoid"`` (official: bounded).
    """

    def __init__(self, num_parts: int = 3, part_dim: int = 1, in_channels: int = 1,
                 image_size: int = 32, ch: int = 32, classifier_hidden: int = 9,
                 output: DecoderOutput = "linear"):
        super().__init__()
        if num_parts < 1 or part_dim < 1:
            raise ValueError(f"num_parts and part_dim: expected ≥ 1, got {num_parts}, {part_dim}")
        self.num_parts, self.part_dim = num_parts, part_dim
        self.in_channels, self.image_size = in_channels, image_size
        code = num_parts * part_dim
        self.encoder = Encoder(code, in_channels, image_size, ch)
        self.decoder = Decoder(code, in_channels, image_size, ch, output)
        self.classifier = PartClassifier(part_dim, num_parts, classifier_hidden)

    @property
    def code_dim(self) -> int:
        return self.num_parts * self.part_dim

    def encode(self, x: Tensor) -> Tensor:
        """``(B, C, S, S) → (B, K·u)``."""
        _check_images(x, self.in_channels, self.image_size)
        return self.encoder(x)

    def decode(self, z: Tensor) -> Tensor:
        """``(B, K·u) → (B, C, S, S)``."""
        if z.dim() != 2 or z.shape[1] != self.code_dim:
            raise ValueError(f"code: expected (B, {self.code_dim}), got {tuple(z.shape)}")
        return self.decoder(z)

    def parts(self, z: Tensor) -> Tensor:
        """``(B, K·u) → (B, K, u)``."""
        return z.view(z.shape[0], self.num_parts, self.part_dim)

    def classify_parts(self, z: Tensor) -> Tensor:
        """Logits ``(B, K, K + 1)`` of the shared classifier on every part."""
        return self.classifier(self.parts(z))

    def part_mask(self, parts: Sequence[int] | int | Tensor, batch: int | None = None) -> Tensor:
        """``m`` ``(K·u,)``: 0 on the given parts, 1 elsewhere; with a ``(B,)`` tensor of part
        indices, one mask per row ``(B, K·u)``."""
        if isinstance(parts, Tensor) and parts.dim() == 1:
            if parts.numel() and (parts.min() < 0 or parts.max() >= self.num_parts):
                raise ValueError(f"parts: expected indices in [0, {self.num_parts})")
            keep = torch.ones(len(parts), self.num_parts, device=parts.device)
            keep[torch.arange(len(parts), device=parts.device), parts] = 0
            return keep.repeat_interleave(self.part_dim, dim=1)
        idx = [int(parts)] if isinstance(parts, int | Tensor) else [int(p) for p in parts]
        if any(not 0 <= p < self.num_parts for p in idx):
            raise ValueError(f"parts: expected indices in [0, {self.num_parts}), got {idx}")
        keep = torch.ones(self.num_parts)
        keep[idx] = 0
        return keep.repeat_interleave(self.part_dim)

    def remove_code(self, z: Tensor, part: int | Tensor) -> Tensor:
        """``z ⊙ m_k``: part ``k`` (an int, or one index per row) set to zero."""
        return z * self.part_mask(part).to(z)

    def remove(self, x: Tensor, part: int | Tensor) -> Tensor:
        """``Dec(E(x) ⊙ m_k)``: the image with the object of part ``k`` removed."""
        return self.decode(self.remove_code(self.encode(x), part))

    def swap_code(self, z1: Tensor, z2: Tensor, parts: Sequence[int] | int) -> Tensor:
        """``z_1 ⊙ m_S + z_2 ⊙ (1 − m_S)``: the parts ``S`` of ``z_1`` replaced by ``z_2``'s."""
        if z1.shape != z2.shape:
            raise ValueError(f"codes: expected equal shapes, got {tuple(z1.shape)}, "
                             f"{tuple(z2.shape)}")
        m = self.part_mask(parts).to(z1)
        return z1 * m + z2 * (1 - m)

    def swap(self, x1: Tensor, x2: Tensor, parts: Sequence[int] | int) -> Tensor:
        """``Dec(E(x_1) ⊙ m_S + E(x_2) ⊙ (1 − m_S))``: ``x_1`` with the objects of parts ``S``
        taken from ``x_2``."""
        return self.decode(self.swap_code(self.encode(x1), self.encode(x2), parts))

    def forward(self, x: Tensor) -> Tensor:
        """Reconstruction ``Dec(E(x))``."""
        return self.decode(self.encode(x))
