"""Applications of the impression space (arXiv 2007.05441): unpaired translation, synthesis by
impression matching, the DeepInversion-style synthesis baseline, and similarity.

* ``translate(template, x, target)``: start at the source images and decode towards a target
  domain's (or class's) set impression with few steps and a small learning rate; the content is
  kept by the initialisation.
* ``synthesize(template, n, target)``: decode ``n`` images from noise towards a set impression
  (a class's or a dataset's), optionally with a cross-entropy term towards ``target_class``.
* ``deepinversion_synthesize(template, labels)``: the baseline — batch statistics matched to the
  BN running statistics plus a class cross-entropy (Yin et al., arXiv 1912.08795).
* ``class_score_decoder(template, x, labels)``: the translation baseline — the same optimiser
  starting at ``x`` with only a cross-entropy towards ``labels`` (no impression term).
* ``Standardizer`` / ``similarity``: distances between impressions after z-scoring every
  dimension with a reference set, ``s(a, b) = −‖z(I(a)) − z(I(b))‖₂``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from tenfold.impression.decode import (
    DecodeSettings,
    ImageDecoder,
    decoder,
    deepinversion_objective,
    noise_init,
)
from tenfold.impression.template import Impression, TemplateNetwork

__all__ = ["Standardizer", "class_score_decoder", "deepinversion_decoder",
           "deepinversion_synthesize", "similarity", "synthesize", "translate"]

TRANSLATE_DEFAULTS = {"steps": 300, "lr": 0.02, "tv": 0.0, "jitter": 0}


def translate(template: TemplateNetwork, x: Tensor, target: Impression, **kwargs) -> Tensor:
    """Translate images ``x`` towards the set impression ``target`` (``len(target) == 1``),
    starting from ``x`` itself. Defaults: 300 steps at lr 0.02, no TV, no jitter; ``kwargs``
    go to :func:`tenfold.impression.decode.decoder`."""
    if len(target) != 1:
        raise ValueError(f"translate: expected a set impression (one entry, e.g. "
                         f"encode(domain).mean()), got {len(target)} entries")
    kwargs = {**TRANSLATE_DEFAULTS, **kwargs}
    return decoder(template, target, init=x, **kwargs).run().result()


def synthesize(template: TemplateNetwork, n: int, target: Impression,
               image_shape: tuple[int, int, int], target_class: int | None = None,
               ce_weight: float = 0.0, generator: torch.Generator | None = None,
               **kwargs) -> Tensor:
    """``n`` images decoded from noise towards the set impression ``target`` (a class's or a
    domain's); with ``target_class`` and ``ce_weight > 0`` a cross-entropy towards it."""
    if n < 1:
        raise ValueError(f"synthesize: expected n >= 1, got {n}")
    labels = None
    if target_class is not None:
        labels = torch.full((n,), int(target_class), dtype=torch.long)
    return decoder(template, target, "noise", image_shape=image_shape, n=n, labels=labels,
                   generator=generator, ce_weight=ce_weight, **kwargs).run().result()


def deepinversion_decoder(template: TemplateNetwork, labels: Tensor,
                          image_shape: tuple[int, int, int],
                          settings: DecodeSettings | None = None, ce_weight: float = 1.0,
                          generator: torch.Generator | None = None, **overrides) -> ImageDecoder:
    """The DeepInversion-style baseline as a resumable :class:`ImageDecoder`: one image per
    label, batch statistics matched to the BN running statistics, plus ``ce_weight`` × CE."""
    if labels.dim() != 1 or len(labels) < 1:
        raise ValueError(f"labels: expected a non-empty (N,) tensor, got {tuple(labels.shape)}")
    settings = settings or DecodeSettings()
    settings = DecodeSettings(**{**vars(settings), **overrides, "ce_weight": ce_weight})
    settings.validate(len(template.bn_layers))
    weights = settings.weights(len(template.bn_layers))
    objective = deepinversion_objective(template, weights)
    x0 = noise_init(template, len(labels), tuple(image_shape), generator)

    def monitor(x: Tensor) -> Tensor:
        return objective(x)[0]
    return ImageDecoder(template, objective, x0, settings, labels, generator, monitor)


def class_score_decoder(template: TemplateNetwork, init: Tensor, labels: Tensor,
                        settings: DecodeSettings | None = None,
                        generator: torch.Generator | None = None, **overrides) -> ImageDecoder:
    """The cross-entropy-only baseline of translation as a resumable :class:`ImageDecoder`:
    start at ``init`` and minimise ``CE(f(x), labels)`` (plus the priors) with no impression
    term; ``ce_weight`` is forced to 1."""
    if labels.shape != (init.shape[0],):
        raise ValueError(f"labels: expected shape ({init.shape[0]},), got {tuple(labels.shape)}")
    settings = settings or DecodeSettings()
    settings = DecodeSettings(**{**vars(settings), **overrides, "ce_weight": 1.0})

    def objective(x: Tensor) -> tuple[Tensor, Tensor]:
        return x.new_zeros(x.shape[0]), template.forward_stats(x)[0]
    return ImageDecoder(template, objective, init.to(template.device), settings, labels,
                        generator)


def deepinversion_synthesize(template: TemplateNetwork, labels: Tensor,
                             image_shape: tuple[int, int, int], **kwargs) -> Tensor:
    """Images for ``labels`` by the DeepInversion-style baseline (see
    :func:`deepinversion_decoder`)."""
    return deepinversion_decoder(template, labels, image_shape, **kwargs).run().result()


@dataclass
class Standardizer:
    """Per-dimension z-scoring of impression vectors, fitted on a reference set."""

    mean: Tensor
    std: Tensor
    template: str

    @classmethod
    def fit(cls, reference: Impression, min_std: float = 1e-6) -> Standardizer:
        if len(reference) < 2:
            raise ValueError("Standardizer.fit: the reference set needs at least 2 images")
        v = reference.vector()
        return cls(v.mean(0), v.std(0).clamp_min(min_std), reference.template)

    def transform(self, impression: Impression) -> Tensor:
        if impression.template != self.template:
            raise ValueError(f"this Standardizer was fitted on template {self.template}, not "
                             f"{impression.template}; impressions of different templates "
                             f"cannot be mixed")
        return (impression.vector() - self.mean) / self.std


def similarity(a: Impression, b: Impression, scaler: Standardizer | None = None) -> Tensor:
    """``(len(a), len(b))`` similarities ``−‖z(a_i) − z(b_j)‖₂`` in standardised impression
    space (``scaler`` defaults to one fitted on ``a`` and ``b`` together)."""
    a.check_compatible(b)
    if scaler is None:
        scaler = Standardizer.fit(Impression.cat([a, b]))
    return -torch.cdist(scaler.transform(a), scaler.transform(b))
