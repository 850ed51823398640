"""Class activation maps and SnapMix's semantic percent map (SPM), arXiv 2012.04846.

For a network ``f(x) = W · GAP(F(x)) + b`` (last convolutional features ``F`` of shape
``(B, K, h, w)``, global average pooling, linear head ``W`` of shape ``(C, K)``), the class
activation map of class ``c`` is

    CAM_c(u, v) = sum_k W[c, k] F[k, u, v] + b[c],

so that the mean of ``CAM_c`` over positions is exactly the logit of class ``c``. SnapMix uses the
CAM of the *ground-truth* class, upsampled bilinearly to the input size ``(H, W)``, shifted to be
non-negative and normalised to sum to one:

    S = (CAM - min CAM) / sum_{u,v} (CAM - min CAM).

``S(u, v)`` is the share of the image's evidence for its label found at pixel ``(u, v)``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

CamFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


def class_activation_map(features: torch.Tensor, weight: torch.Tensor,
                         bias: torch.Tensor | None, labels: torch.Tensor) -> torch.Tensor:
    """``CAM_{y_i}`` per image: ``(B, K, h, w)`` features, ``(C, K)`` head -> ``(B, h, w)``."""
    if features.dim() != 4:
        raise ValueError(f"features must have shape (B, K, h, w), got {tuple(features.shape)}")
    if weight.dim() != 2 or weight.shape[1] != features.shape[1]:
        raise ValueError(f"head weight must have shape (C, K={features.shape[1]}), "
                         f"got {tuple(weight.shape)}")
    if labels.shape != (features.shape[0],):
        raise ValueError(f"labels must have shape (B={features.shape[0]},), "
                         f"got {tuple(labels.shape)}")
    w = weight[labels].to(features.dtype)                       # (B, K)
    cam = torch.einsum("bk,bkuv->buv", w, features)
    if bias is not None:
        cam = cam + bias[labels].to(features.dtype).view(-1, 1, 1)
    return cam


def normalize_map(cam: torch.Tensor, eps: float = 0.0) -> torch.Tensor:
    """Shift each ``(B, H, W)`` map to min 0 and scale it to sum 1.

    A constant map (nothing to normalise; 0/0 in the official code) becomes the uniform map
    ``1 / (H W)``, so no NaN appears; SnapMix treats such an image with the area fallback.
    """
    if cam.dim() != 3:
        raise ValueError(f"maps must have shape (B, H, W), got {tuple(cam.shape)}")
    shifted = cam - cam.flatten(1).amin(1).view(-1, 1, 1)
    total = shifted.flatten(1).sum(1).view(-1, 1, 1)
    degenerate = ~(total > eps) | ~torch.isfinite(total)
    uniform = torch.full_like(shifted, 1.0 / (cam.shape[1] * cam.shape[2]))
    return torch.where(degenerate, uniform, shifted / torch.where(degenerate, 1.0, total))


def is_degenerate(spm: torch.Tensor, rtol: float = 1e-6) -> torch.Tensor:
    """``(B,)`` True where a map carries no spatial information (constant, or not finite)."""
    flat = spm.flatten(1)
    spread = flat.amax(1) - flat.amin(1)
    scale = flat.abs().amax(1).clamp_min(torch.finfo(flat.dtype).tiny)
    return (spread <= rtol * scale) | ~torch.isfinite(flat).all(1)


def semantic_percent_map(features: torch.Tensor, weight: torch.Tensor,
                         bias: torch.Tensor | None, labels: torch.Tensor,
                         out_size: tuple[int, int]) -> torch.Tensor:
    """SnapMix's SPM: the ground-truth CAM, upsampled to ``out_size``, non-negative, summing to 1.

    Args:
        features: ``(B, K, h, w)`` last convolutional features (the input of global pooling).
        weight: ``(C, K)`` linear head weight.
        bias: ``(C,)`` head bias or None (it cancels after the min-shift; kept for clarity).
        labels: ``(B,)`` integer ground-truth labels.
        out_size: ``(H, W)`` of the input images.

    Returns:
        ``(B, H, W)`` maps; each is ``>= 0`` and sums to 1 (a constant CAM gives the uniform map).
    """
    cam = class_activation_map(features, weight, bias, labels)
    cam = F.interpolate(cam.unsqueeze(1).float(), size=tuple(out_size), mode="bilinear",
                        align_corners=False).squeeze(1)
    return normalize_map(cam)


def find_cam_modules(model: nn.Module, cam_layer: str = "auto", head: str = "auto"
                     ) -> tuple[nn.Module, bool, nn.Linear]:
    """Locate the feature module and the linear head of a CAM-compatible classifier.

    ``cam_layer="auto"`` takes the *input* of the last global pooling module
    (``nn.AdaptiveAvgPool2d``, as in torchvision and timm ResNets); a module name takes that
    module's *output*. ``head="auto"`` takes the last ``nn.Linear``. Returns
    ``(module, use_input, head)``.
    """
    modules = dict(model.named_modules())
    if head == "auto":
        linears = [m for m in modules.values() if isinstance(m, nn.Linear)]
        if not linears:
            raise ValueError("cannot find the classifier head: the model has no nn.Linear; "
                             "pass head='<module name>' or a cam_fn")
        head_module = linears[-1]
    else:
        if head not in modules or not isinstance(modules[head], nn.Linear):
            raise ValueError(f"head={head!r} must name an nn.Linear of the model")
        head_module = modules[head]
    if cam_layer == "auto":
        pools = [m for m in modules.values() if isinstance(m, nn.AdaptiveAvgPool2d)]
        if not pools:
            raise ValueError("cannot find the global average pool (nn.AdaptiveAvgPool2d); "
                             "pass cam_layer='<module name>' or a cam_fn")
        return pools[-1], True, head_module
    if cam_layer not in modules:
        raise ValueError(f"cam_layer={cam_layer!r} is not a module of the model; "
                         f"expected one of {', '.join(n for n in modules if n)}")
    return modules[cam_layer], False, head_module


@torch.no_grad()
def model_spm(model: nn.Module, x: torch.Tensor, labels: torch.Tensor, cam_layer: str = "auto",
              head: str = "auto", cam_fn: CamFn | None = None, eval_mode: bool = False
              ) -> torch.Tensor:
    """The SPM of ``x`` for ``labels`` under ``model``: one forward pass without gradients.

    ``cam_fn(model, x, labels) -> (B, h, w)`` replaces the automatic CAM for other architectures.
    ``eval_mode=True`` runs the pass in eval mode (BatchNorm statistics not updated) and restores
    each module's training flag; the official code runs it in train mode.
    """
    flags = {m: m.training for m in model.modules()}
    if eval_mode:
        model.eval()
    try:
        if cam_fn is not None:
            cam = cam_fn(model, x, labels)
            if cam.dim() != 3 or cam.shape[0] != x.shape[0]:
                raise ValueError(f"cam_fn must return (B={x.shape[0]}, h, w) maps, "
                                 f"got {tuple(cam.shape)}")
            cam = F.interpolate(cam.unsqueeze(1).float(), size=x.shape[-2:], mode="bilinear",
                                align_corners=False).squeeze(1)
            return normalize_map(cam)
        module, use_input, head_module = find_cam_modules(model, cam_layer, head)
        captured: list[torch.Tensor] = []

        def grab(_mod, inputs, output=None):
            captured.append(inputs[0] if use_input else output)

        handle = (module.register_forward_pre_hook(grab) if use_input
                  else module.register_forward_hook(grab))
        try:
            model(x)
        finally:
            handle.remove()
        if not captured:
            raise ValueError("the CAM layer was not called during the forward pass")
        feats = captured[-1]
        return semantic_percent_map(feats.float(), head_module.weight.float(),
                                    None if head_module.bias is None else head_module.bias.float(),
                                    labels, tuple(x.shape[-2:]))
    finally:
        for m, flag in flags.items():
            m.train(flag)
