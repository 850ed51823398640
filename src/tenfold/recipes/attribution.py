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
elsewhere, so the map must be class-specific; the small ResNet reaches ~93 % in 15 epochs),
``cluttered-digits`` (embedded; a digit among fragments of others, 10 classes; ~60 %) and
``distractor-mnist`` (the same as distractor-digits from the MNIST files of the data mirror).
The learned rule is ``rule="logistic"`` (default, cheap) or ``"mlp"``
(:mod:`tenfold.explain.rules`), fitted on a 5x5-smoothed mask with the class-contrastive term
(``mask_smoothing``, ``contrast_weight``; chosen on validation canvases). ``eval_split="val"``
scores the generator's validation canvases (``num_val``, disjoint from the test images) instead of
the test ones, for choosing settings.
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
from tenfold.data.synthetic.cluttered_digits import (
    random_shift,
)
from tenfold.errors import ConfigError
from tenfold.explain import (
    ElementwiseRule,
    LearnedPropagation,
    LogisticRule,
    baseline_map,
    box_masks,
    localisation_scores,
    randomize_layers,
    spearman,
)
from tenfold.explain import figures as explain_figures
from tenfold.metrics import model_accuracy
from tenfold.runtime.io import cached_torch
from tenfold.runtime.registry import Recipe, register_recipe
from tenfold.runtime.rules import Rule
from tenfold.runtime.seeding import seed_everything
from tenfold.runtime.stepper import LoopStepper

log = logging.getLogger(__name__)

METHODS = ("random", "edge", "gradient", "guided", "deconvnet", "gradcam", "ig", "learned")
DATASETS = ("distractor-digits", "cluttered-digits", "distractor-mnist")
VALIDATION_DATASETS = ("distractor-digits", "distractor-mnist")
DATA_SEED = 0           # the data seed of the train / test / validation canvases
# LogisticRule's start near guided backprop: r = sigmoid(6 [g > 0] - 3) = 0.95 / 0.05
GUIDED_START = {"init_gate": 6.0, "init_bias": -3.0}


@dataclass
class AttributionConfig:
    """Settings of the ``attribution`` recipe (defaults = ``quick``; the benchmark pins larger
    ones)."""

    dataset: str = "distractor-digits"
    methods: tuple[str, ...] = METHODS
    train_size: int = 1024               # classifier training images
    eval_size: Annotated[int, Rule(low=1, meaning="test images explained and scored")] = 48
    epochs: int = 6                      # classifier epochs
    batch_size: int = 64
    lr: float = 0.1
    weight_decay: float = 5e-4
    widths: tuple[int, ...] = (8, 16, 32)
    rule: Literal["logistic", "mlp"] = "logistic"
    rule_steps: int = 30                 # Adam steps of the learned rule
    rule_batch_size: int = 16
    # 0.1: the logistic rule's four numbers move ~lr per Adam step (attribution_variants.json)
    rule_lr: Annotated[float, Rule(low=0, low_open=True, meaning="Adam lr of the rule")] = 0.1
    rule_hidden: Annotated[int, Rule(low=1, meaning="hidden width of the 'mlp' rule")] = 8
    # the logistic rule's start: near the plain gradient (r ~ 0.88 everywhere) or near guided
    # backprop (r ~ 0.95 where g > 0, ~ 0.05 elsewhere)
    rule_init: Literal["gradient", "guided"] = "gradient"
    keep_weight: float = 1.0
    delete_weight: float = 1.0
    area_weight: float = 0.2
    # Chosen on validation images, never the test images: variant logistic-S5-C1 of
    # benchmarks/attribution_variants.py (docs/methods/attribution.md, "Variants").
    mask_smoothing: Annotated[int, Rule(low=0, meaning="odd box-average window of the "
                                        "objective's mask (0: none)")] = 5
    contrast_weight: Annotated[float, Rule(low=0, meaning="weight of the class-contrastive "
                                           "overlap term")] = 1.0
    # "val": score canvases built from the training digits (disjoint from the test images), for
    # choosing settings without looking at the test images.
    eval_split: Literal["test", "val"] = "test"
    ig_steps: Annotated[int, Rule(low=1, meaning="integrated-gradients steps")] = 16
    curve_steps: Annotated[int, Rule(low=1, meaning="points of the deletion/insertion curves")] = 10
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
        if self.rule_init == "guided" and self.rule != "logistic":
            raise ConfigError("rule_init='guided': expected rule='logistic' (the MLP rule has no "
                              "guided start)")
        if self.mask_smoothing > 1 and self.mask_smoothing % 2 == 0:
            raise ConfigError(f"mask_smoothing: expected 0, 1 or an odd window, got "
                              f"{self.mask_smoothing}")
        if self.eval_split == "val" and self.dataset not in VALIDATION_DATASETS:
            raise ConfigError(f"eval_split='val': expected dataset one of "
                              f"{', '.join(VALIDATION_DATASETS)}, got {self.dataset!r}")


# -- data and classifier ----------------------------------------------------------------------
def load_digits_data(config: AttributionConfig):
    """``(train, test, scored)`` boxed datasets (fixed data seed ``DATA_SEED``; test holds
    ``eval_size`` images). ``scored`` is the test set, or with ``eval_split="val"`` the
    generator's ``eval_size`` validation canvases (from the training digits, disjoint from the
    test images)."""
    val = {"num_val": config.eval_size} if config.eval_split == "val" else {}
    data = load_dataset(config.dataset, num_train=config.train_size,
                        num_test=config.eval_size, seed=DATA_SEED, **val)
    return data["train"], data["test"], data.get("val", data["test"])


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
                x = random_shift(train.images[idx], 2, gen)
                loss = F.cross_entropy(model(x), train.labels[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                loss_sum += float(loss.detach())
            return {"loss": loss_sum / per_epoch}

        ctx.fit("classifier", LoopStepper(epoch, config.epochs,
                                          {"model": model, "opt": opt, "data": gen}),
                checkpoint_every=1)
        acc = model_accuracy(model, test.images, test.labels)
        return {"state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
                "test_acc": acc}

    blob = cached_torch("attribution", f"classifier-{config.dataset}-seed{ctx.seed}", settings,
                        build)
    return blob["state_dict"], float(blob["test_acc"])


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
    start = GUIDED_START if config.rule_init == "guided" else {}
    rule = (LogisticRule(generator=ctx.generator(offset), **start) if config.rule == "logistic"
            else ElementwiseRule(config.rule_hidden, generator=ctx.generator(offset)))
    expl = LearnedPropagation(model, rule, keep_weight=config.keep_weight,
                              delete_weight=config.delete_weight, area_weight=config.area_weight,
                              mask_smoothing=config.mask_smoothing,
                              contrast_weight=config.contrast_weight)
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


def run(config: AttributionConfig, ctx) -> dict[str, dict[str, float]]:
    """Train the classifier, fit the rule, and score every method for seed ``ctx.seed``."""
    train, test, scored = load_digits_data(config)
    num_classes = int(train.labels.max()) + 1
    with ctx.timed("classifier", "train_s"):
        state, acc = classifier_state(config, train, test, ctx)
    model = build_classifier(config, state, num_classes)
    for p in model.parameters():
        p.requires_grad_(False)
    images, labels = scored.images, scored.labels
    masks = box_masks(scored.boxes, *images.shape[2:])
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
            scores, dele, ins = localisation_scores(model, images, labels, masks, maps,
                                                    config.curve_steps, config.pointing_tolerance)
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
        save_figures(out, images[:6], scored.boxes[:6], labels[:6], ctx)
    return out["results"]


def save_figures(out: dict, images: torch.Tensor, boxes: torch.Tensor, labels: torch.Tensor,
                 ctx) -> None:
    """``maps-seed<N>.png`` (images x methods with the ground-truth box) and
    ``curves-seed<N>.png`` (mean deletion / insertion curves per method)."""
    import matplotlib.pyplot as plt

    for name, fig in (("maps", explain_figures.map_grid(images, boxes, labels, out["grid"])),
                      ("curves", explain_figures.curves(out["curves"]))):
        fig.savefig(ctx.figures_dir / f"{name}-seed{ctx.seed}.png", dpi=110)
        plt.close(fig)


register_recipe(Recipe(
    name="attribution", config_cls=AttributionConfig, run=run,
    presets={
        "smoke": {"train_size": 128, "eval_size": 16, "epochs": 1, "batch_size": 32,
                  "widths": (4, 8), "rule_steps": 2, "rule_batch_size": 8, "ig_steps": 4,
                  "curve_steps": 4, "seeds": [0]},
        "quick": {"seeds": [0, 1, 2]},
        "paper": {"train_size": 2000, "eval_size": 500, "epochs": 20, "rule_steps": 300,
                  "rule_batch_size": 32, "ig_steps": 32, "curve_steps": 16,
                  "seeds": [0, 1, 2, 3, 4]},
    },
    datasets=DATASETS, baseline="gradient", primary_metric="energy", quick_minutes=1.0,
    summary="learned ReLU backward rules vs gradient / guided / deconvnet / Grad-CAM / IG: "
            "localisation on digits with known boxes",
))
