"""Label fidelity of mixing rules: how far a mixed image's label weights are from the truth.

On images with known object boxes (the ``cluttered-digits`` set) the true share of each object
in a mix is known: pasting box ``B`` of image ``b`` over box ``A`` of image ``a`` leaves
``1 - vis_a(A)`` of object ``a`` visible and shows ``vis_b(B)`` of object ``b``, where
``vis(R)`` is the fraction of an object's box inside the region ``R``
(:func:`visible_fraction`). A labelling rule giving weights ``(w_a, w_b)`` has the error

    err = |w_a - (1 - vis_a(A))| + |w_b - vis_b(B)|

:func:`label_fidelity` averages it over random mixes for CutMix's area labels (one box for both
images), area labels on SnapMix's two boxes, and SnapMix's CAM labels (no same-class boost) —
the mechanism the SnapMix paper rests on.
"""

from __future__ import annotations

import torch
from torch import nn

from tenfold.augment.boxes import Box, box_area, random_box, sample_beta
from tenfold.augment.cam import model_spm
from tenfold.augment.snapmix import snapmix_label_weights

__all__ = ["label_fidelity", "visible_fraction"]


def visible_fraction(boxes: torch.Tensor, region: Box) -> torch.Tensor:
    """Fraction of each object box ``boxes [N, 4]`` (top, left, bottom, right) inside
    ``region = (top, left, bottom, right)``."""
    if boxes.dim() != 2 or boxes.size(1) != 4:
        raise ValueError(f"boxes: expected [N, 4] (top, left, bottom, right), got "
                         f"{tuple(boxes.shape)}")
    top = boxes[:, 0].clamp(min=region[0])
    left = boxes[:, 1].clamp(min=region[1])
    bottom = boxes[:, 2].clamp(max=region[2])
    right = boxes[:, 3].clamp(max=region[3])
    inter = (bottom - top).clamp(min=0) * (right - left).clamp(min=0)
    return inter.float() / ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).float()


@torch.no_grad()
def label_fidelity(model: nn.Module, data, mixes: int, beta: float, gen: torch.Generator,
                   batch_size: int = 100, eval_mode: bool = True) -> dict[str, float]:
    """Mean label error of area and CAM rules against the true object fractions.

    ``data``: a :class:`~tenfold.data.tensor_images.TensorImages` with ``test_boxes``. Per batch
    of test images: a random pairing, ``lam_a, lam_b ~ Beta(beta, beta)``, SnapMix's two
    independent boxes ``A``, ``B`` and CutMix's single box ``A``. Errors (see the module) are
    averaged over ``mixes`` mixes for: ``area_sym`` (CutMix box and area labels), ``area_asym``
    (SnapMix's boxes, area labels ``|A|/HW``) and ``snapmix`` (SnapMix's boxes, CAM labels of
    ``model``, no same-class boost). Returns the three means.
    """
    if data.test_boxes is None:
        raise ValueError("label fidelity needs a dataset with object boxes (cluttered-digits)")
    if mixes < 1:
        raise ValueError(f"mixes: expected >= 1, got {mixes}")
    errs: dict[str, list[torch.Tensor]] = {"area_sym": [], "area_asym": [], "snapmix": []}
    n = len(data.test_y)
    h = w = data.crop
    drawn = 0
    while drawn < mixes:
        b = min(batch_size, mixes - drawn, n)
        idx = torch.randperm(n, generator=gen)[:b]
        x, y = [t[idx.to(data.test_x.device)] for t in (data.test_x, data.test_y)]
        x = data.to_float(x)
        boxes = data.test_boxes[idx]
        perm = torch.randperm(b, generator=gen)
        box_a = random_box(h, w, sample_beta(beta, gen), gen)
        box_b = random_box(h, w, sample_beta(beta, gen), gen)
        if box_area(box_a) == 0 or box_area(box_b) == 0:
            continue
        spm = model_spm(model, x, y, eval_mode=eval_mode).cpu()
        rho_a, rho_b = snapmix_label_weights(spm, spm[perm], box_a, box_b)
        true_a, true_b = 1 - visible_fraction(boxes, box_a), visible_fraction(boxes[perm], box_b)
        frac = box_area(box_a) / (h * w)
        errs["snapmix"].append((rho_a - true_a).abs() + (rho_b - true_b).abs())
        errs["area_asym"].append((1 - frac - true_a).abs() + (frac - true_b).abs())
        sym_b = visible_fraction(boxes[perm], box_a)
        errs["area_sym"].append((1 - frac - true_a).abs() + (frac - sym_b).abs())
        drawn += b
    return {k: float(torch.cat(v).mean()) for k, v in errs.items()}
