"""Batch mixing transforms with one signature: ``x_mix, targets = mix(x, y, model=None)``.

``x`` is a ``(B, C, H, W)`` float batch, ``y`` a ``(B,)`` integer label batch, ``targets`` a
``(B, num_classes)`` soft-target matrix for :func:`tenfold.augment.soft_target_cross_entropy`.
Each transform mixes the whole batch with probability ``prob`` (one decision per batch), pairs
image ``i`` with image ``perm[i]`` for a random permutation ``perm`` (as the SnapMix code does;
torchvision and timm pair by rolling/flipping the batch) and never modifies its input in place.
Randomness comes from the ``generator`` given at construction (a CPU ``torch.Generator``).
After each call ``last_info`` (a :class:`MixInfo`) says what was done.

No transform synchronises the host with an accelerator: the random draws (coin, permutation,
lambdas, boxes) are made on the host from the CPU generator, the permutation goes to the device
with a non-blocking copy, and everything computed from the batch stays on the batch's device.

Baselines of SnapMix (arXiv 2012.04846):

* :class:`MixUp` (Zhang et al., arXiv 1710.09412): ``x~ = lam x_a + (1 - lam) x_b``,
  ``t = lam e_{y_a} + (1 - lam) e_{y_b}``, ``lam ~ Beta(alpha, alpha)``.
* :class:`CutMix` (Yun et al., arXiv 1905.04899): the box ``A`` of ``x_a`` is replaced by the same
  box of ``x_b``; ``t = (1 - |A|/HW) e_{y_a} + |A|/HW e_{y_b}`` (``lam`` corrected to the
  clipped box).
* :class:`AsymmetricCutMix` (the ``as_cutmix`` ablation of the SnapMix code): equal-sized boxes
  at *different* places in the two images, area labels as CutMix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from tenfold.augment.boxes import Box, box_area, random_box, sample_beta


@dataclass
class MixInfo:
    """What one call of a mixing transform did.

    ``weight_a``/``weight_b`` are the per-image label weights of ``y`` and ``y[perm]`` (on the
    batch's device); the soft target of image ``i`` is
    ``weight_a[i] e_{y_i} + weight_b[i] e_{y_{perm_i}}``. ``perm`` is on the CPU, as drawn.
    """

    mixed: bool
    perm: torch.Tensor
    weight_a: torch.Tensor
    weight_b: torch.Tensor
    lam_a: float | None = None
    lam_b: float | None = None
    box_a: Box | None = None
    box_b: Box | None = None
    extra: dict = field(default_factory=dict)


def check_batch(x: torch.Tensor, y: torch.Tensor, num_classes: int | None = None) -> None:
    """Raise ``ValueError`` unless ``x`` is ``(B, C, H, W)`` float and ``y`` is ``(B,)`` integer."""
    if x.dim() != 4 or not torch.is_floating_point(x):
        raise ValueError(f"x must be a float tensor of shape (B, C, H, W), got "
                         f"{tuple(x.shape)} {x.dtype}")
    if y.shape != (x.shape[0],) or torch.is_floating_point(y):
        raise ValueError(f"y must be an integer tensor of shape (B={x.shape[0]},), got "
                         f"{tuple(y.shape)} {y.dtype}")
    if x.shape[0] == 0:
        raise ValueError("the batch is empty")
    # The label range is checked on the host only: reading it from an accelerator would
    # synchronise; there F.one_hot's device-side assert catches bad labels instead.
    if num_classes is not None and y.device.type == "cpu" and (
            int(y.min()) < 0 or int(y.max()) >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}), got range "
                         f"[{int(y.min())}, {int(y.max())}]")


def to_device(index: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``index`` (drawn on the host) on ``device`` without a blocking host-to-device copy."""
    return index.to(device, non_blocking=True)


def pair_targets(y_a: torch.Tensor, y_b: torch.Tensor, weight_a: torch.Tensor,
                 weight_b: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Soft targets ``w_a e_{y_a} + w_b e_{y_b}`` (rows sum to ``w_a + w_b``), float32."""
    dev = y_a.device
    return (weight_a.to(dev, torch.float32).unsqueeze(1) * F.one_hot(y_a, num_classes)
            + weight_b.to(dev, torch.float32).unsqueeze(1) * F.one_hot(y_b, num_classes))


def paste(x: torch.Tensor, source: torch.Tensor, box_a: Box, box_b: Box) -> torch.Tensor:
    """A copy of ``x`` whose box ``box_a`` holds ``source``'s box ``box_b`` resized to fit.

    The resize is bilinear with ``align_corners=True`` (an exact copy when both boxes have the
    same size). Pixels outside ``box_a`` are untouched.
    """
    out = x.clone()
    ta, la, ba, ra = box_a
    tb, lb, bb, rb = box_b
    patch = source[:, :, tb:bb, lb:rb]
    if (ba - ta, ra - la) != (bb - tb, rb - lb):
        patch = F.interpolate(patch, size=(ba - ta, ra - la), mode="bilinear",
                              align_corners=True)
    out[:, :, ta:ba, la:ra] = patch.to(out.dtype)
    return out


def _area_info(mixed: bool, perm: torch.Tensor, frac: float, x: torch.Tensor, lam: float,
               box_a: Box, box_b: Box) -> MixInfo:
    """CutMix-style record: weights ``1 - frac`` and ``frac`` for every image, on x's device."""
    b, dev = x.shape[0], x.device
    return MixInfo(mixed, perm, torch.full((b,), 1.0 - frac, device=dev),
                   torch.full((b,), frac, device=dev), lam_a=lam, box_a=box_a, box_b=box_b)


class _BatchMix:
    """Shared plumbing: argument checks, the per-batch coin, the pairing permutation."""

    def __init__(self, num_classes: int, prob: float, generator: torch.Generator | None):
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"prob must lie in [0, 1], got {prob}")
        self.num_classes = num_classes
        self.prob = prob
        self.generator = generator
        self.last_info: MixInfo | None = None

    def _coin(self) -> bool:
        if self.prob >= 1.0:
            return True
        if self.prob <= 0.0:
            return False
        return bool(torch.rand((), generator=self.generator).item() < self.prob)

    def _perm(self, batch: int) -> torch.Tensor:
        return torch.randperm(batch, generator=self.generator)

    def _identity(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b = x.shape[0]
        self.last_info = MixInfo(False, torch.arange(b), torch.ones(b, device=x.device),
                                 torch.zeros(b, device=x.device))
        return x, F.one_hot(y, self.num_classes).float()

    def _finish(self, x_mix: torch.Tensor, y: torch.Tensor, info: MixInfo
                ) -> tuple[torch.Tensor, torch.Tensor]:
        self.last_info = info
        perm = to_device(info.perm, y.device)
        return x_mix, pair_targets(y, y[perm], info.weight_a, info.weight_b, self.num_classes)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in vars(self).items()
                         if k not in {"generator", "last_info"} and not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class MixUp(_BatchMix):
    """MixUp: convex combination of two images and of their one-hot labels.

    Args:
        num_classes: width of the soft targets.
        alpha: ``lam ~ Beta(alpha, alpha)``.
        prob: probability that a batch is mixed (else returned unchanged with one-hot targets).
        generator: CPU ``torch.Generator`` for every random draw.
    """

    def __init__(self, num_classes: int, alpha: float = 1.0, prob: float = 1.0,
                 generator: torch.Generator | None = None):
        super().__init__(num_classes, prob, generator)
        if alpha <= 0:
            raise ValueError(f"alpha must be > 0, got {alpha}")
        self.alpha = alpha

    def __call__(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        check_batch(x, y, self.num_classes)
        if not self._coin():
            return self._identity(x, y)
        perm = self._perm(x.shape[0])
        lam = sample_beta(self.alpha, self.generator)
        x_mix = lam * x + (1.0 - lam) * x[to_device(perm, x.device)]
        b, dev = x.shape[0], x.device
        return self._finish(x_mix, y, MixInfo(True, perm, torch.full((b,), lam, device=dev),
                                              torch.full((b,), 1.0 - lam, device=dev),
                                              lam_a=lam))


class CutMix(_BatchMix):
    """CutMix: paste the same box of a partner image; labels proportional to the box area.

    Args:
        num_classes: width of the soft targets.
        beta: ``lam ~ Beta(beta, beta)``; the box covers about ``1 - lam`` of the image.
        prob: probability that a batch is mixed.
        generator: CPU ``torch.Generator``.
    """

    def __init__(self, num_classes: int, beta: float = 1.0, prob: float = 1.0,
                 generator: torch.Generator | None = None):
        super().__init__(num_classes, prob, generator)
        if beta <= 0:
            raise ValueError(f"beta must be > 0, got {beta}")
        self.beta = beta

    def __call__(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        check_batch(x, y, self.num_classes)
        if not self._coin():
            return self._identity(x, y)
        h, w = x.shape[-2:]
        perm = self._perm(x.shape[0])
        lam = sample_beta(self.beta, self.generator)
        box_a = random_box(h, w, lam, self.generator)
        box_b = self._partner_box(box_a, h, w)
        frac = box_area(box_a) / (h * w)
        x_mix = paste(x, x[to_device(perm, x.device)], box_a, box_b) if frac > 0 else x
        return self._finish(x_mix, y, _area_info(frac > 0, perm, frac, x, lam, box_a, box_b))

    def _partner_box(self, box_a: Box, h: int, w: int) -> Box:
        """Where the pasted patch comes from in the partner image: the same box."""
        return box_a


class AsymmetricCutMix(CutMix):
    """Asymmetric CutMix: equal-sized boxes at independent places, area labels.

    Box ``A`` (in ``x_a``) is drawn as in :class:`CutMix`; box ``B`` (in the partner) has the same
    size and a uniformly random place fully inside the image. This separates SnapMix's
    "asymmetric cut" from its "semantic labels" (it is the ``as_cutmix`` ablation of the official
    code).
    """

    def _partner_box(self, box_a: Box, h: int, w: int) -> Box:
        """A box of ``box_a``'s size at a uniformly random place inside the partner image."""
        bh, bw = box_a[2] - box_a[0], box_a[3] - box_a[1]
        top = int(torch.randint(0, h - bh + 1, (1,), generator=self.generator).item())
        left = int(torch.randint(0, w - bw + 1, (1,), generator=self.generator).item())
        return (top, left, top + bh, left + bw)
