"""``osgan``: one-stage vs two-stage GAN training (Shen et al., arXiv 2103.00430, CVPR 2021).

A DCGAN at 32×32 (GroupNorm discriminator, so that asymmetric losses satisfy the per-sample
independence one-stage training needs) is trained on grey digits twice per loss — conventional
alternating two-stage training and one-stage training — from the same initial weights, on the same
batches in the same order and with the same noise, the two arms INTERLEAVED iteration by
iteration in one process so that their wall-clock times see the same machine load.

Quality: a Fréchet distance in the penultimate features of a LeNet-5 trained on the same data
(``fd_cls``; there are no Inception weights offline) between generated images and the test split,
plus class coverage of the generated images under that classifier. ``real-data`` is the floor:
the same distance for real training images. Time per iteration goes to ``timings.json``; the
figures show sample grids and quality against wall-clock time.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Annotated

import numpy as np
import torch
import torch.nn.functional as F

from tenfold.data import load_dataset
from tenfold.errors import ConfigError
from tenfold.gan.losses import LOSSES
from tenfold.gan.metrics import class_coverage, feature_statistics, frechet_distance
from tenfold.gan.models import DCGANDiscriminator32, DCGANGenerator32, LeNet5, sample_images
from tenfold.gan.onestage import OneStageGAN
from tenfold.runtime.registry import Recipe, register_recipe
from tenfold.runtime.rules import Rule
from tenfold.runtime.seeding import seed_everything

log = logging.getLogger(__name__)
MODES = ("two-stage", "one-stage")


@dataclass
class OSGANConfig:
    """Settings of the ``osgan`` recipe (defaults = ``quick``)."""

    dataset: str = "digits"
    losses: tuple[str, ...] = ("nonsaturating",)
    modes: tuple[str, ...] = MODES
    iters: int = 600
    batch_size: int = 64
    zdim: int = 64
    ch: int = 16
    d_norm: str = "group"
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    lr_d_one_stage: Annotated[float, Rule(low=0, low_open=True, special=((0.0, "lr_d"),),
                                          meaning="D's lr in one-stage mode (re-tuned)")] = 0.0
    beta1: float = 0.5
    eval_every: int = 200
    n_eval: int = 1000
    classifier_epochs: int = 5
    classifier_max_train: int = 20000
    max_train: int = 0  # 0 = the whole training split

    def validate(self) -> None:
        unknown = set(self.losses) - set(LOSSES)
        if unknown or not self.losses:
            raise ConfigError(f"losses: expected a subset of {', '.join(LOSSES)}, "
                              f"got {', '.join(self.losses) or 'nothing'}")
        if set(self.modes) - set(MODES) or not self.modes:
            raise ConfigError(f"modes: expected a subset of {', '.join(MODES)}")
        if self.d_norm not in ("group", "none", "batch"):
            raise ConfigError("d_norm must be 'group', 'none' or 'batch'")
        if min(self.iters, self.batch_size, self.zdim, self.ch, self.eval_every) < 1:
            raise ConfigError("iters, batch_size, zdim, ch and eval_every must be ≥ 1")
        if self.n_eval < 10:
            raise ConfigError("n_eval must be ≥ 10")
        if min(self.lr_g, self.lr_d) <= 0 or self.lr_d_one_stage < 0:
            raise ConfigError("learning rates must be positive (lr_d_one_stage: 0 = lr_d)")


# -- data -----------------------------------------------------------------------------------

def images32(dataset: str) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """``{"train", "test"}`` → (images (N, 1, 32, 32) in [-1, 1], labels) for digits or MNIST."""
    splits = load_dataset(dataset)
    out = {}
    for name, ds in splits.items():
        if hasattr(ds, "tensors"):                      # scikit-learn digits, [0, 1], 8×8
            x, y = ds.tensors
        else:                                           # torchvision MNIST, uint8 28×28
            x, y = ds.data.unsqueeze(1).float() / 255.0, ds.targets.clone()
        x = F.interpolate(x.float(), size=(32, 32), mode="bilinear", align_corners=False)
        out[name] = (x.clamp(0, 1) * 2 - 1, y.long())
    return out


def train_classifier(x: torch.Tensor, y: torch.Tensor, epochs: int, gen: torch.Generator,
                     device: torch.device, batch: int = 128) -> LeNet5:
    """A LeNet-5 on (x, y); its penultimate features define the Fréchet distance."""
    model = LeNet5(num_classes=int(y.max()) + 1).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch):
            idx = perm[i:i + batch]
            loss = F.cross_entropy(model(x[idx].to(device)), y[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return model.eval()


@torch.no_grad()
def classify(model: LeNet5, x: torch.Tensor, device: torch.device, batch: int = 1000
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """(features, predicted labels) of ``x`` under ``model``."""
    feats, preds = [], []
    for i in range(0, len(x), batch):
        f = model.features(x[i:i + batch].to(device))
        feats.append(f.cpu())
        preds.append(model.head(f).argmax(1).cpu())
    return torch.cat(feats), torch.cat(preds)


class Evaluator:
    """FD-cls and class coverage of generated images against a reference real set."""

    def __init__(self, classifier: LeNet5, reference: torch.Tensor, num_classes: int,
                 n_eval: int, zdim: int, device: torch.device, seed: int):
        self.classifier, self.num_classes = classifier, num_classes
        self.n_eval, self.zdim, self.device, self.seed = n_eval, zdim, device, seed
        self.ref_stats = feature_statistics(classify(classifier, reference, device)[0])

    def images(self, generator) -> torch.Tensor:
        gen = torch.Generator().manual_seed(self.seed + 777)   # the same noise for every arm
        return sample_images(generator, self.n_eval, self.zdim, gen, self.device)

    def score_images(self, x: torch.Tensor) -> dict[str, float]:
        feats, preds = classify(self.classifier, x, self.device)
        out = {"fd_cls": frechet_distance(feature_statistics(feats), self.ref_stats)}
        out.update(class_coverage(preds, self.num_classes))
        return out

    def __call__(self, generator) -> dict[str, float]:
        return self.score_images(self.images(generator))


# -- one loss, both modes, interleaved --------------------------------------------------------

def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_pair(config: OSGANConfig, loss: str, x_train: torch.Tensor, evaluator: Evaluator,
               ctx, lr_d_one_stage: float | None = None) -> dict[str, dict]:
    """Train every mode of ``config.modes`` on ``loss``, interleaved; returns per-mode results
    with the FD curve and per-iteration times."""
    device = ctx.device
    arms = {}
    for mode in config.modes:
        seed_everything(ctx.seed)                       # same initial weights in every arm
        G = DCGANGenerator32(config.zdim, config.ch).to(device)
        D = DCGANDiscriminator32(config.ch, norm=config.d_norm).to(device)
        lr_d = config.lr_d
        if mode == "one-stage":
            lr_d = lr_d_one_stage or config.lr_d_one_stage or config.lr_d
        opt_g = torch.optim.Adam(G.parameters(), config.lr_g, betas=(config.beta1, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr_d, betas=(config.beta1, 0.999))
        step = OneStageGAN(G, D, opt_g, opt_d, loss=loss, mode=mode)
        arms[mode] = {"G": G, "step": step, "times": [], "curve": [], "fallback": 0.0}
    data_gen = ctx.generator(1)
    noise_gen = ctx.generator(2, device="cpu")
    n, bs = len(x_train), config.batch_size
    perm, pos = torch.randperm(n, generator=data_gen), 0

    def evaluate(it: int) -> None:
        for mode, arm in arms.items():
            scores = evaluator(arm["G"])
            arm["curve"].append((it, float(np.sum(arm["times"])), scores["fd_cls"]))
            ctx.log(f"{mode}-{loss}", it, fd_cls=scores["fd_cls"], covered=scores["covered"],
                    train_s=float(np.sum(arm["times"])))
            arm["last"] = scores

    for it in ctx.progress(range(1, config.iters + 1), desc=f"osgan {loss}"):
        if pos + bs > n:
            perm, pos = torch.randperm(n, generator=data_gen), 0
        real = x_train[perm[pos:pos + bs]].to(device)
        pos += bs
        z = torch.randn(bs, config.zdim, generator=noise_gen).to(device)
        z2 = torch.randn(bs, config.zdim, generator=noise_gen).to(device)
        for arm in arms.values():
            _sync(device)
            start = time.perf_counter()
            stats = arm["step"](real, z, z2)
            _sync(device)
            arm["times"].append(time.perf_counter() - start)
            arm["fallback"] += float(stats["n_fallback"]) / bs
        if it % config.eval_every == 0 or it == config.iters:
            evaluate(it)
    return arms


def _figures(arms_by_loss: dict[str, dict], evaluator: Evaluator, ctx) -> None:
    if not ctx.is_rank_zero:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from torchvision.utils import save_image

    for loss, arms in arms_by_loss.items():
        fig, ax = plt.subplots(figsize=(5, 3.4))
        for mode, arm in arms.items():
            t = [c[1] for c in arm["curve"]]
            fd = [c[2] for c in arm["curve"]]
            ax.plot(t, fd, marker="o", label=mode)
            images = evaluator.images(arm["G"])[:64]
            name = f"samples-{mode}-{loss}-seed{ctx.seed}.png"
            save_image(images * 0.5 + 0.5, ctx.figures_dir / name, nrow=8)
        ax.set_xlabel("training wall-clock time (s)")
        ax.set_ylabel("FD-cls (lower is better)")
        ax.set_title(f"{loss}: quality vs time (seed {ctx.seed})")
        ax.legend()
        fig.tight_layout()
        fig.savefig(ctx.figures_dir / f"fd-vs-time-{loss}-seed{ctx.seed}.png", dpi=110)
        plt.close(fig)


def run(config: OSGANConfig, ctx) -> dict[str, dict[str, float]]:
    """Train one-stage and two-stage GANs for ``ctx.seed``; return FD-cls and coverage."""
    data = images32(config.dataset)
    x_train, y_train = data["train"]
    x_test, _ = data["test"]
    if config.max_train:
        x_train, y_train = x_train[:config.max_train], y_train[:config.max_train]
    num_classes = int(y_train.max()) + 1
    seed_everything(ctx.seed)
    gen = ctx.generator(0)
    n_cls = min(len(x_train), config.classifier_max_train)
    classifier = train_classifier(x_train[:n_cls], y_train[:n_cls], config.classifier_epochs,
                                  gen, ctx.device)
    reference = x_test[:config.n_eval]
    evaluator = Evaluator(classifier, reference, num_classes, config.n_eval, config.zdim,
                          ctx.device, ctx.seed)
    _, preds = classify(classifier, x_test, ctx.device)
    real_sample = x_train[torch.randperm(len(x_train), generator=gen)[:len(reference)]]
    results = {"real-data": {**evaluator.score_images(real_sample),
                             "classifier_acc": float((preds == data["test"][1]).float().mean())}}
    arms_by_loss = {}
    for loss in config.losses:
        arms = train_pair(config, loss, x_train, evaluator, ctx)
        arms_by_loss[loss] = arms
        for mode, arm in arms.items():
            method = f"{mode}-{loss}"
            results[method] = dict(arm["last"])
            if mode == "one-stage":
                results[method]["fallback_frac"] = arm["fallback"] / config.iters
            ctx.record_timing(method, "ms_per_iter_median", 1e3 * float(np.median(arm["times"])))
            ctx.record_timing(method, "train_s", float(np.sum(arm["times"])))
        if set(arms) == set(MODES):
            ratio = np.median(arms["two-stage"]["times"]) / np.median(arms["one-stage"]["times"])
            ctx.record_timing(f"one-stage-{loss}", "speedup_vs_two_stage", float(ratio))
    _figures(arms_by_loss, evaluator, ctx)
    return results


register_recipe(Recipe(
    name="osgan", config_cls=OSGANConfig, run=run,
    presets={
        "smoke": {"iters": 8, "ch": 8, "batch_size": 32, "eval_every": 4, "n_eval": 200,
                  "classifier_epochs": 1, "classifier_max_train": 512, "seeds": [0]},
        "quick": {"seeds": [0, 1, 2]},
        # the official MNIST configs: 20 epochs at batch 128; one-stage D lr 5e-5 (asymmetric);
        # DCGAN width 128 at 64×64 there, 32 at 32×32 here
        "paper": {"dataset": "mnist", "losses": ("nonsaturating", "minimax"), "iters": 9375,
                  "batch_size": 128, "ch": 32, "zdim": 100, "lr_d_one_stage": 5e-5,
                  "eval_every": 1000, "n_eval": 5000, "seeds": [0, 1, 2]},
    },
    datasets=("digits", "mnist"),
    baseline="two-stage-nonsaturating", primary_metric="fd_cls", higher_is_better=False,
    summary="one-stage vs two-stage GAN training (DCGAN-32, FD in classifier features)",
))
