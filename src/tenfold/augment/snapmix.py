"""SnapMix: semantically proportional mixing (Huang, Wang & Tao, AAAI 2021, arXiv 2012.04846).

CutMix labels a mixed image by pixel area, which is wrong when the evidence of a class sits in a
small region. SnapMix labels it by *semantic* mass: with the semantic percent maps ``S_a, S_b``
of the two images (:func:`tenfold.augment.semantic_percent_map`, CAM of the ground-truth class,
non-negative, summing to one), independent ``lam_a, lam_b ~ Beta(beta, beta)`` and two boxes
``A`` (in ``x_a``) and ``B`` (in ``x_b``) of independent size and place,

    x~      = x_a with box A replaced by resize(x_b[B], size(A))          (bilinear)
    rho_a   = 1 - sum_{(u,v) in A} S_a(u, v)      mass of image a that survives
    rho_b   =     sum_{(u,v) in B} S_b(u, v)      mass of image b that was pasted
    loss    = rho_a CE(f(x~), y_a) + rho_b CE(f(x~), y_b)

``rho_a + rho_b`` need not be 1. Official-code details kept here: one box pair and one coin
(``prob``) per batch, partner by random permutation, the CAM computed with the model being
trained, and the *same-class boost* (a pair with equal labels gets both weights set to
``rho_a + rho_b``, so its target row sums to ``2 (rho_a + rho_b)``; a flag, on by default).
An image whose CAM is constant falls back to area weights
``1 - |A|/HW`` (for ``rho_a``) and ``|A|/HW`` (for ``rho_b``).

Device: the maps, the box masses, the fallback and the boost are computed on the batch's device
with batched tensor ops (one box pair per batch, so each mass is one slice sum over all images);
only the random draws happen on the host, and nothing is read back from the device, so a call
queues its work without waiting for the accelerator.
"""

from __future__ import annotations

import torch
from torch import nn

from tenfold.augment.boxes import Box, box_area, random_box, sample_beta
from tenfold.augment.cam import CamFn, is_degenerate, model_spm
from tenfold.augment.mixing import MixInfo, _BatchMix, check_batch, paste, to_device


def snapmix_label_weights(spm_a: torch.Tensor, spm_b: torch.Tensor, box_a: Box, box_b: Box
                          ) -> tuple[torch.Tensor, torch.Tensor]:
    """``rho_a = 1 - S_a(A)`` and ``rho_b = S_b(B)`` for ``(B, H, W)`` maps, clamped to [0, 1]."""
    if spm_a.dim() != 3 or spm_a.shape != spm_b.shape:
        raise ValueError(f"SPMs must both have shape (B, H, W), got {tuple(spm_a.shape)} and "
                         f"{tuple(spm_b.shape)}")
    ta, la, ba, ra = box_a
    tb, lb, bb, rb = box_b
    rho_a = 1.0 - spm_a[:, ta:ba, la:ra].sum(dim=(1, 2))
    rho_b = spm_b[:, tb:bb, lb:rb].sum(dim=(1, 2))
    return rho_a.clamp(0.0, 1.0), rho_b.clamp(0.0, 1.0)


def snapmix_batch(x: torch.Tensor, y: torch.Tensor, spm: torch.Tensor, beta: float = 5.0,
                  same_class_boost: bool = True, generator: torch.Generator | None = None,
                  perm: torch.Tensor | None = None
                  ) -> tuple[torch.Tensor, MixInfo]:
    """Mix one batch with precomputed SPMs (pure; no model involved).

    Args:
        x: ``(B, C, H, W)`` images.
        y: ``(B,)`` integer labels.
        spm: ``(B, H, W)`` semantic percent maps of ``x`` for ``y``.
        beta: ``lam_a, lam_b ~ Beta(beta, beta)`` independently; box ``A`` covers about
            ``1 - lam_a`` of the image, box ``B`` about ``1 - lam_b``.
        same_class_boost: the official code's rule for pairs with equal labels.
        generator: CPU ``torch.Generator`` for the permutation, lambdas and box places.
        perm: the pairing (image ``i`` receives a patch of image ``perm[i]``), a CPU tensor;
            drawn if None.

    Returns:
        ``(x_mix, info)``: ``info.weight_a``/``info.weight_b`` are ``rho_a``/``rho_b`` per image,
        on ``x``'s device. If either box is empty nothing is mixed (weights 1 and 0).
    """
    check_batch(x, y)
    b, _, h, w = x.shape
    if spm.shape != (b, h, w):
        raise ValueError(f"spm must have shape (B, H, W)={(b, h, w)}, got {tuple(spm.shape)}")
    if perm is None:
        perm = torch.randperm(b, generator=generator)
    lam_a = sample_beta(beta, generator)
    lam_b = sample_beta(beta, generator)
    box_a = random_box(h, w, lam_a, generator)
    box_b = random_box(h, w, lam_b, generator)
    dev = x.device
    if box_area(box_a) == 0 or box_area(box_b) == 0:
        return x, MixInfo(False, perm, torch.ones(b, device=dev), torch.zeros(b, device=dev),
                          lam_a, lam_b, box_a, box_b)
    perm_dev = to_device(perm, dev)
    x_mix = paste(x, x[perm_dev], box_a, box_b)
    spm = spm.detach().float().to(dev)
    rho_a, rho_b = snapmix_label_weights(spm, spm[perm_dev], box_a, box_b)
    area = box_area(box_a) / (h * w)
    bad = is_degenerate(spm)
    bad_b = bad[perm_dev]
    rho_a = torch.where(bad, torch.full_like(rho_a, 1.0 - area), rho_a)
    rho_b = torch.where(bad_b, torch.full_like(rho_b, area), rho_b)
    y = y.to(dev)
    boosted = torch.zeros(b, dtype=torch.bool, device=dev)
    if same_class_boost:
        boosted = y == y[perm_dev]
        total = rho_a + rho_b
        rho_a = torch.where(boosted, total, rho_a)
        rho_b = torch.where(boosted, total, rho_b)
    return x_mix, MixInfo(True, perm, rho_a, rho_b, lam_a, lam_b, box_a, box_b,
                          extra={"area_fallback_a": bad, "area_fallback_b": bad_b,
                                 "boosted": boosted})


class SnapMix(_BatchMix):
    """SnapMix as a batch transform that needs the model: ``x_mix, t = snapmix(x, y, model)``.

    Use it inside the training step (it runs one extra forward pass of ``model`` without
    gradients to get the CAMs), then train with ``soft_target_cross_entropy(model(x_mix), t)``.
    The rows of ``t`` sum to ``rho_a + rho_b``, not to 1 — except, with ``same_class_boost``
    (the default), a pair with equal labels: both weights become ``rho_a + rho_b`` on the same
    class, so its row is ``2 (rho_a + rho_b) e_y`` and sums to ``2 (rho_a + rho_b)`` (a batch of
    same-class pairs has exactly twice the loss it has without the boost).

    Args:
        num_classes: width of the soft targets.
        beta: ``Beta(beta, beta)`` for the two box sizes (official: 5 with pretrained models).
        prob: probability that a batch is mixed (official: 1.0 pretrained, 0.5 from scratch).
        same_class_boost: official rule for equal-label pairs (both weights ``rho_a + rho_b``,
            row sum ``2 (rho_a + rho_b)``).
        cam_layer: ``"auto"`` (input of the last ``nn.AdaptiveAvgPool2d``: torchvision/timm
            ResNets) or the name of the module whose output are the CAM features.
        head: ``"auto"`` (last ``nn.Linear``) or the name of the linear head.
        cam_fn: ``cam_fn(model, x, y) -> (B, h, w)`` CAMs for other architectures.
        eval_cam: compute the CAMs in eval mode (no BatchNorm update by the extra pass; the
            official code uses train mode).
        generator: CPU ``torch.Generator``.
    """

    def __init__(self, num_classes: int, beta: float = 5.0, prob: float = 1.0,
                 same_class_boost: bool = True, cam_layer: str = "auto", head: str = "auto",
                 cam_fn: CamFn | None = None, eval_cam: bool = False,
                 generator: torch.Generator | None = None):
        super().__init__(num_classes, prob, generator)
        if beta <= 0:
            raise ValueError(f"beta must be > 0, got {beta}")
        self.beta = beta
        self.same_class_boost = same_class_boost
        self.cam_layer = cam_layer
        self.head = head
        self.cam_fn = cam_fn
        self.eval_cam = eval_cam

    def spm(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> torch.Tensor:
        """The ``(B, H, W)`` semantic percent maps of ``x`` for labels ``y`` under ``model``."""
        return model_spm(model, x, y, self.cam_layer, self.head, self.cam_fn, self.eval_cam)

    def __call__(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        if model is None:
            raise ValueError("SnapMix needs the model: call snapmix(x, y, model)")
        check_batch(x, y, self.num_classes)
        if not self._coin():
            return self._identity(x, y)
        spm = self.spm(x, y, model)
        x_mix, info = snapmix_batch(x, y, spm, self.beta, self.same_class_boost, self.generator)
        return self._finish(x_mix, y, info)
