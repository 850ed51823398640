"""``udor``: unsupervised disassembling of object representations (Feng et al., arXiv
2004.01426) against a plain auto-encoder, UDOR without its GAN term and the supervised S-AE.

Data: multi-object canvases (:class:`tenfold.udor.MultiObjectCanvas`) of the digit categories
``classes`` (official: 0, 1, 2) at fixed slots or jittered slots (``slots="offset"``), built from
scikit-learn's digits (embedded default) or MNIST; training canvases from the training digits,
test canvases (with exact object-removed images) from the test digits.

Every method trains the same networks from the same initial weights and batches (a resumable
``ctx.fit`` loop), then is scored on the test canvases: reconstruction MAE, visual-integrity
error of object removal against the exact ground truth and its "do nothing" scale, normalised
modularity, and per-part presence classification by a linear probe (macro/micro P/R/F1), each
under the best part ↔ category matching. Methods ``udor-marginal*`` use the non-trivial fuzzy
loss (the official form has a trivial minimiser; see docs/methods/udor.md); ``udor-nofuzzy``
drops the fuzzy term (reconstruction, re-encoding, empty code and GAN only); ``*-warmup`` ramp
the fuzzy weight linearly over the first ``cls_warmup`` iterations (a deviation from the
official schedule). ``output="sigmoid"`` gives the decoder the official bounded output.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Literal

import torch

from tenfold.data.tensor_images import image_tensors
from tenfold.errors import ConfigError
from tenfold.runtime.registry import Recipe, register_recipe
from tenfold.runtime.rules import Rule
from tenfold.runtime.seeding import seed_everything
from tenfold.udor import metrics
from tenfold.udor.canvas import MultiObjectCanvas, object_pools
from tenfold.udor.model import UDOR
from tenfold.udor.trainer import METHOD_WEIGHTS, TrainSettings, UDORTrainer

log = logging.getLogger(__name__)

# method -> (loss weights preset, fuzzy-loss form, fuzzy-weight warm-up of ``cls_warmup``)
METHODS = {
    "udor": ("udor", "official", False),
    "udor-nogan": ("udor-nogan", "official", False),
    "udor-warmup": ("udor", "official", True),
    "udor-nogan-warmup": ("udor-nogan", "official", True),
    "udor-marginal": ("udor", "marginal", False),
    "udor-marginal-nogan": ("udor-nogan", "marginal", False),
    "udor-nofuzzy": ("udor-nofuzzy", "official", False),
    "ae": ("ae", "official", False),
    "s-ae": ("s-ae", "official", False),
}
DATASETS = ("digits", "mnist")


@dataclass
class UDORConfig:
    """Settings of the ``udor`` recipe (defaults = ``quick``)."""

    dataset: Literal["digits", "mnist"] = "digits"
    slots: Annotated[Literal["fixed", "offset"], "official slots or jittered by ±max_offset"] = \
        "fixed"
    max_offset: Annotated[int, Rule(low=0, meaning="jitter in px per axis (slots=offset)")] = 4
    classes: Annotated[tuple[int, ...], Rule(low=0, high=9, nonempty=True, unique=True,
                                             meaning="digit categories, one part each (1 to 4)")
                       ] = (0, 1, 2)
    methods: tuple[Literal[tuple(METHODS)], ...] = ("udor", "ae", "s-ae")
    num_train: Annotated[int, Rule(low=1, meaning="training canvases")] = 2000
    num_test: Annotated[int, Rule(low=20, meaning="test canvases")] = 400
    object_size: Annotated[int, Rule(low=4, high=14, meaning="object size in px on the 32 px "
                                                             "canvas")] = 14
    part_dim: Annotated[int, "u, code dimensions per part"] = 1
    output: Annotated[Literal["linear", "sigmoid"], "decoder output layer (official: bounded, "
                      "tanh on [-1, 1] = sigmoid on [0, 1])"] = "linear"
    cls_warmup: Annotated[int, Rule(low=1, meaning="iterations of the linear warm-up of the fuzzy "
                                                   "weight in the *-warmup methods")] = 300
    generator_step: Annotated[Literal["joint", "decoder"], "GAN generator term in the auto-"
                              "encoder step (joint) or a decoder-only step (official)"] = "joint"
    ch: int = 12
    iters: int = 150
    batch_size: int = 64
    lr: float = 1e-3
    critic_steps: int = 1
    critic_ch: int = 8
    iters_per_step: Annotated[int, Rule(low=1, meaning="iterations per logged / checkpointed "
                                                       "step")] = 25
    checkpoint_every: int = 2
    probe_train: Annotated[int, Rule(low=1, meaning="training codes for the presence probe")] = \
        1000
    modularity_groups: Annotated[int, Rule(low=1, meaning="groups per category (modularity)")] = 10
    group_size: Annotated[int, Rule(low=2, meaning="images per group (modularity; a deviation "
                                                   "needs two codes)")] = 10
    figure_images: Annotated[int, Rule(low=0, meaning="images in the removal / swap grids")] = 8

    def validate(self) -> None:
        """Cross-field constraints only (the ranges are the fields' rules)."""
        if len(self.classes) > 4:
            raise ConfigError(f"classes: expected 1 to 4 digits (a 2×2 grid of slots), got "
                              f"{self.classes}")
        if self.slots == "offset" and self.max_offset < 1:
            raise ConfigError("max_offset: expected ≥ 1 with slots=offset")


# -- data -------------------------------------------------------------------------------------

def digit_pools(dataset: str, classes: tuple[int, ...], size: int) -> dict[str, list[torch.Tensor]]:
    """``{"train", "test"}`` → one pool of ``size`` px object patches per class."""
    return {split: object_pools(x, y, classes, size)
            for split, (x, y) in image_tensors(dataset).items()}


def make_canvases(config: UDORConfig, pools: dict[str, list[torch.Tensor]],
                  gen: torch.Generator) -> dict[str, object]:
    """Training canvases, test canvases with removed images, and the modularity groups."""
    offset = config.max_offset if config.slots == "offset" else 0
    kw = dict(canvas=32, slots=config.slots, max_offset=offset, generator=gen)
    train = MultiObjectCanvas.generate(pools["train"], config.num_train, with_removed=False, **kw)
    test = MultiObjectCanvas.generate(pools["test"], config.num_test, **kw)
    groups = []
    for c, pool in enumerate(pools["test"]):
        chosen = torch.randint(0, len(pool), (config.modularity_groups,), generator=gen)
        groups.append(torch.stack([MultiObjectCanvas.generate(
            pools["test"], config.group_size, with_removed=False, fixed=(c, int(m)), **kw).images
            for m in chosen]))
    return {"train": train, "test": test, "groups": torch.stack(groups)}  # (K, G, M, 1, S, S)


# -- evaluation -------------------------------------------------------------------------------

def evaluate(model: UDOR, data: dict[str, object], config: UDORConfig) -> dict[str, object]:
    """Every metric of one trained model (plus the matchings, for the figures)."""
    train, test, groups = data["train"], data["test"], data["groups"]
    model.eval()
    with torch.no_grad():
        recon = torch.cat([model(test.images[i:i + 500].to(next(model.parameters()).device))
                           .cpu() for i in range(0, len(test), 500)])
    vis = metrics.visual_integrity(metrics.removal_predictions(model, test.images),
                                   test.removed, test.present, test.images)
    k, g, m = groups.shape[:3]
    codes = metrics.encode_all(model, groups.flatten(0, 2)).view(k, g, m, -1)
    test_codes = metrics.encode_all(model, test.images)
    mod = metrics.modularity(codes, test_codes, model.num_parts, vis["matching"])
    n_probe = min(config.probe_train, len(train))
    cls = metrics.part_classification(metrics.encode_all(model, train.images[:n_probe]),
                                      train.present[:n_probe], test_codes, test.present,
                                      model.num_parts)
    scores = {"rec_mae": float(255 * (recon - test.images).abs().mean()),
              "visual_error": vis["error"], "do_nothing_error": vis["do_nothing"],
              "empty_canvas_error": vis["empty"],
              "visual_ratio": vis["ratio"], "modularity": mod["modularity"],
              "matchings_agree": float(vis["matching"] == cls["matching"])}
    for key in ("macro_f1", "micro_f1", "macro_precision", "macro_recall", "micro_precision",
                "micro_recall"):
        scores[key] = cls[key]
    return {"scores": scores, "vis_matching": vis["matching"]}


def _figures(model: UDOR, method: str, matching: list[int], test: MultiObjectCanvas,
             config: UDORConfig, ctx) -> None:
    """Removal grid (input, reconstruction, each category's part removed, exact ground truth)
    and swap grid (x1, x2, x1 with each part taken from x2), columns = images."""
    if not ctx.is_rank_zero or not config.figure_images:
        return
    from torchvision.utils import save_image

    n = min(config.figure_images, len(test))
    idx = torch.argsort(-test.present.sum(1).float(), stable=True)[:n]   # fullest images first
    x = test.images[idx].to(next(model.parameters()).device)
    model.eval()
    with torch.no_grad():
        rows = [x.cpu(), model(x).cpu()]
        for c, p in enumerate(matching):
            rows += [model.remove(x, p).cpu(), test.removed[idx, c]]
        save_image(torch.cat(rows), ctx.figures_dir / f"removal-{method}-seed{ctx.seed}.png",
                   nrow=n, pad_value=0.5)
        x2 = x.roll(1, dims=0)
        rows = [x.cpu(), x2.cpu()] + [model.swap(x, x2, [p]).cpu() for p in matching]
        save_image(torch.cat(rows), ctx.figures_dir / f"swap-{method}-seed{ctx.seed}.png",
                   nrow=n, pad_value=0.5)


def _metric_table(results: dict[str, dict[str, float]], ctx) -> None:
    if not ctx.is_rank_zero:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = ["rec_mae", "visual_error", "do_nothing_error", "visual_ratio", "modularity",
            "macro_f1", "micro_f1"]
    cells = [[f"{results[m][c]:.3f}" for c in cols] for m in results]
    fig, ax = plt.subplots(figsize=(1.3 * len(cols) + 1.5, 0.4 * len(results) + 0.8))
    ax.axis("off")
    ax.table(cellText=cells, rowLabels=list(results), colLabels=cols, loc="center")
    ax.set_title(f"udor, seed {ctx.seed} (visual errors on the 0-255 scale)")
    fig.tight_layout()
    fig.savefig(ctx.figures_dir / f"metrics-seed{ctx.seed}.png", dpi=110)
    plt.close(fig)


# -- run --------------------------------------------------------------------------------------

def train_method(method: str, data: dict[str, object], config: UDORConfig, ctx) -> UDOR:
    """Train ``method`` through ``ctx.fit`` (resumable inside the loop)."""
    weights, fuzzy, warmup = METHODS[method]
    seed_everything(ctx.seed)                     # same initial weights for every method
    model = UDOR(len(config.classes), config.part_dim, ch=config.ch,
                 output=config.output).to(ctx.device)
    settings = TrainSettings(iterations=config.iters, batch_size=config.batch_size, lr=config.lr,
                             critic_steps=config.critic_steps, critic_ch=config.critic_ch,
                             iters_per_step=config.iters_per_step, fuzzy=fuzzy,
                             cls_warmup=config.cls_warmup if warmup else 0,
                             generator_step=config.generator_step,
                             weights=METHOD_WEIGHTS[weights])
    train = data["train"]
    trainer = UDORTrainer(model, train.images, settings, ctx.generator(1), present=train.present)
    with ctx.timed(method, "train_s"):
        ctx.fit(method, trainer, config.checkpoint_every)
    return model


def run(config: UDORConfig, ctx) -> dict[str, dict[str, float]]:
    """Train and score every method of ``config.methods`` for ``ctx.seed``."""
    pools = digit_pools(config.dataset, tuple(config.classes), config.object_size)
    data = make_canvases(config, pools, ctx.generator(0))
    results = {}
    for method in config.methods:
        def compute(method: str = method) -> dict[str, float]:
            model = train_method(method, data, config, ctx)
            out = evaluate(model, data, config)
            _figures(model, method, out["vis_matching"], data["test"], config, ctx)
            return out["scores"]
        results[method] = ctx.cached(f"{method}-result", compute)
    _metric_table(results, ctx)
    return results


register_recipe(Recipe(
    name="udor", config_cls=UDORConfig, run=run,
    presets={
        "smoke": {"num_train": 96, "num_test": 60, "iters": 4, "iters_per_step": 2,
                  "batch_size": 16, "ch": 4, "critic_ch": 4, "checkpoint_every": 1,
                  "probe_train": 96, "modularity_groups": 2, "group_size": 3,
                  "figure_images": 4, "methods": ("udor", "udor-marginal", "ae", "s-ae"),
                  "seeds": [0]},
        "quick": {"seeds": [0, 1, 2]},
        # the official Multi-MNIST run: 20k canvases (we train on 8k as its 0.8 split), batch
        # 64, about 1,875 iterations, 5 critic steps
        "paper": {"dataset": "mnist", "num_train": 8000, "num_test": 2000, "iters": 1875,
                  "ch": 32, "critic_steps": 5, "critic_ch": 32, "generator_step": "decoder",
                  "probe_train": 1500,
                  "group_size": 100,
                  "methods": ("udor", "udor-nogan", "udor-marginal", "ae", "s-ae"),
                  "seeds": [0, 1, 2]},
    },
    datasets=DATASETS,
    baseline="s-ae", primary_metric="macro_f1",
    quick_minutes=1.0,  # 3 seeds, --threads 1: 55.8 s wall, 54.5 s CPU (load 0.4-0.8)
    summary="UDOR object-part disassembly vs AE / S-AE (removal error vs exact GT, part F1)",
))
