"""Disassembling metrics (Feng et al., arXiv 2004.01426), corrected where the official scripts
are wrong, and independent of the model: they take images and codes.

The part ↔ category assignment is discovered by training, so every metric finds the best
matching ``π`` (part ``π(c)`` for category ``c``) with the Hungarian method
(``scipy.optimize.linear_sum_assignment``); the official scripts ask the user to set it by hand.

* Visual integrity: ``E[p, c] = 255 · mean_{i: c ∈ x_i} mean_pix |Dec(z_i ⊙ m_p) − x_i^{−c}|``
  against the exact object-removed image ``x^{−c}``; ``error = mean_c E[π(c), c]`` with ``π``
  minimising it. Scale: the "do nothing" error ``255 · mean |x_i − x_i^{−c}|`` (a model that
  ignores the removal); lower is better.
* Modularity: codes of groups of images that share one instance of category ``c`` (the others
  random); ``mean |z_{π(c)} − group mean|`` over groups and dimensions, divided by the same
  deviation over all test codes (0 = the part ignores every other object, 1 = it varies as much
  as over random images). The official script divides the group sum by ``N·dim`` and averages
  over all parts instead of the fixed object's part; both are fixed here.
* Presence classification: a linear probe (logistic regression on standardised features) per
  (part, category) predicts the category's presence from the part; the best matching by F1,
  then micro and macro precision / recall / F1 over categories.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from tenfold.udor.model import UDOR


@torch.no_grad()
def removal_predictions(model: UDOR, images: Tensor, batch_size: int = 500) -> Tensor:
    """``(N, K, C, S, S)``: ``Dec(E(x) ⊙ m_p)`` for every part ``p``."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    for i in range(0, len(images), batch_size):
        z = model.encode(images[i:i + batch_size].to(device))
        out.append(torch.stack([model.decode(model.remove_code(z, p)).cpu()
                                for p in range(model.num_parts)], dim=1))
    return torch.cat(out)


@torch.no_grad()
def encode_all(model: UDOR, images: Tensor, batch_size: int = 500) -> Tensor:
    """``(N, K·u)`` codes."""
    model.eval()
    device = next(model.parameters()).device
    return torch.cat([model.encode(images[i:i + batch_size].to(device)).cpu()
                      for i in range(0, len(images), batch_size)])


def visual_integrity(predicted: Tensor, removed: Tensor, present: Tensor, images: Tensor
                     ) -> dict[str, object]:
    """Visual-integrity error under the best part ↔ category matching.

    Args:
        predicted: ``(N, P, C, S, S)``, the image decoded with part ``p`` zeroed.
        removed: ``(N, K, C, S, S)``, the exact image without category ``c``.
        present: ``(N, K)`` bool.
        images: ``(N, C, S, S)`` originals (for the "do nothing" scale).

    Returns:
        ``error`` and two scales (0–255): ``do_nothing`` (the input returned unchanged) and
        ``empty`` (an empty canvas returned for every removal, ``255 · mean |x^{−c}|``); a
        removal above ``empty`` is worse than erasing everything; ``ratio = error / do_nothing``,
        ``per_category`` errors, ``matching`` (part of each category) and the full ``matrix``
        ``(P, K)``.
    """
    n, num_p = predicted.shape[:2]
    num_k = removed.shape[1]
    if removed.shape[0] != n or present.shape != (n, num_k) or images.shape != removed[:, 0].shape:
        raise ValueError(f"expected predicted (N, P, …), removed (N, K, …), present (N, K), images "
                         f"(N, …) with one N; got {tuple(predicted.shape)}, "
                         f"{tuple(removed.shape)}, {tuple(present.shape)}, {tuple(images.shape)}")
    if predicted.shape[2:] != removed.shape[2:] or num_p < num_k:
        raise ValueError("predicted and removed: expected the same image shape and P ≥ K")
    if not present.any(0).all():
        raise ValueError("every category must be present in at least one image")
    pres = present.float()
    weight = pres / pres.sum(0, keepdim=True)                               # (N, K)
    matrix = torch.empty(num_p, num_k)
    for p in range(num_p):
        err = (predicted[:, p:p + 1] - removed).abs().flatten(2).mean(2)    # (N, K)
        matrix[p] = 255 * (err * weight).sum(0)
    rows, cols = linear_sum_assignment(matrix.numpy())
    matching = [0] * num_k
    for r, c in zip(rows, cols, strict=True):
        matching[c] = int(r)
    per_cat = [float(matrix[matching[c], c]) for c in range(num_k)]
    nothing = 255 * ((images[:, None] - removed).abs().flatten(2).mean(2) * weight).sum(0)
    empty = 255 * (removed.abs().flatten(2).mean(2) * weight).sum(0)
    error, do_nothing = float(np.mean(per_cat)), float(nothing.mean())
    return {"error": error, "do_nothing": do_nothing, "empty": float(empty.mean()),
            "ratio": error / do_nothing,
            "per_category": per_cat, "matching": matching, "matrix": matrix.tolist()}


def modularity(group_codes: Tensor, reference_codes: Tensor, num_parts: int,
               matching: list[int]) -> dict[str, object]:
    """Normalised modularity (lower is better; 0 = perfectly modular).

    Args:
        group_codes: ``(K, G, M, K·u)``: for category ``c``, ``G`` groups of ``M`` codes of images
            sharing one instance of ``c``.
        reference_codes: ``(N, K·u)`` codes of random test images (the scale).
        num_parts: ``K`` parts of ``u = K·u / K`` dimensions.
        matching: part of each category (e.g. from :func:`visual_integrity`).
    """
    if group_codes.dim() != 4 or group_codes.shape[-1] != reference_codes.shape[-1]:
        raise ValueError(f"group_codes: expected (K, G, M, D) with D = "
                         f"{reference_codes.shape[-1]}, got {tuple(group_codes.shape)}")
    if len(matching) != group_codes.shape[0] or group_codes.shape[-1] % num_parts:
        raise ValueError("matching: expected one part per category and D divisible by num_parts")
    u = group_codes.shape[-1] // num_parts
    per_cat = []
    for c, p in enumerate(matching):
        part = group_codes[c][..., p * u:(p + 1) * u]                          # (G, M, u)
        within = (part - part.mean(1, keepdim=True)).abs().mean()
        ref = reference_codes[:, p * u:(p + 1) * u]
        scale = (ref - ref.mean(0, keepdim=True)).abs().mean()
        per_cat.append(float(within / scale.clamp_min(1e-12)))
    return {"modularity": float(np.mean(per_cat)), "per_category": per_cat}


def part_classification(train_codes: Tensor, train_present: Tensor, test_codes: Tensor,
                        test_present: Tensor, num_parts: int, max_iter: int = 1000
                        ) -> dict[str, object]:
    """Presence of each category from each part by a linear probe; best part per category by
    F1 (Hungarian); micro/macro precision, recall and F1 on the test codes."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, precision_recall_fscore_support
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    num_k = train_present.shape[1]
    if train_codes.shape[0] != train_present.shape[0] or test_codes.shape[0] != \
            test_present.shape[0] or train_codes.shape[1] % num_parts:
        raise ValueError("codes and presence: expected matching N and D divisible by num_parts")
    u = train_codes.shape[1] // num_parts
    xtr, xte = train_codes.double().numpy(), test_codes.double().numpy()
    ytr, yte = train_present.numpy().astype(int), test_present.numpy().astype(int)
    preds = np.zeros((num_parts, num_k, len(yte)), dtype=int)
    f1 = np.zeros((num_parts, num_k))
    for p in range(num_parts):
        sl = slice(p * u, (p + 1) * u)
        for c in range(num_k):
            probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter))
            probe.fit(xtr[:, sl], ytr[:, c])
            preds[p, c] = probe.predict(xte[:, sl])
            f1[p, c] = f1_score(yte[:, c], preds[p, c], zero_division=0)
    rows, cols = linear_sum_assignment(-f1)
    matching = [0] * num_k
    for r, c in zip(rows, cols, strict=True):
        matching[c] = int(r)
    y_pred = np.stack([preds[matching[c], c] for c in range(num_k)], axis=1)
    out: dict[str, object] = {"matching": matching, "f1_matrix": f1.tolist()}
    for avg in ("micro", "macro"):
        p_, r_, f_, _ = precision_recall_fscore_support(yte, y_pred, average=avg,
                                                        zero_division=0)
        out.update({f"{avg}_precision": float(p_), f"{avg}_recall": float(r_),
                    f"{avg}_f1": float(f_)})
    return out
