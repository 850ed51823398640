"""Scores of attribution maps against ground-truth regions and against the model itself.

Maps are non-negative relevance maps ``(B, H, W)`` or ``(B, 1, H, W)`` (reduce signed attributions
first, e.g. ``sum_c |A|``); ground truth is a boolean mask of the same spatial shape.

* energy in box (relevance mass accuracy, Arras et al. 2022; Grad-CAM++'s "energy-based pointing
  game"): ``sum(map * mask) / sum(map)``; a uniform map scores the mask's area fraction.
* pointing game (Zhang et al., Excitation Backprop, 2016): a hit if the map's maximum lies within
  ``tolerance`` pixels (Euclidean) of the mask. Ties among maximal pixels count fractionally (the
  expected hit under a random choice among them), so a constant map scores the area fraction.
* deletion / insertion AUC (Petsiuk et al., RISE, 2018): pixels are removed from the image (set
  to the reference) / revealed on the reference in decreasing order of relevance, in ``steps``
  equal chunks; the model's probability of the target class is recorded after each chunk and the
  area under that curve over the removed fraction in [0, 1] (trapezoid rule) is the score.
  Deletion: lower is better; insertion: higher is better.
* sanity check (Adebayo et al., 2018, model-parameter randomisation): the Spearman rank
  correlation between each image's map before and after randomising the model's top layers;
  a map that explains the model must change (low correlation).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn


def _spatial(maps: torch.Tensor, name: str = "maps") -> torch.Tensor:
    if maps.dim() == 4:
        if maps.shape[1] != 1:
            raise ValueError(f"{name}: expected (B, H, W) or (B, 1, H, W), got channels "
                             f"{maps.shape[1]}; reduce over channels first")
        maps = maps[:, 0]
    if maps.dim() != 3:
        raise ValueError(f"{name}: expected (B, H, W) or (B, 1, H, W), got shape "
                         f"{tuple(maps.shape)}")
    return maps


def _check_pair(maps: torch.Tensor, masks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    maps, masks = _spatial(maps), _spatial(masks, "masks").bool()
    if maps.shape != masks.shape:
        raise ValueError(f"maps {tuple(maps.shape)} and masks {tuple(masks.shape)} differ")
    if (maps < 0).any():
        raise ValueError("maps must be non-negative relevance (reduce with |.| or clamp first)")
    return maps, masks


def box_masks(boxes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Boolean ``(B, H, W)`` masks of boxes ``(top, left, bottom, right)``, ends exclusive."""
    if boxes.dim() != 2 or boxes.shape[1] != 4:
        raise ValueError(f"boxes: expected (B, 4), got {tuple(boxes.shape)}")
    rows = torch.arange(height, device=boxes.device).view(1, -1, 1)
    cols = torch.arange(width, device=boxes.device).view(1, 1, -1)
    t, l_, b, r = (boxes[:, i].view(-1, 1, 1) for i in range(4))
    return (rows >= t) & (rows < b) & (cols >= l_) & (cols < r)


def energy_in_box(maps: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Per-image ``sum(map * mask) / sum(map)`` (``(B,)``; an all-zero map scores 0)."""
    maps, masks = _check_pair(maps, masks)
    inside = (maps * masks).flatten(1).sum(1)
    total = maps.flatten(1).sum(1)
    return torch.where(total > 0, inside / total.clamp_min(1e-30), torch.zeros_like(total))


def pointing_game(maps: torch.Tensor, masks: torch.Tensor, tolerance: float = 0.0
                  ) -> torch.Tensor:
    """Per-image hit in [0, 1]: the fraction of the map's maximal pixels lying within
    ``tolerance`` px (Euclidean) of the mask (1/0 when the maximum is unique)."""
    maps, masks = _check_pair(maps, masks)
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    region = masks
    if tolerance > 0:
        r = int(tolerance)
        offs = torch.arange(-r, r + 1, device=maps.device, dtype=torch.float32)
        disk = ((offs.view(-1, 1) ** 2 + offs.view(1, -1) ** 2) <= tolerance ** 2).float()
        region = F.conv2d(masks.float().unsqueeze(1), disk[None, None], padding=r)[:, 0] > 0
    flat = maps.flatten(1)
    top = flat == flat.amax(1, keepdim=True)
    return (top & region.flatten(1)).sum(1).float() / top.sum(1).float()


@torch.no_grad()
def deletion_insertion_curves(model: nn.Module, inputs: torch.Tensor, maps: torch.Tensor,
                              target: torch.Tensor, steps: int = 16,
                              reference: torch.Tensor | None = None, batch_size: int = 256
                              ) -> tuple[torch.Tensor, torch.Tensor]:
    """Target-class probabilities ``(B, steps + 1)`` for deletion and for insertion.

    Column ``k`` has the ``round(k / steps * H * W)`` most relevant pixels removed (deletion) or
    revealed (insertion), all channels at once; ``reference`` defaults to zeros. Ties in the map
    are ordered by pixel index (stable sort).
    """
    maps = _spatial(maps)
    if inputs.dim() != 4 or inputs.shape[0] != maps.shape[0] or inputs.shape[2:] != maps.shape[1:]:
        raise ValueError(f"inputs (B, C, H, W) must match maps {tuple(maps.shape)}, got "
                         f"{tuple(inputs.shape)}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    b, _, h, w = inputs.shape
    ref = torch.zeros_like(inputs) if reference is None else reference.to(inputs).expand_as(inputs)
    order = maps.flatten(1).argsort(dim=1, descending=True, stable=True)
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(h * w, device=order.device).expand(b, -1))
    rank = rank.view(b, 1, h, w)
    counts = [round(k / steps * h * w) for k in range(steps + 1)]
    target = torch.as_tensor(target, device=inputs.device).long().view(-1)
    curves = {"deletion": [], "insertion": []}
    for kind in curves:
        images = []
        for n in counts:
            chosen = (rank < n).to(inputs.dtype)
            images.append(inputs * (1 - chosen) + ref * chosen if kind == "deletion"
                          else ref * (1 - chosen) + inputs * chosen)
        stack = torch.stack(images, 1).flatten(0, 1)           # (B * (steps + 1), C, H, W)
        probs = torch.cat([F.softmax(model(chunk), 1) for chunk in stack.split(batch_size)])
        tgt = target.repeat_interleave(steps + 1)
        curves[kind] = probs.gather(1, tgt.view(-1, 1)).view(b, steps + 1)
    return curves["deletion"], curves["insertion"]


def localisation_scores(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
                        masks: torch.Tensor, maps: torch.Tensor, curve_steps: int = 16,
                        tolerance: float = 0.0) -> tuple[dict[str, float], torch.Tensor,
                                                         torch.Tensor]:
    """Mean ``energy``, ``pointing`` (with ``tolerance``), ``deletion_auc`` and ``insertion_auc``
    of ``maps`` over the batch, and the mean deletion and insertion curves."""
    deletion, insertion = deletion_insertion_curves(model, inputs, maps, targets,
                                                    steps=curve_steps)
    scores = {"energy": float(energy_in_box(maps, masks).mean()),
              "pointing": float(pointing_game(maps, masks, tolerance).mean()),
              "deletion_auc": float(curve_auc(deletion).mean()),
              "insertion_auc": float(curve_auc(insertion).mean())}
    return scores, deletion.mean(0), insertion.mean(0)


def curve_auc(curves: torch.Tensor) -> torch.Tensor:
    """Trapezoid area under ``(B, K + 1)`` curves sampled evenly on [0, 1] (``(B,)``)."""
    if curves.dim() != 2 or curves.shape[1] < 2:
        raise ValueError(f"curves: expected (B, K + 1) with K >= 1, got {tuple(curves.shape)}")
    return torch.trapezoid(curves, dx=1.0 / (curves.shape[1] - 1), dim=1)


def spearman(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-row Spearman rank correlation of ``(B, ...)`` tensors (average ranks for ties; a
    constant row gives NaN, as in ``scipy.stats.spearmanr``)."""
    from scipy.stats import rankdata

    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {tuple(a.shape)} vs {tuple(b.shape)}")
    ra = torch.from_numpy(rankdata(a.flatten(1).double().cpu().numpy(), axis=1))
    rb = torch.from_numpy(rankdata(b.flatten(1).double().cpu().numpy(), axis=1))
    ra, rb = ra - ra.mean(1, keepdim=True), rb - rb.mean(1, keepdim=True)
    return ((ra * rb).sum(1) / (ra.norm(dim=1) * rb.norm(dim=1))).float()


@torch.no_grad()
def randomize_layers(model: nn.Module, names: Iterable[str], generator: torch.Generator
                     ) -> nn.Module:
    """A deep copy of ``model`` whose named submodules' weights are re-drawn
    ``N(0, std(original)^2)`` (biases: zeros; normalisation layers: reset to weight 1, bias 0),
    as in Adebayo et al.'s cascading randomisation of the top layers."""
    names = list(names)
    clone = copy.deepcopy(model)
    modules = dict(clone.named_modules())
    missing = [n for n in names if n not in modules]
    if missing or not names:
        raise ValueError(f"randomize_layers: no submodule(s) {missing or names}; known: "
                         f"{', '.join(n for n in modules if n)}")
    for name in names:
        for sub in modules[name].modules():
            if isinstance(sub, nn.modules.batchnorm._NormBase | nn.GroupNorm | nn.LayerNorm):
                if getattr(sub, "weight", None) is not None:   # running statistics kept
                    sub.weight.fill_(1.0)
                if getattr(sub, "bias", None) is not None:
                    sub.bias.zero_()
                continue
            for p in sub.parameters(recurse=False):
                if p.dim() < 2:
                    p.zero_()
                else:
                    std = float(p.std()) or 0.1
                    p.copy_(torch.randn(p.shape, generator=generator).to(p) * std)
    return clone


def edge_map(inputs: torch.Tensor) -> torch.Tensor:
    """Image-gradient magnitude ``sum_c sqrt(Sobel_x^2 + Sobel_y^2)``, ``(B, 1, H, W)``: a map
    that ignores the model (the sanity check's negative control)."""
    if inputs.dim() != 4:
        raise ValueError(f"inputs: expected (B, C, H, W), got {tuple(inputs.shape)}")
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]).to(inputs)
    c = inputs.shape[1]
    weight = torch.stack([kx, kx.t()]).unsqueeze(1).repeat(c, 1, 1, 1)   # (2C, 1, 3, 3)
    g = F.conv2d(F.pad(inputs, (1, 1, 1, 1), mode="replicate"), weight, groups=c)
    g = g.view(inputs.shape[0], c, 2, *inputs.shape[2:])
    return g.pow(2).sum(2).sqrt().sum(1, keepdim=True)
