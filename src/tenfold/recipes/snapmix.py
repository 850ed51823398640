"""``snapmix``: SnapMix against no mixing, MixUp, CutMix and asymmetric CutMix (arXiv 2012.04846).

Every method trains the same model from the same initial weights on the same data, in the same
order, for the same number of epochs; only the batch transform differs. Reported per method:
``test_acc`` (final epoch, the number we select on) and ``best_test_acc`` (max over epochs on the
test set: the number the official code reports), as fractions (reports show percent).

On the embedded ``cluttered-digits`` set (object boxes known) the recipe also measures label
fidelity, the mechanism the paper rests on: over random mixes of test images, the mean of
``|rho_a - true visible fraction of object a| + |rho_b - true pasted fraction of object b|`` for
area labels (``cutmix``: same box; ``asym_cutmix``: SnapMix's boxes) and SnapMix's CAM labels
(``snapmix``), with the CAMs of the ``none`` model (and ``label_err_own``: of the SnapMix model).

Datasets: ``cluttered-digits`` (embedded, 32 px, small ResNet), ``flowers12`` (mirror; 12 species,
720/240 images; torchvision ResNet-18 from scratch at ``image_size``), ``cifar10`` (mirror, 32 px,
small ResNet, ``train_size`` images). One device, one process.

Pretrain-then-fine-tune (the paper's main setting, with ImageNet weights we cannot download):
``pretrain_dataset=cifar10`` first trains the same architecture without mixing on that dataset
(seed 0, ``pretrain_*`` settings), once: the weights are cached in
``tenfold.data.cache_root()/snapmix/pretrain-<dataset>-<key>.pt``. Every method then starts from
these weights with a fresh head (seeded per run) and fine-tunes on ``dataset``.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from dataclasses import dataclass
from typing import Annotated, Literal

import torch
from torch import nn

from tenfold.augment.fidelity import label_fidelity
from tenfold.augment.figures import mix_figure
from tenfold.augment.trainer import MIX_METHODS, MixTrainer, paired_trainer
from tenfold.data.image_sets import IMAGE_SETS, tensor_image_set
from tenfold.errors import ConfigError
from tenfold.runtime.io import cached_torch
from tenfold.runtime.registry import Recipe, register_recipe
from tenfold.runtime.rules import Rule
from tenfold.runtime.seeding import seed_everything

log = logging.getLogger(__name__)

METHODS = MIX_METHODS
DATASETS = IMAGE_SETS
Method = Literal["none", "mixup", "cutmix", "asym_cutmix", "snapmix", "snapmix_noboost"]
Dataset = Literal["cluttered-digits", "flowers12", "cifar10"]


@dataclass
class SnapMixConfig:
    """Settings of the ``snapmix`` recipe (defaults = ``quick``)."""

    dataset: Dataset = "cluttered-digits"
    methods: tuple[Method, ...] = METHODS
    epochs: int = 15
    batch_size: int = 32
    lr: float = 0.05
    weight_decay: float = 5e-4
    schedule: Literal["cosine", "step"] = "cosine"
    arch: Literal["auto", "small", "resnet18"] = "auto"   # auto: resnet18 on flowers12
    widths: Annotated[tuple[int, ...], Rule(low=1, nonempty=True,
                                            meaning="small ResNet stage channels")] = (8, 16, 32)
    image_size: Annotated[int, Rule(low=16, meaning="crop size (flowers12)")] = 64
    train_size: int = 1000               # training images (0 = all)
    test_size: int = 1000                # test images (0 = all)
    mix_prob: float = 0.5
    mixup_alpha: float = 1.0
    cutmix_beta: float = 3.0
    snapmix_beta: float = 5.0
    eval_cam: bool = False               # CAMs in eval mode (official: train mode)
    label_fidelity: bool = True
    fidelity_mixes: Annotated[int, Rule(low=0, meaning="mixes scored (0 = none)")] = 2000
    mix_figure: bool = True
    pretrain_dataset: Literal["", "cluttered-digits", "flowers12", "cifar10"] = ""  # "" = scratch
    pretrain_epochs: int = 3
    pretrain_size: int = 0               # pretraining images (0 = all)
    pretrain_lr: float = 0.1
    pretrain_batch_size: int = 128

    def validate(self) -> None:
        if self.pretrain_dataset == self.dataset:
            raise ConfigError(f"pretrain_dataset: expected '' or a dataset other than "
                              f"dataset={self.dataset!r}, got {self.pretrain_dataset!r}")


# -- building blocks --------------------------------------------------------------------------
@functools.lru_cache(maxsize=2)
def load_images(dataset: str, image_size: int = 64, train_size: int = 0, test_size: int = 0):
    """:func:`tenfold.data.image_sets.tensor_image_set`, decoded once per process."""
    return tensor_image_set(dataset, image_size, train_size, test_size)


def resolved_arch(config: SnapMixConfig) -> str:
    """``arch``, with ``auto`` = ResNet-18 on flowers12 and the small ResNet elsewhere."""
    if config.arch != "auto":
        return config.arch
    return "resnet18" if config.dataset == "flowers12" else "small"


def make_trainer(method: str, config: SnapMixConfig, data, device: torch.device, seed: int,
                 init_state: dict[str, torch.Tensor] | None = None, fabric=None) -> MixTrainer:
    """Paired across methods: the same initial weights (``seed_everything(seed)``, then the
    pretrained backbone if given), the same data order and crops; only the mixer differs."""
    seed_everything(seed)     # python/numpy/torch states equal for every method too
    return paired_trainer(method, data, seed=seed, epochs=config.epochs,
                          batch_size=config.batch_size, lr=config.lr,
                          arch=resolved_arch(config), widths=config.widths,
                          weight_decay=config.weight_decay, schedule=config.schedule,
                          prob=config.mix_prob, mixup_alpha=config.mixup_alpha,
                          cutmix_beta=config.cutmix_beta, snapmix_beta=config.snapmix_beta,
                          eval_cam=config.eval_cam, init_state=init_state, device=device,
                          fabric=fabric)


def pretrained_state(config: SnapMixConfig, device: torch.device
                     ) -> tuple[dict[str, torch.Tensor], float]:
    """Weights of the architecture trained without mixing on ``config.pretrain_dataset``.

    Trained once (seed 0, cosine schedule, ``pretrain_*`` settings, evaluated on 2000 test
    images) and cached by a key of those settings; returns ``(state_dict, test accuracy)``.
    """
    pre = dataclasses.replace(
        config, dataset=config.pretrain_dataset, arch=resolved_arch(config), methods=("none",),
        epochs=config.pretrain_epochs, lr=config.pretrain_lr, schedule="cosine",
        batch_size=config.pretrain_batch_size, train_size=config.pretrain_size, test_size=2000)
    settings = {k: getattr(pre, k) for k in ("dataset", "arch", "widths", "epochs", "lr",
                                             "batch_size", "weight_decay", "train_size",
                                             "test_size")}
    settings["version"] = 1

    def build() -> dict:
        data = load_images(pre.dataset, pre.image_size, pre.train_size, pre.test_size).to(device)
        trainer = make_trainer("none", pre, data, device, seed=0).run()
        acc = trainer.metrics()["test_acc"]
        log.info("snapmix: pretrained on %s (test acc %.3f)", pre.dataset, acc)
        return {"state_dict": {k: v.detach().cpu() for k, v in trainer.model.state_dict().items()},
                "test_acc": acc}

    blob = cached_torch("snapmix", f"pretrain-{pre.dataset}", settings, build)
    return blob["state_dict"], float(blob["test_acc"])


# -- per-method extras: label fidelity on a set with object boxes -----------------------------
def _area_rules(model: nn.Module, data, config: SnapMixConfig,
                gen: torch.Generator) -> dict[str, float]:
    """Fidelity of every labelling rule with the CAMs of the unmixed model (``none``)."""
    errs = label_fidelity(model, data, config.fidelity_mixes, config.snapmix_beta, gen)
    return {f"fidelity_{k}": v for k, v in errs.items()}


def _own_cams(model: nn.Module, data, config: SnapMixConfig,
              gen: torch.Generator) -> dict[str, float]:
    """SnapMix's label error with the CAMs of the SnapMix-trained model itself."""
    own = label_fidelity(model, data, config.fidelity_mixes, config.snapmix_beta, gen)
    return {"label_err_own": own["snapmix"]}


# every extra draws the same mixes (a fresh ctx.generator(3)), so their errors are paired
EXTRAS = {"none": _area_rules, "snapmix": _own_cams, "snapmix_noboost": _own_cams}
# the label each method trains with, scored by the unmixed model's fidelity measurement
LABEL_RULE = {"cutmix": "fidelity_area_sym", "asym_cutmix": "fidelity_area_asym",
              "snapmix": "fidelity_snapmix", "snapmix_noboost": "fidelity_snapmix"}


def train_and_score(method: str, config: SnapMixConfig, data, ctx, init_state) -> dict:
    """Build, fit (resumable), evaluate one method; its extras and the mix figure."""
    trainer = make_trainer(method, config, data, ctx.device, ctx.seed, init_state, ctx.fabric)
    with ctx.timed(method, "train_s"):
        ctx.fit(method, trainer.stepper, checkpoint_every=max(1, config.epochs // 20))
    ctx.record_timing(method, "step_s", trainer.step_seconds)
    extra: dict[str, float] = {}
    if (method in EXTRAS and config.label_fidelity and data.test_boxes is not None
            and config.fidelity_mixes > 0):
        extra = EXTRAS[method](trainer.model, data, config, ctx.generator(3))
    if config.mix_figure and method == "snapmix" and ctx.is_rank_zero:
        import matplotlib.pyplot as plt

        fig = mix_figure(trainer.model, data, config.snapmix_beta)
        fig.savefig(ctx.figures_dir / f"mixes-seed{ctx.seed}.png", dpi=110)
        plt.close(fig)
    return {"metrics": trainer.metrics(), "extra": extra}


# -- the recipe -------------------------------------------------------------------------------
def run(config: SnapMixConfig, ctx) -> dict[str, dict[str, float]]:
    """Train every method for seed ``ctx.seed``; add label fidelity on cluttered digits."""
    init_state, pretrain_acc = None, None
    if config.pretrain_dataset:
        with ctx.timed("pretrain", "train_s"):
            init_state, pretrain_acc = pretrained_state(config, ctx.device)
    data = load_images(config.dataset, config.image_size, config.train_size, config.test_size)
    data = data.to(ctx.device)
    results: dict[str, dict[str, float]] = {}
    for method in config.methods:
        out = ctx.cached(f"method-{method}",
                         lambda m=method: train_and_score(m, config, data, ctx, init_state))
        results[method] = {**out["metrics"], **out["extra"]}
        if pretrain_acc is not None:
            results[method]["pretrain_test_acc"] = pretrain_acc
    fid = results.get("none", {})
    if "fidelity_snapmix" in fid:
        for method, key in LABEL_RULE.items():
            if method in results:
                results[method]["label_err"] = fid[key]
        for key in ("fidelity_area_sym", "fidelity_area_asym", "fidelity_snapmix"):
            fid.pop(key)
    return results


register_recipe(Recipe(
    name="snapmix", config_cls=SnapMixConfig, run=run,
    presets={
        "smoke": {"epochs": 2, "train_size": 96, "test_size": 96, "widths": (4, 8),
                  "batch_size": 32, "fidelity_mixes": 96, "seeds": [0]},
        "quick": {"methods": ("none", "mixup", "cutmix", "snapmix"), "epochs": 6,
                  "train_size": 400, "test_size": 400, "fidelity_mixes": 600,
                  "seeds": [0, 1, 2]},
        "paper": {"dataset": "flowers12", "image_size": 224, "epochs": 300, "batch_size": 16,
                  "lr": 0.01, "weight_decay": 1e-4, "schedule": "step", "mix_prob": 0.5,
                  "snapmix_beta": 1.0, "train_size": 0, "test_size": 0,
                  "methods": ("none", "mixup", "cutmix", "snapmix"), "seeds": [0, 1, 2]},
    },
    datasets=DATASETS, baseline="none", primary_metric="test_acc", distributed=True,
    summary="SnapMix vs no mixing / MixUp / CutMix / asymmetric CutMix: accuracy and label "
            "fidelity (AAAI 2021)",
    quick_minutes=1.2,  # 3 x one quick seed: 23.1 CPU s at one thread (loaded 2-core box)
))
