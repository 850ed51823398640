"""The mid-level classifier of SnapMix's "baseline+" (official code, ``--midlevel``).

A second head reads an intermediate stage of a ResNet (``layer3`` for torchvision ResNets):

    z_mid = Linear( GMP( ReLU( Conv1x1( stopgrad(F_mid) ) ) ) )

(``stopgrad`` when ``detach=True``, the official default, so this head does not train the
backbone; GMP = global max pooling). It is trained with the same (mixed) targets as the main head,
``loss = CE(z, t) + CE(z_mid, t)``, and the prediction is ``z + z_mid``. SnapMix's CAM still comes
from the last stage and the main head.
"""

from __future__ import annotations

import torch
from torch import nn


class MidLevelHead(nn.Module):
    """``Conv1x1 -> ReLU -> global max pool -> Linear`` on ``(B, C, h, w)`` features."""

    def __init__(self, in_channels: int, num_classes: int, detach: bool = True):
        super().__init__()
        self.detach = detach
        self.conv = nn.Conv2d(in_channels, in_channels, 1)
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if features.dim() != 4 or features.shape[1] != self.conv.in_channels:
            raise ValueError(f"features must have shape (B, {self.conv.in_channels}, h, w), "
                             f"got {tuple(features.shape)}")
        if self.detach:
            features = features.detach()
        return self.fc(torch.relu(self.conv(features)).amax(dim=(2, 3)))


class MidLevelResNet(nn.Module):
    """Wrap a torchvision-style ResNet: ``forward(x) -> (logits, mid_logits)``.

    Args:
        model: a classifier with a submodule ``mid_layer`` (e.g. torchvision ``resnet18``).
        num_classes: classes of the mid-level head.
        mid_layer: name of the module whose output feeds the mid-level head.
        detach: stop gradients from the mid-level head into the backbone (official default).

    ``predict(x)`` returns ``logits + mid_logits``. SnapMix works on the wrapper unchanged
    (``cam_layer="auto"`` still finds the main pool; ``head="auto"`` must then be given the main
    head's name, e.g. ``head="model.fc"``).
    """

    def __init__(self, model: nn.Module, num_classes: int, mid_layer: str = "layer3",
                 detach: bool = True):
        super().__init__()
        modules = dict(model.named_modules())
        if mid_layer not in modules:
            raise ValueError(f"mid_layer={mid_layer!r} is not a module of the model")
        self.model = model
        self.mid_layer = mid_layer
        self._mid: list[torch.Tensor] = []
        modules[mid_layer].register_forward_hook(lambda _m, _i, out: self._mid.append(out))
        channels = self._probe_channels(modules[mid_layer])
        self.mid_head = MidLevelHead(channels, num_classes, detach)

    @staticmethod
    def _probe_channels(module: nn.Module) -> int:
        convs = [m for m in module.modules() if isinstance(m, nn.Conv2d)]
        bns = [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]
        if bns:
            return bns[-1].num_features
        if convs:
            return convs[-1].out_channels
        raise ValueError("cannot infer the mid-level width: the layer has no Conv2d/BatchNorm2d")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self._mid.clear()
        logits = self.model(x)
        if not self._mid:
            raise RuntimeError(f"{self.mid_layer} was not called in the forward pass")
        return logits, self.mid_head(self._mid[-1])

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        logits, mid = self(x)
        return logits + mid
