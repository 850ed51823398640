"""``attribution``: learned propagation rules (arXiv 2010.07210) against gradient, guided backprop,
deconvnet, Grad-CAM and integrated gradients, on digits whose ground-truth box is known.

Per seed: a small CAM-compatible ResNet is trained on the dataset (cached across runs in the
artefact cache, keyed by its settings and the seed), the learned rule is fitted on training images
with the classifier frozen, and every method explains the true class of the same ``eval_size``
test images. Metrics per method: ``energy`` (relevance mass in the digit's box, the primary
score), ``pointing`` (pointing game), ``deletion_auc`` (lower is better), ``insertion_auc`` and
``sanity_spearman`` (rank correlation of the maps before / after randomising the classifier's top
layers: low means the map depends on the model; the learned rule is refitted on the randomised
classifier for this, and the ``edge`` map, which ignores the model, is the control that fails).
Every row also carries ``classifier_acc`` (test accuracy of the explained classifier).

Datasets: ``distractor-digits`` (embedded default; labels 0-4 with a whole distractor digit 5-9
elsewhere, so the map must be class-specific; the small ResNet reaches ~94 % in 15 epochs) and
``cluttered-digits`` (embedded; a digit among fragments of others, 10 classes; the same budget
gives a weaker classifier, ~60 %).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Annotated, Literal

import torch
import torch.nn.functional as F

from tenfold.augment import SmallResNet
from tenfold.data import load_dataset
from tenfold.errors import ConfigError
from tenfold.explain import (
    ElementwiseRule,
    LearnedPropagation,
    baseline_map,
    box_masks,
    curve_auc,
    deletion_insertion_curves,
    energy_in_box,
    pointing_game,
    randomize_layers,
    spearman,
)
from tenfold.runtime.io import cached_torch
from tenfold.runtime.registry import Recipe, register_recipe
from tenfold.runtime.rules import Rule
from tenfold.runtime.seeding import seed_everything
from tenfold.runtime.stepper import LoopStepper

log = logging.getLogger(__name__)

METHODS = ("random", "edge", "gradient", "guided", "deconvnet", "gradcam", "ig", "learned")
DATASETS = ("distractor-digits", "cluttered-digits")


@dataclass
class AttributionConfig:
    """Settings of the ``attribution`` recipe (defaults = ``quick``)."""

    dataset: str = "distractor-digits"
    methods: tuple[str, ...] = METHODS
    train_size: int = 2000               # classifier training images
    eval_size: Annotated[int, Rule(low=1, meaning="test images explained and scored")] = 100
    epochs: int = 15                     # classifier epochs
    batch_size: int = 64
    lr: float = 0.1
    weight_decay: float = 5e-4
    widths: tuple[int, ...] = (8, 16, 32)
    rule_steps: int = 80                 # Adam steps of the learned rule
    rule_batch_size: int = 16
    rule_lr: float = 0.01
    rule_hidden: int = 8
    keep_weight: float = 1.0
    delete_weight: float = 1.0
    area_weight: float = 0.2
    ig_steps: Annotated[int, Rule(low=1, meaning="integrated-gradients steps")] = 32
    curve_steps: Annotated[int, Rule(low=1, meaning="points of the deletion/insertion curves")] = 16
    pointing_tolerance: Annotated[float, Rule(low=0, meaning="pointing-game tolerance (px)")] = 0.0
    sanity: bool = True
    randomize: Literal["head", "head+stage"] = "head+stage"
    figures: bool = True

    def validate(self) -> None:
        unknown = set(self.methods) - set(METHODS)
        if unknown:
            raise ConfigError(f"methods: expected a subset of {', '.join(METHODS)}, got "
                              f"{', '.join(sorted(unknown))}")
        if self.dataset not in DATASETS:
            raise ConfigError(f"dataset: expected one of {', '.join(DATASETS)}, got "
                              f"{self.dataset!r}")
        if self.train_size < self.batch_size:
            raise ConfigError(f"train_size ({self.train_size}) must be >= batch_size "
                              f"({self.batch_size})")
        if self.rule_batch_size < 1 or self.rule_batch_size > self.train_size:
            raise ConfigError("rule_batch_size must lie in [1, train_size]")
        if "learned" in self.methods and self.rule_steps < 1:
            raise ConfigError("rule_steps must be >= 1 when 'learned' is among the methods")
        if self.keep_weight + self.delete_weight + self.area_weight <= 0:
            raise ConfigError("keep_weight, delete_weight and area_weight must not all be 0")


# -- data and classifier ----------------------------------------------------------------------
def load_digits_data(config: AttributionConfig):
    """``(train, test)`` boxed datasets (fixed data seed 0; test holds ``eval_size`` images)."""
    data = load_dataset(config.dataset, num_train=config.train_size,
                        num_test=config.eval_size, seed=0)
    return data["train"], data["test"]


def classifier_state(config: AttributionConfig, train, test, ctx) -> tuple[dict, float]:
    """The classifier's weights for ``ctx.seed`` and its test accuracy.

    Trained once per (settings, seed) and kept in the artefact cache; training is a resumable
    per-epoch stepper (SGD, Nesterov momentum 0.9, cosine schedule, +-2 px random shifts)."""
    num_classes = int(train.labels.max()) + 1
    settings = {"dataset": config.dataset, "train_size": config.train_size,
                "epochs": config.epochs, "batch_size": config.batch_size, "lr": config.lr,
                "weight_decay": config.weight_decay, "widths": list(config.widths),
                "seed": ctx.seed, "classes": num_classes, "version": 1}

    def build() -> dict:
        seed_everything(ctx.seed)
        model = SmallResNet(num_classes, tuple(config.widths), in_channels=1)
        opt = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=0.9, nesterov=True,
                              weight_decay=config.weight_decay)
        gen = ctx.generator(11)
        n, bs = len(train.labels), config.batch_size
        per_epoch = n // bs
        total = per_epoch * config.epochs

        def epoch(e: int) -> dict[str, float]:
            model.train()
            order = torch.randperm(n, generator=gen)
            loss_sum = 0.0
            for b in range(per_epoch):
                step = e * per_epoch + b
                for group in opt.param_groups:
                    group["lr"] = config.lr * 0.5 * (1 + math.cos(math.pi * step / total))
                idx = order[b * bs:(b + 1) * bs]
                x = shift(train.images[idx], 2, gen)
                loss = F.cross_entropy(model(x), train.labels[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                loss_sum += float(loss.detach())
            return {"loss": loss_sum / per_epoch}

        ctx.fit("classifier", LoopStepper(epoch, config.epochs,
                                          {"model": model, "opt": opt, "data": gen}),
                checkpoint_every=1)
        model.eval()
        with torch.no_grad():
            acc = float((model(test.images).argmax(1) == test.labels).float().mean())
        return {"state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
                "test_acc": acc}

    blob = cached_torch("attribution", f"classifier-{config.dataset}-seed{ctx.seed}", settings,
                        build)
    return blob["state_dict"], float(blob["test_acc"])


def shift(x: torch.Tensor, pad: int, gen: torch.Generator) -> torch.Tensor:
    """Random translations by up to ``pad`` px (zero padding, then a random crop per image)."""
    b, _, h, w = x.shape
    padded = F.pad(x, (pad,) * 4)
    oy = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    ox = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    rows = (oy[:, None] + torch.arange(h))[:, None, :, None]
    cols = (ox[:, None] + torch.arange(w))[:, None, None, :]
    return padded[torch.arange(b)[:, None, None, None], torch.arange(x.shape[1])[None, :, None,
                                                                                  None], rows, cols]


def build_classifier(config: AttributionConfig, state: dict, num_classes: int):
    model = SmallResNet(num_classes, tuple(config.widths), in_channels=1)
    model.load_state_dict(state)
    return model.eval()


# -- the learned rule -------------------------------------------------------------------------
def fit_rule(key: str, model, config: AttributionConfig, images: torch.Tensor, ctx,
             offset: int) -> LearnedPropagation:
    """A :class:`LearnedPropagation` on ``model`` whose rule is fitted for ``rule_steps`` Adam
    steps on random batches of ``images`` (resumable stepper under ``key``)."""
    seed_everything(ctx.seed)
    rule = ElementwiseRule(config.rule_hidden, generator=ctx.generator(offset))
    expl = LearnedPropagation(model, rule, keep_weight=config.keep_weight,
                              delete_weight=config.delete_weight, area_weight=config.area_weight)
    opt = torch.optim.Adam(rule.parameters(), lr=config.rule_lr)
    gen = ctx.generator(offset + 1)

    def step(_: int) -> dict[str, float]:
        idx = torch.randperm(len(images), generator=gen)[:config.rule_batch_size]
        return expl.fit_step(images[idx], opt)

    ctx.fit(key, LoopStepper(step, config.rule_steps, {"rule": rule, "opt": opt, "data": gen}),
            checkpoint_every=25)
    return expl


# -- evaluation -------------------------------------------------------------------------------
def method_maps(method: str, model, images: torch.Tensor, target: torch.Tensor,
                config: AttributionConfig, gen: torch.Generator,
                learned: LearnedPropagation | None = None, batch: int = 100) -> torch.Tensor:
    """``(N, 1, H, W)`` non-negative maps of ``method`` for ``images`` and classes ``target``."""
    out = []
    for start in range(0, len(images), batch):
        x, t = images[start:start + batch], target[start:start + batch]
        if method == "learned":
            out.append(learned.attribute(x, t, reduce="abs_sum"))
        else:
            out.append(baseline_map(method, model, x, t, layer=model.features[-1],
                                    ig_steps=config.ig_steps, generator=gen))
    return torch.cat(out)


def score_maps(model, images, labels, masks, maps, config: AttributionConfig
               ) -> tuple[dict[str, float], torch.Tensor, torch.Tensor]:
    deletion, insertion = deletion_insertion_curves(model, images, maps, labels,
                                                    steps=config.curve_steps)
    scores = {"energy": float(energy_in_box(maps, masks).mean()),
              "pointing": float(pointing_game(maps, masks, config.pointing_tolerance).mean()),
              "deletion_auc": float(curve_auc(deletion).mean()),
              "insertion_auc": float(curve_auc(insertion).mean())}
    return scores, deletion.mean(0), insertion.mean(0)


def run(config: AttributionConfig, ctx) -> dict[str, dict[str, float]]:
    """Train the classifier, fit the rule, and score every method for seed ``ctx.seed``."""
    train, test = load_digits_data(config)
    num_classes = int(train.labels.max()) + 1
    with ctx.timed("classifier", "train_s"):
        state, acc = classifier_state(config, train, test, ctx)
    model = build_classifier(config, state, num_classes)
    for p in model.parameters():
        p.requires_grad_(False)
    images, labels = test.images, test.labels
    masks = box_masks(test.boxes, *images.shape[2:])
    learned = None
    if "learned" in config.methods:
        with ctx.timed("learned", "fit_s"):
            learned = fit_rule("rule", model, config, train.images, ctx, offset=21)
    randomized, learned_rand = None, None
    if config.sanity:
        names = ["fc"] + (["features." + str(len(model.features) - 1)]
                          if config.randomize == "head+stage" else [])
        randomized = randomize_layers(model, names, ctx.generator(31)).eval()
        if "learned" in config.methods:
            with ctx.timed("learned", "fit_randomized_s"):
                learned_rand = fit_rule("rule-randomized", randomized, config, train.images, ctx,
                                        offset=41)

    def evaluate() -> dict:
        results, curves, grid = {}, {}, {}
        for method in config.methods:
            gen = ctx.generator(51)
            start = time.perf_counter()
            maps = method_maps(method, model, images, labels, config, gen, learned)
            ctx.record_timing(method, "attribute_s", time.perf_counter() - start)
            scores, dele, ins = score_maps(model, images, labels, masks, maps, config)
            if randomized is not None and method != "random":
                rand_maps = method_maps(method, randomized, images, labels, config,
                                        ctx.generator(51), learned_rand)
                rho = spearman(maps, rand_maps)
                if (~rho.isnan()).any():     # NaN rows: a constant map (no ranking)
                    scores["sanity_spearman"] = float(rho[~rho.isnan()].mean())
            scores["classifier_acc"] = acc
            results[method] = scores
            curves[method] = {"deletion": dele.tolist(), "insertion": ins.tolist()}
            grid[method] = maps[:6, 0].tolist()
        return {"results": results, "curves": curves, "grid": grid}

    out = ctx.cached("evaluation", evaluate)
    if config.figures and ctx.is_rank_zero:
        save_figures(out, images[:6], test.boxes[:6], labels[:6], ctx)
    return out["results"]


def save_figures(out: dict, images: torch.Tensor, boxes: torch.Tensor, labels: torch.Tensor,
                 ctx) -> None:
    """``maps-seed<N>.png`` (images x methods with the ground-truth box) and
    ``curves-seed<N>.png`` (mean deletion / insertion curves per method)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(out["grid"])
    n = len(images)
    fig, axes = plt.subplots(n, len(methods) + 1, figsize=(1.3 * (len(methods) + 1), 1.3 * n),
                             squeeze=False)
    for i in range(n):
        panels = [("image", images[i, 0])] + [(m, torch.tensor(out["grid"][m][i]))
                                              for m in methods]
        for j, (name, img) in enumerate(panels):
            ax = axes[i, j]
            ax.imshow(img, cmap="gray" if j == 0 else "inferno")
            t, l_, b, r = (int(v) for v in boxes[i])
            ax.add_patch(plt.Rectangle((l_ - 0.5, t - 0.5), r - l_, b - t, fill=False,
                                       edgecolor="cyan", linewidth=0.8))
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(name, fontsize=7)
        axes[i, 0].set_ylabel(f"class {int(labels[i])}", fontsize=7)
    fig.suptitle("attribution maps (cyan: ground-truth box)", fontsize=8)
    fig.tight_layout()
    fig.savefig(ctx.figures_dir / f"maps-seed{ctx.seed}.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    for method, curve in out["curves"].items():
        for ax, kind in zip(axes, ("deletion", "insertion"), strict=True):
            ys = curve[kind]
            ax.plot([k / (len(ys) - 1) for k in range(len(ys))], ys, label=method)
    titles = ("deletion (lower is better)", "insertion (higher is better)")
    for ax, kind in zip(axes, titles, strict=True):
        ax.set_title(kind, fontsize=9)
        ax.set_xlabel("fraction of pixels removed / revealed")
        ax.set_ylabel("p(true class)")
    axes[1].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(ctx.figures_dir / f"curves-seed{ctx.seed}.png", dpi=110)
    plt.close(fig)


register_recipe(Recipe(
    name="attribution", config_cls=AttributionConfig, run=run,
    presets={
        "smoke": {"train_size": 128, "eval_size": 16, "epochs": 1, "batch_size": 32,
                  "widths": (4, 8), "rule_steps": 2, "rule_batch_size": 8, "ig_steps": 4,
                  "curve_steps": 4, "seeds": [0]},
        "quick": {"seeds": [0, 1, 2]},
        "paper": {"eval_size": 500, "epochs": 20, "rule_steps": 300, "rule_batch_size": 32,
                  "seeds": [0, 1, 2, 3, 4]},
    },
    datasets=DATASETS, baseline="gradient", primary_metric="energy", quick_minutes=3.5,
    summary="learned ReLU backward rules vs gradient / guided / deconvnet / Grad-CAM / IG: "
            "localisation on digits with known boxes",
))
