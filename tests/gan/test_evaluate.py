"""tenfold.gan.evaluate (FD-cls and coverage) and the data-parallel noise of tenfold.gan.dfad."""

from __future__ import annotations

import torch
from torch import nn

from tenfold.gan.dfad import noise_sampler
from tenfold.gan.evaluate import GeneratorEvaluator, classify, feature_classifier
from tenfold.gan.models import LeNet5


class _Const(nn.Module):
    """A 'generator' that returns fixed images whatever the noise (for known answers)."""

    def __init__(self, images: torch.Tensor):
        super().__init__()
        self.images = images

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.images[: z.shape[0]]


def _data(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 32, 32, generator=g), torch.randint(0, 4, (n,), generator=g)


def test_classify_returns_features_and_the_models_predictions():
    torch.manual_seed(0)
    model, (x, _) = LeNet5(num_classes=4).eval(), _data()
    feats, preds = classify(model, x, "cpu", batch=10)
    assert feats.shape == (64, 84)
    assert torch.equal(preds, model(x).argmax(1))


def test_fd_of_the_reference_itself_is_zero_and_of_other_images_is_not():
    torch.manual_seed(0)
    x, y = _data()
    classifier, trainer = feature_classifier(x, y, 1, torch.Generator().manual_seed(0), "cpu",
                                             batch=16)
    trainer.run()
    ev = GeneratorEvaluator(classifier.eval(), x, 4, n_eval=64, zdim=8, device="cpu", seed=0)
    assert abs(ev(_Const(x))["fd_cls"]) < 1e-3
    assert ev(_Const(torch.zeros_like(x) + 3))["fd_cls"] > 1e-2
    assert torch.equal(ev.images(_Const(x)), ev.images(_Const(x)))


def test_noise_sampler_rank_shares_make_the_single_process_draw():
    one = noise_sampler((8, 3), torch.Generator().manual_seed(1))
    ranks = [noise_sampler((4, 3), torch.Generator().manual_seed(1), rank=r, world=2)
             for r in range(2)]
    for _ in range(3):
        assert torch.equal(one(), torch.cat([s() for s in ranks]))
