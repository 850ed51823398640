"""Data augmentation: SnapMix (arXiv 2012.04846) and the mixing baselines (MixUp, CutMix,
asymmetric CutMix) as batch transforms with one signature, ``x_mix, targets = mix(x, y, model)``,
plus the soft-target cross-entropy they train with.

>>> snapmix = SnapMix(num_classes=200, beta=5.0, generator=torch.Generator().manual_seed(0))
>>> x_mix, targets = snapmix(x, y, model)           # inside the training step
>>> loss = soft_target_cross_entropy(model(x_mix), targets)
"""

from tenfold.augment.boxes import box_area, box_mask, random_box, sample_beta
from tenfold.augment.cam import (
    class_activation_map,
    find_cam_modules,
    model_spm,
    normalize_map,
    semantic_percent_map,
)
from tenfold.augment.fidelity import label_fidelity, visible_fraction
from tenfold.augment.loss import soft_target_cross_entropy
from tenfold.augment.midlevel import MidLevelHead, MidLevelResNet
from tenfold.augment.mixing import AsymmetricCutMix, CutMix, MixInfo, MixUp, pair_targets, paste
from tenfold.augment.models import SmallResNet
from tenfold.augment.snapmix import SnapMix, snapmix_batch, snapmix_label_weights
from tenfold.augment.trainer import (
    MIX_METHODS,
    MixTrainer,
    build_classifier,
    load_backbone,
    lr_at,
    make_mixer,
    paired_trainer,
    seeded_generators,
)

__all__ = [
    "MIX_METHODS", "AsymmetricCutMix", "CutMix",
    "MidLevelHead", "MidLevelResNet", "MixInfo", "MixUp",
    "SmallResNet", "SnapMix", "box_area", "box_mask", "class_activation_map", "find_cam_modules",
    "model_spm", "normalize_map", "pair_targets", "paste", "random_box", "sample_beta",
    "semantic_percent_map", "snapmix_batch", "snapmix_label_weights", "soft_target_cross_entropy",
    "MixTrainer", "build_classifier", "label_fidelity", "load_backbone", "lr_at", "make_mixer",
    "paired_trainer", "seeded_generators", "visible_fraction",
]
