"""Impression vectors for retrieval and the feature baselines they are compared with.

An impression ``I(x) = {(μ_l(x), σ_l(x))}_l`` becomes one vector per image (see
:func:`impression_features`); the choices that change it are

* ``stats``: ``"mean+std"`` (``[μ_1, σ_1, μ_2, σ_2, ...]``), ``"mean"`` or ``"std"`` only;
* ``log_std``: use ``log σ`` instead of ``σ`` (a scale statistic is closer to normal in logs);
* ``layers``: the BN layers kept (names; default all);
* ``standardise``: z-score every dimension with the mean ``m_d`` and standard deviation ``s_d``
  of a reference set, ``z_d = (v_d − m_d) / s_d`` (``"dims"``), or keep the raw values
  (``"none"``);
* ``balance``: after standardising, divide layer ``l``'s block of ``D_l`` dimensions by
  ``sqrt(D_l)``, so that ``E‖z_l‖² = 1`` for every layer and each layer weighs the same in a
  Euclidean distance whatever its width.

:class:`ImpressionView` holds one such choice; :func:`penultimate_features` gives the classifier
head's input (the usual "deep feature" baseline).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from tenfold.impression.template import Impression

__all__ = ["ImpressionView", "impression_features", "penultimate_features", "standard_views"]


@dataclass(frozen=True)
class ImpressionView:
    """One way of turning impressions into vectors (see the module docstring)."""

    stats: Literal["mean+std", "mean", "std"] = "mean+std"
    log_std: bool = False
    layers: tuple[str, ...] | None = None
    standardise: Literal["dims", "none"] = "dims"
    balance: bool = False

    def __post_init__(self):
        if self.stats not in ("mean+std", "mean", "std"):
            raise ValueError(f"stats: expected 'mean+std', 'mean' or 'std', got {self.stats!r}")
        if self.standardise not in ("dims", "none"):
            raise ValueError(f"standardise: expected 'dims' or 'none', got {self.standardise!r}")
        if self.layers is not None and not self.layers:
            raise ValueError("layers: expected at least one BN layer name (None = all)")

    def blocks(self, impression: Impression) -> list[Tensor]:
        """The raw per-layer blocks ``(N, D_l)`` this view keeps, before standardising."""
        names = impression.layers if self.layers is None else self.layers
        unknown = [n for n in names if n not in impression.layers]
        if unknown:
            raise ValueError(f"layers: {unknown} are not BN layers of this impression "
                             f"({list(impression.layers)})")
        out = []
        for name in names:
            i = impression.layers.index(name)
            std = impression.stds[i].log() if self.log_std else impression.stds[i]
            parts = {"mean+std": [impression.means[i], std], "mean": [impression.means[i]],
                     "std": [std]}[self.stats]
            out.append(torch.cat(parts, dim=1))
        return out

    def features(self, impression: Impression, reference: Impression | None = None,
                 min_std: float = 1e-6) -> Tensor:
        """``(N, D)`` vectors of ``impression``; the z-scoring statistics come from
        ``reference`` (default: ``impression`` itself, the transductive choice)."""
        reference = impression if reference is None else reference
        impression.check_compatible(reference)
        blocks = self.blocks(impression)
        if self.standardise == "dims":
            if len(reference) < 2:
                raise ValueError("standardise='dims' needs a reference set of >= 2 images")
            ref_blocks = self.blocks(reference)
            blocks = [(b - r.mean(0)) / r.std(0).clamp_min(min_std)
                      for b, r in zip(blocks, ref_blocks, strict=True)]
        if self.balance:
            blocks = [b / b.shape[1] ** 0.5 for b in blocks]
        return torch.cat(blocks, dim=1)


def standard_views(last_stage: tuple[str, ...]) -> dict[str, ImpressionView]:
    """The views the recipe compares, by name: ``impression`` (z-scored mean+std of every BN
    layer, the default), ``-raw`` (not standardised), ``-mean`` (means only), ``-logstd``
    (``log σ``), ``-balanced`` (equal weight per layer), ``-last`` (the ``last_stage`` layers)."""
    return {"impression": ImpressionView(),
            "impression-raw": ImpressionView(standardise="none"),
            "impression-mean": ImpressionView(stats="mean"),
            "impression-logstd": ImpressionView(log_std=True),
            "impression-balanced": ImpressionView(balance=True),
            "impression-last": ImpressionView(layers=tuple(last_stage))}


def impression_features(impression: Impression, reference: Impression | None = None,
                        **view) -> Tensor:
    """``ImpressionView(**view).features(impression, reference)``."""
    return ImpressionView(**view).features(impression, reference)


@torch.no_grad()
def penultimate_features(model: nn.Module, head: nn.Module, x: Tensor,
                         batch_size: int = 256) -> Tensor:
    """The input of ``head`` (a submodule of ``model``, e.g. its final ``nn.Linear``) for every
    image of ``x``, ``(N, D)``, computed in eval mode in batches of ``batch_size``."""
    if x.dim() != 4:
        raise ValueError(f"expected images (N, C, H, W), got shape {tuple(x.shape)}")
    feats: list[Tensor] = []
    handle = head.register_forward_pre_hook(lambda _m, inputs: feats.append(
        inputs[0].detach().flatten(1)))
    was = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        for start in range(0, len(x), batch_size):
            model(x[start:start + batch_size].to(device))
    finally:
        handle.remove()
        model.train(was)
    if not feats:
        raise ValueError("penultimate_features: the head was not called by the model")
    return torch.cat(feats).cpu()

