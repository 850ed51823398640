"""Scores of the four impression experiments (retrieval, reconstruction, translation,
synthesis), as pure functions of tensors and networks.

* :func:`retrieval_scores` — leave-one-out 1-NN class accuracy of test images in several
  impression views (:class:`~tenfold.impression.retrieval.ImpressionView`), in the template's
  penultimate features (raw and z-scored) and in raw pixels; optionally the view chosen by the
  same accuracy on *other* (validation) images, so that picking a view is not done on the test
  images.
* :func:`class_impressions` — the set impression ``I(S_c)`` of every class ``c``.
* :func:`same_class_images` — a random training image of each test image's class (a scale
  anchor for reconstruction).
* :func:`class_balanced_indices` — ``per`` random indices of every class.
* :func:`ablation_weights` — per-layer weights matching only the first ``k`` BN layers.
* :func:`reconstruction_scores` — mean PSNR and SSIM of decoded images.
* :func:`translation_scores` — for translated images ``x_{a→b}``: the fraction the template and an
  independent verifier call ``b``, the fraction the verifier still calls ``a``, and the SSIM to
  the source.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from tenfold.impression.metrics import loo_1nn_accuracy, psnr, ssim
from tenfold.impression.models import predict_labels
from tenfold.impression.retrieval import ImpressionView, penultimate_features
from tenfold.impression.template import Impression, TemplateNetwork

__all__ = ["ablation_weights", "class_balanced_indices", "class_impressions",
           "reconstruction_scores", "retrieval_scores", "same_class_images", "translation_scores"]


def _zscore(v: Tensor) -> Tensor:
    return (v - v.mean(0)) / v.std(0).clamp_min(1e-6)


def retrieval_scores(template: TemplateNetwork, head: nn.Module, x: Tensor, y: Tensor,
                     views: Mapping[str, ImpressionView],
                     validation: tuple[Tensor, Tensor] | None = None) -> dict[str, float]:
    """``{name: LOO 1-NN accuracy}`` on ``(x, y)`` for every impression view (z-scoring with
    ``x`` itself), ``penultimate`` (the input of ``head``), ``penultimate-z`` (the same,
    z-scored), ``pixels``; with ``validation = (xv, yv)`` also ``impression-selected``: the view
    with the best accuracy on the validation images (first in ``views`` order on ties),
    scored on ``x``, and ``selected_view``: its index in ``views``."""
    if not views:
        raise ValueError("retrieval_scores: expected at least one impression view")
    imp = template.encode(x)
    out = {name: loo_1nn_accuracy(view.features(imp), y) for name, view in views.items()}
    feats = penultimate_features(template.model, head, x)
    out["penultimate"] = loo_1nn_accuracy(feats, y)
    out["penultimate-z"] = loo_1nn_accuracy(_zscore(feats), y)
    out["pixels"] = loo_1nn_accuracy(x.flatten(1).cpu(), y)
    if validation is not None:
        val = template.encode(validation[0])
        names = list(views)
        scores = [loo_1nn_accuracy(views[n].features(val), validation[1]) for n in names]
        best = max(range(len(names)), key=lambda i: (scores[i], -i))
        out["impression-selected"] = out[names[best]]
        out["selected_view"] = float(best)
    return out


def class_impressions(template: TemplateNetwork, x: Tensor, y: Tensor, num_classes: int = 10
                      ) -> list[Impression]:
    """``[I(S_0), ..., I(S_{K−1})]``, the mean impression of each class's images."""
    imp = template.encode(x)
    out = []
    for c in range(num_classes):
        idx = torch.nonzero(y == c).flatten()
        if len(idx) == 0:
            raise ValueError(f"class_impressions: class {c} has no image")
        out.append(imp[idx.to(imp.means[0].device)].mean())
    return out


def same_class_images(x_train: Tensor, y_train: Tensor, labels: Tensor,
                      generator: torch.Generator) -> Tensor:
    """One random training image of class ``labels[i]`` for every ``i``."""
    picks = []
    for c in labels.tolist():
        idx = torch.nonzero(y_train == c).flatten()
        if len(idx) == 0:
            raise ValueError(f"same_class_images: class {c} has no training image")
        picks.append(x_train[idx[torch.randint(len(idx), (1,), generator=generator)]][0])
    return torch.stack(picks)


def class_balanced_indices(y: Tensor, per: int, generator: torch.Generator,
                           num_classes: int = 10) -> Tensor:
    """``per`` random indices of each class ``0..num_classes−1`` of ``y`` (class by class)."""
    out = []
    for c in range(num_classes):
        idx = torch.nonzero(y == c).flatten()
        if len(idx) < per:
            raise ValueError(f"class_balanced_indices: class {c} has {len(idx)} < {per} items")
        out.append(idx[torch.randperm(len(idx), generator=generator)[:per]])
    return torch.cat(out)


def ablation_weights(num_layers: int, k: int, first_layer_weight: float) -> tuple[float, ...]:
    """``(w_1, 1, ..., 1, 0, ..., 0)``: only the first ``k`` of ``num_layers`` BN layers."""
    if not 1 <= k <= num_layers:
        raise ValueError(f"ablation_weights: expected 1 <= k <= {num_layers}, got {k}")
    return tuple([first_layer_weight] + [1.0] * (k - 1) + [0.0] * (num_layers - k))


def reconstruction_scores(decoded: Tensor, target: Tensor) -> dict[str, float]:
    """``{"recon_psnr", "recon_ssim"}``: means over images (pixel range [0, 1])."""
    decoded, target = decoded.cpu(), target.cpu()
    return {"recon_psnr": float(psnr(decoded, target).mean()),
            "recon_ssim": float(ssim(decoded, target).mean())}


def translation_scores(template_model: nn.Module, verifier: nn.Module, translated: Tensor,
                       source: Tensor, a: int, b: int) -> dict[str, float]:
    """Sums over the images (divide by their number for rates): ``translate_template`` (the
    template says ``b``), ``translate_verifier`` (the verifier says ``b``),
    ``translate_verifier_source`` (it still says ``a``), ``translate_ssim`` (to the source)."""
    if translated.shape != source.shape:
        raise ValueError(f"translation_scores: translated {tuple(translated.shape)} and source "
                         f"{tuple(source.shape)} differ")
    verdict = predict_labels(verifier, translated)
    return {"translate_template": float((predict_labels(template_model, translated) == b).sum()),
            "translate_verifier": float((verdict == b).sum()),
            "translate_verifier_source": float((verdict == a).sum()),
            "translate_ssim": float(ssim(translated.cpu(), source.cpu()).sum())}
