"""Baseline attribution maps, all reduced to non-negative ``(B, 1, H, W)`` relevance.

Gradient-type baselines come from Captum (``Saliency``, ``GuidedBackprop``, ``Deconvolution``,
``LayerGradCam`` + ``LayerAttribution.interpolate``, ``IntegratedGradients``); Captum is the
optional extra ``tenfold[explain]`` and is imported only when one of these is called. ``random``
and ``edge`` need no model gradient.
"""

from __future__ import annotations

import importlib
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from tenfold.explain.metrics import edge_map

CAPTUM_METHODS = ("gradient", "guided", "deconvnet", "gradcam", "ig")
BASELINES = ("random", "edge", *CAPTUM_METHODS)


def require_captum():
    """The ``captum.attr`` module, or an ImportError saying how to install it."""
    try:
        return importlib.import_module("captum.attr")
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("this needs Captum: pip install 'tenfold[explain]' "
                          "(or pip install captum)") from err


def baseline_map(method: str, model: nn.Module, inputs: torch.Tensor, target: torch.Tensor,
                 layer: nn.Module | None = None, ig_steps: int = 32,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """The ``(B, 1, H, W)`` relevance map of a baseline ``method`` for class ``target``.

    ``gradient`` / ``guided`` / ``deconvnet`` / ``ig``: ``sum_c |attribution|``; ``ig`` uses the
    zero baseline and ``ig_steps`` Gauss-Legendre steps; ``gradcam``: Captum's ``LayerGradCam``
    at ``layer`` (ReLU'd), bilinearly upsampled to the input size; ``random``: U(0, 1) noise from
    ``generator``; ``edge``: the Sobel magnitude of the image (ignores the model).
    """
    if inputs.dim() != 4:
        raise ValueError(f"inputs: expected (B, C, H, W), got {tuple(inputs.shape)}")
    if method == "random":
        b, _, h, w = inputs.shape
        return torch.rand((b, 1, h, w), generator=generator).to(inputs.device)
    if method == "edge":
        return edge_map(inputs)
    if method not in CAPTUM_METHODS:
        raise ValueError(f"method: expected one of {', '.join(BASELINES)}, got {method!r}")
    attr = require_captum()
    x = inputs.detach().requires_grad_(True)   # Captum warns when it has to set this itself
    if method == "gradient":
        out = attr.Saliency(model).attribute(x, target=target, abs=True)
    elif method in ("guided", "deconvnet"):
        cls = attr.GuidedBackprop if method == "guided" else attr.Deconvolution
        with warnings.catch_warnings():   # its notice that ReLU hooks are set (and removed)
            warnings.filterwarnings("ignore", message="Setting backward hooks on ReLU")
            out = cls(model).attribute(x, target=target)
    elif method == "ig":
        out = attr.IntegratedGradients(model).attribute(x, target=target, n_steps=ig_steps)
    else:
        if layer is None:
            raise ValueError("gradcam needs layer= (the last convolutional stage)")
        cam = attr.LayerGradCam(model, layer).attribute(x, target=target, relu_attributions=True)
        cam = attr.LayerAttribution.interpolate(cam, tuple(x.shape[2:]), "bilinear")
        return F.relu(cam.sum(1, keepdim=True)).detach()
    return out.abs().sum(1, keepdim=True).detach()
