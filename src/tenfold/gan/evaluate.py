"""Quality of a generator without Inception weights: a Fréchet distance in the penultimate
features of a LeNet-5 trained on the same data (``fd_cls``), and class coverage.

With features φ of generated images (mean μ_g, covariance Σ_g) and of real reference images
(μ_r, Σ_r), FD-cls = ‖μ_g − μ_r‖² + tr(Σ_g + Σ_r − 2 (Σ_g Σ_r)^{1/2}) (Heusel et al., arXiv
1706.08500, with the classifier's features in place of Inception's). Coverage: the fraction of
classes the classifier predicts for at least one generated image
(:func:`tenfold.gan.metrics.class_coverage`).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tenfold.gan.metrics import class_coverage, feature_statistics, frechet_distance
from tenfold.gan.models import LeNet5, sample_images
from tenfold.loops import EpochTrainer, rank_share, shuffled_batches

__all__ = ["GeneratorEvaluator", "classify", "feature_classifier", "train_feature_classifier"]


def feature_classifier(x: Tensor, y: Tensor, epochs: int, gen: torch.Generator,
                       device: torch.device | str, batch: int = 128, fabric: Any = None
                       ) -> tuple[LeNet5, EpochTrainer]:
    """A LeNet-5 for images ``x`` (``(N, 1, 32, 32)``) with labels ``y`` and its resumable epoch
    trainer (Adam 1e-3, cross-entropy, a fresh permutation from ``gen`` every epoch).

    ``fabric`` (a launched Lightning Fabric): data-parallel; ``batch`` stays the *global* batch
    (every rank draws the same indices and trains on its share), so the classifier does not
    depend on the number of processes beyond the order of float sums.
    """
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y need the same number of samples, got {x.shape[0]} and "
                         f"{y.shape[0]}")
    model = LeNet5(num_classes=int(y.max()) + 1).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rank, world, backward, train_model = 0, 1, None, model
    if fabric is not None:
        rank, world, backward = fabric.global_rank, fabric.world_size, fabric.backward
        train_model, opt = fabric.setup(model, opt)

    def loss(net: nn.Module, idx: Tensor) -> Tensor:
        idx = rank_share(idx, rank, world)
        return F.cross_entropy(net(x[idx].to(device)), y[idx].to(device))

    trainer = EpochTrainer(train_model, opt, shuffled_batches(len(x), batch, gen), loss, epochs,
                           backward=backward, generators={"batches": gen})
    return model, trainer


def train_feature_classifier(x: Tensor, y: Tensor, epochs: int, gen: torch.Generator,
                             device: torch.device | str, batch: int = 128) -> LeNet5:
    """:func:`feature_classifier`, trained to the end (outside a run); in eval mode."""
    model, trainer = feature_classifier(x, y, epochs, gen, device, batch)
    trainer.run()
    return model.eval()


@torch.no_grad()
def classify(model: LeNet5, x: Tensor, device: torch.device | str, batch: int = 1000
             ) -> tuple[Tensor, Tensor]:
    """(penultimate features, predicted labels) of ``x`` under ``model``, on the CPU."""
    feats, preds = [], []
    for i in range(0, len(x), batch):
        f = model.features(x[i:i + batch].to(device))
        feats.append(f.cpu())
        preds.append(model.head(f).argmax(1).cpu())
    return torch.cat(feats), torch.cat(preds)


class GeneratorEvaluator:
    """FD-cls and class coverage of generated images against a real reference set.

    Every call draws the same ``n_eval`` noise vectors (seeded by ``seed``), so generators
    compared at one point see the same inputs.
    """

    def __init__(self, classifier: LeNet5, reference: Tensor, num_classes: int, n_eval: int,
                 zdim: int, device: torch.device | str, seed: int):
        if n_eval < 2:
            raise ValueError(f"n_eval must be >= 2 for a covariance, got {n_eval}")
        self.classifier, self.num_classes = classifier, num_classes
        self.n_eval, self.zdim, self.device, self.seed = n_eval, zdim, device, seed
        self.ref_stats = feature_statistics(classify(classifier, reference, device)[0])

    def images(self, generator: nn.Module) -> Tensor:
        """``n_eval`` images of ``generator`` (eval mode) from the fixed noise."""
        gen = torch.Generator().manual_seed(self.seed + 777)
        return sample_images(generator, self.n_eval, self.zdim, gen, self.device)

    def score_images(self, x: Tensor) -> dict[str, float]:
        """``{"fd_cls", "covered", ...}`` of images ``x``."""
        feats, preds = classify(self.classifier, x, self.device)
        out = {"fd_cls": frechet_distance(feature_statistics(feats), self.ref_stats)}
        out.update(class_coverage(preds, self.num_classes))
        return out

    def __call__(self, generator: nn.Module) -> dict[str, float]:
        return self.score_images(self.images(generator))
