"""Template, verifier and student networks of the impression experiments, and small helpers
around them.

* :class:`Standardize` — ``(x − m) / s`` per channel, so that a network takes images in [0, 1]
  (the normalisation lives inside the template; decoding then works in pixel space).
* :func:`template_classifier` — ``Standardize`` followed by a
  :class:`tenfold.augment.models.SmallResNet` (one BasicBlock per stage, BatchNorm everywhere).
* :func:`bn_layer_count` — the BN layers of that network: the stem's, two per block, one per
  down-sampling shortcut.
* :func:`last_stage_layers` — the BN layers of the last stage (the deepest features).
* :func:`predict_labels` — arg-max classes in eval mode, batched.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from tenfold.augment.models import SmallResNet

__all__ = ["Standardize", "bn_layer_count", "last_stage_layers", "predict_labels",
           "template_classifier"]


class Standardize(nn.Module):
    """``(x − mean) / std`` per channel (buffers, so they travel with the state dict)."""

    def __init__(self, mean: Tensor, std: Tensor):
        super().__init__()
        if mean.dim() != 1 or mean.shape != std.shape:
            raise ValueError(f"Standardize: expected per-channel mean and std of one shape (C,), "
                             f"got {tuple(mean.shape)} and {tuple(std.shape)}")
        if not bool((std > 0).all()):
            raise ValueError("Standardize: std must be > 0 in every channel")
        self.register_buffer("mean", mean.view(1, -1, 1, 1).clone())
        self.register_buffer("std", std.view(1, -1, 1, 1).clone())

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.std


def template_classifier(widths: tuple[int, ...], images: Tensor, num_classes: int = 10
                        ) -> nn.Sequential:
    """``Sequential(Standardize, SmallResNet(num_classes, widths))`` with the channel statistics
    of ``images`` (N, C, H, W) in [0, 1]; ``net[1].fc`` is the classifier head."""
    if images.dim() != 4 or len(images) < 2:
        raise ValueError(f"template_classifier: expected >= 2 images (N, C, H, W), got "
                         f"{tuple(images.shape)}")
    mean, std = images.mean((0, 2, 3)), images.std((0, 2, 3)).clamp_min(1e-3)
    return nn.Sequential(Standardize(mean, std),
                         SmallResNet(num_classes, tuple(widths), images.shape[1]))


def bn_layer_count(widths: tuple[int, ...]) -> int:
    """BN layers of :func:`template_classifier`: ``1 + 2·S + (S − 1)`` for ``S`` stages."""
    if not widths:
        raise ValueError("bn_layer_count: expected at least one stage width")
    return 1 + 2 * len(widths) + (len(widths) - 1)


def last_stage_layers(layer_names: tuple[str, ...], widths: tuple[int, ...]) -> tuple[str, ...]:
    """The BN layer names of the last stage of a :func:`template_classifier` network."""
    prefix = f"1.features.{len(widths) - 1}."
    names = tuple(n for n in layer_names if n.startswith(prefix))
    if not names:
        raise ValueError(f"last_stage_layers: no BN layer starts with {prefix!r} in "
                         f"{list(layer_names)}")
    return names


@torch.no_grad()
def predict_labels(net: nn.Module, x: Tensor, batch_size: int = 256) -> Tensor:
    """Arg-max classes ``(N,)`` (on the CPU) of ``net`` in eval mode, in batches."""
    if x.dim() != 4:
        raise ValueError(f"predict_labels: expected images (N, C, H, W), got {tuple(x.shape)}")
    was = net.training
    net.eval()
    try:
        device = next(net.parameters()).device
        out = [net(x[i:i + batch_size].to(device)).argmax(1).cpu()
               for i in range(0, len(x), batch_size)]
    finally:
        net.train(was)
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)
