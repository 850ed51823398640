"""UDOR: unsupervised disassembling of object representations (Feng et al., arXiv 2004.01426).

``MultiObjectCanvas`` draws multi-object images with exact object-removed ground truth; ``UDOR``
is the auto-encoder whose code is split into one part per object category (``encode``,
``remove``, ``swap``); ``UDORTrainer`` trains it and the baselines (plain AE, UDOR without GAN,
supervised S-AE) step by step; :mod:`tenfold.udor.metrics` scores visual integrity, modularity
and per-part presence classification under the best part ↔ category matching.
"""

from tenfold.udor import metrics
from tenfold.udor.canvas import MultiObjectCanvas, object_pools, slot_origins
from tenfold.udor.losses import (
    fuzzy_loss,
    fuzzy_loss_naive,
    fuzzy_marginal_loss,
    gradient_penalty,
    supervised_part_loss,
    uniform_fuzzy_value,
)
from tenfold.udor.model import UDOR, Critic, PartClassifier
from tenfold.udor.trainer import METHOD_WEIGHTS, TrainSettings, UDORTrainer, Weights

__all__ = [
    "METHOD_WEIGHTS", "UDOR", "Critic", "MultiObjectCanvas", "PartClassifier", "TrainSettings",
    "UDORTrainer", "Weights", "fuzzy_loss", "fuzzy_loss_naive", "fuzzy_marginal_loss",
    "gradient_penalty", "metrics", "object_pools", "slot_origins", "supervised_part_loss",
    "uniform_fuzzy_value",
]
