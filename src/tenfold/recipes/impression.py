"""``impression``: impression space from a deep template network (Fang et al., arXiv
2007.05441). Per seed one trained template (digits by default, CIFAR-10 from the mirror) and four
experiments against named baselines — retrieval, reconstruction, translation (judged by an
independent verifier), synthesis (judged by a fresh student) — every loop resumable through
``ctx.fit``. Scores: :mod:`tenfold.impression.evaluation`; details: docs/methods/impression.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Literal

import torch
from torch import Tensor, nn

from tenfold import impression as isp
from tenfold.data.tensor_images import image_tensors
from tenfold.distill import accuracy
from tenfold.errors import ConfigError
from tenfold.impression import DecodeSettings, Impression, TemplateNetwork
from tenfold.impression import ExperimentSession as Session
from tenfold.loops import classifier_trainer
from tenfold.runtime.io import cached_torch
from tenfold.runtime.registry import Recipe, register_recipe
from tenfold.runtime.rules import Rule
from tenfold.runtime.seeding import seed_everything

Experiment = Literal["retrieval", "synthesis", "reconstruction", "translation"]
Steps = Annotated[int, Rule(low=1, meaning="decoding steps (Adam iterations)")]
Count = Annotated[int, Rule(low=1, meaning="images")]


@dataclass
class ImpressionConfig:
    """Settings of the ``impression`` recipe (defaults: the benchmark scale; ``quick`` shrinks)."""

    dataset: Literal["digits", "cifar10"] = "digits"
    experiments: Annotated[tuple[Experiment, ...], Rule(nonempty=True, unique=True)] = (
        "retrieval", "synthesis", "reconstruction", "translation")
    image_size: Annotated[int, Rule(low=8, meaning="image side (px)")] = 16
    train_subset: Annotated[int, Rule(low=0, special=((0, "all"),),
                                      meaning="training images used")] = 0
    template_widths: tuple[int, ...] = (16, 32, 64)
    template_epochs: int = 6
    verifier_widths: tuple[int, ...] = (16, 32)
    verifier_epochs: int = 6
    lr: float = 2e-3
    batch_size: int = 64
    retrieval_images: Annotated[int, Rule(low=2, meaning="test images (leave-one-out)")] = 360
    decode_lr: float = 0.1
    tv: Annotated[float, Rule(low=0, meaning="total-variation weight")] = 1e-3
    jitter: Annotated[int, Rule(low=0, meaning="random roll (px) per decoding step")] = 1
    first_layer_weight: float = 10.0
    recon_images: Count = 16
    recon_steps: Steps = 200
    ablation_layers: Annotated[tuple[int, ...], Rule(
        nonempty=True, unique=True, meaning="BN layer counts matched in the ablation")] = (1, 3)
    translate_pairs: Annotated[tuple[str, ...], Rule(
        nonempty=True, unique=True, meaning="class pairs a-b to translate")] = ("1-7", "3-8", "0-6")
    translate_images: Count = 8
    translate_steps: Steps = 200
    translate_lr: float = 0.02
    ce_lr_scales: Annotated[tuple[float, ...], Rule(low=0, low_open=True, nonempty=True)] = (
        1.0, 5.0)
    synth_per_class: Count = 10
    synth_steps: Steps = 150
    synth_ce_weight: float = 0.0
    di_ce_weight: float = 1.0
    student_widths: tuple[int, ...] = (16, 32)
    student_epochs: int = 40
    iterations_per_step: Annotated[int, Rule(low=1, meaning="decoding steps per checkpoint")] = 25
    figure_images: Annotated[int, Rule(low=0, meaning="images per figure row (0 = none)")] = 8

    def validate(self) -> None:
        n_bn = isp.bn_layer_count(self.template_widths)
        if any(not 1 <= k < n_bn for k in self.ablation_layers):
            raise ConfigError(f"ablation_layers: expected layer counts in 1..{n_bn - 1} (the "
                              f"template has {n_bn} BN layers), got {self.ablation_layers}")
        for pair in self.translate_pairs:
            try:
                isp.class_pair(pair)
            except ValueError as err:
                raise ConfigError(f"translate_pairs: {err}") from None


def load_images(config: ImpressionConfig) -> dict[str, tuple[Tensor, Tensor]]:
    """``{"train", "test"}`` → images in [0, 1] at ``image_size`` px, labels. CIFAR-10's
    class-sorted test folder is mixed by a fixed permutation; ``train_subset`` is a fixed one."""
    return isp.prepare_images(image_tensors(config.dataset), config.image_size,
                              mix_test=config.dataset == "cifar10",
                              train_subset=config.train_subset)


def train_classifier(name: str, widths: tuple[int, ...], epochs: int, seed: int, data,
                     config: ImpressionConfig, ctx) -> tuple[nn.Module, float]:
    """Train a classifier once per ``(settings, seed)``; cached in ``cache_root()/impression``."""
    (xtr, ytr), (xte, yte) = data["train"], data["test"]
    settings = {"dataset": config.dataset, "size": config.image_size, "widths": list(widths),
                "epochs": epochs, "lr": config.lr, "batch": config.batch_size, "seed": seed,
                "subset": config.train_subset, "version": 1}
    seed_everything(seed)
    net = isp.template_classifier(widths, xtr)

    def build() -> dict:
        opt = torch.optim.Adam(net.parameters(), lr=config.lr)
        trainer = classifier_trainer(net, opt, xtr, ytr, epochs, config.batch_size,
                                     torch.Generator().manual_seed(seed), device=ctx.device)
        with ctx.timed(name, "train_s"):
            ctx.fit(name, trainer, checkpoint_every=1, log=False)
        return {"state_dict": {k: v.cpu() for k, v in net.state_dict().items()},
                "test_acc": accuracy(net, xte, yte, device=ctx.device)}

    blob = cached_torch("impression", f"{name}-{config.dataset}", settings, build)
    net.load_state_dict(blob["state_dict"])
    return net.to(ctx.device).eval(), float(blob["test_acc"])


def _fit(ctx, key: str, stepper) -> Tensor:
    ctx.fit(key, stepper, checkpoint_every=1, log=False)
    return stepper.result().cpu()


def retrieval(s: Session, c: ImpressionConfig, ctx) -> dict[str, dict[str, float]]:
    (xte, yte), (xtr, ytr) = s.data["test"], s.data["train"]
    views = isp.standard_views(isp.last_stage_layers(s.template.layer_names,
                                                     c.template_widths))
    n = c.retrieval_images
    scores = isp.retrieval_scores(s.template, s.template.model[1].fc, xte[:n], yte[:n], views,
                                  validation=(xtr[-n:], ytr[-n:]))
    selected = scores.pop("selected_view")
    return {**{m: {"retrieval_1nn": v} for m, v in scores.items()},
            "impression-selected": {"retrieval_1nn": scores["impression-selected"],
                                    "selected_view": selected}}


def reconstruction(s: Session, c: ImpressionConfig, ctx) -> dict[str, dict[str, float]]:
    (xtr, ytr), (xte, yte) = s.data["train"], s.data["test"]
    x, y = xte[:c.recon_images], yte[:c.recon_images]
    target, shape, n_bn = s.template.encode(x), tuple(x.shape[1:]), len(s.template.bn_layers)
    variants = {"impression": None, **{f"impression-first{k}": isp.ablation_weights(
        n_bn, k, c.first_layer_weight) for k in c.ablation_layers}}
    out, decoded = {}, []
    for name, weights in variants.items():
        settings = s.settings(c.recon_steps, layer_weights=weights)
        stepper = isp.decoder(s.template, target, "noise", image_shape=shape, settings=settings,
                              generator=ctx.generator(11))
        with torch.no_grad():      # the noise start's loss (the same generator as the decoder)
            start = float(stepper.monitor(stepper.x.detach()).mean())
        decoded.append(_fit(ctx, f"decode-{name}", stepper))
        out[name] = {**isp.reconstruction_scores(decoded[-1], x), "recon_loss_start": start,
                     "recon_loss": stepper.history[-1]["loss"]}
    out["mean-image"] = isp.reconstruction_scores(xtr.mean(0, keepdim=True).expand_as(x), x)
    out["same-class"] = isp.reconstruction_scores(
        isp.same_class_images(xtr, ytr, y, ctx.generator(12)), x)
    _grid(ctx, c, "reconstruction", [x, *decoded])
    return out


def translation(s: Session, c: ImpressionConfig, ctx) -> dict[str, dict[str, float]]:
    xte, yte = s.data["test"]
    targets, template = s.class_targets(), s.template
    ce_names = {k: "ce-only" if k == 1 else f"ce-only-x{k:g}" for k in c.ce_lr_scales}
    totals: dict[str, Counter] = {}
    rows, count = [], 0
    for pair in c.translate_pairs:
        a, b = isp.class_pair(pair)
        src = xte[yte == a][:c.translate_images].to(template.device)
        settings = s.settings(c.translate_steps, c.translate_lr, tv=0.0, jitter=0)
        outs = {"impression": _fit(ctx, f"translate-{pair}", isp.decoder(
            template, targets[b], src, settings=settings, generator=ctx.generator(21)))}
        for scale, name in ce_names.items():
            ce = isp.class_score_decoder(
                template, src, torch.full((len(src),), b, dtype=torch.long),
                s.settings(c.translate_steps, c.translate_lr * scale, tv=0.0, jitter=0),
                ctx.generator(21))
            outs[name] = _fit(ctx, f"translate-{name}-{pair}", ce)
        rows += [src.cpu(), *outs.values()]
        for method, xt in outs.items():
            totals.setdefault(method, Counter()).update(
                isp.translation_scores(template.model, s.verifier, xt, src.cpu(), a, b))
        count += len(src)
    _grid(ctx, c, "translation", rows)
    return {m: {k: v / max(count, 1) for k, v in t.items()} for m, t in totals.items()}


def train_student(key: str, x: Tensor, y: Tensor, s: Session, c: ImpressionConfig, ctx
                  ) -> float:
    """Test accuracy of a fresh student trained only on ``(x, y)``."""
    xtr, (xte, yte) = s.data["train"][0], s.data["test"]
    seed_everything(ctx.seed + 7)               # the same initial student for every method
    student = isp.template_classifier(c.student_widths, xtr).to(ctx.device)
    opt = torch.optim.Adam(student.parameters(), lr=c.lr)
    ctx.fit(key, classifier_trainer(student, opt, x.to(ctx.device), y.to(ctx.device),
                                    c.student_epochs, c.batch_size, ctx.generator(31),
                                    device=ctx.device), checkpoint_every=5, log=False)
    return accuracy(student, xte, yte, device=ctx.device)


def synthesis(s: Session, c: ImpressionConfig, ctx) -> dict[str, dict[str, float]]:
    (xtr, ytr), template = s.data["train"], s.template
    shape, per = tuple(xtr.shape[1:]), c.synth_per_class
    labels = torch.arange(10).repeat_interleave(per)
    targets = s.class_targets()
    target = Impression.cat([targets[k] for k in labels.tolist()])
    imp = isp.decoder(template, target, "noise", image_shape=shape, labels=labels,
                      settings=s.settings(c.synth_steps, ce_weight=c.synth_ce_weight),
                      generator=ctx.generator(41))
    di = isp.deepinversion_decoder(template, labels, shape, s.settings(c.synth_steps),
                                   ce_weight=c.di_ce_weight, generator=ctx.generator(41))
    lo, hi = template.pixel_range
    real_idx = isp.class_balanced_indices(ytr, per, ctx.generator(43))
    images = {"impression": _fit(ctx, "synthesize-impression", imp),
              "deepinversion": _fit(ctx, "synthesize-deepinversion", di),
              "noise": lo + (hi - lo) * torch.rand((len(labels), *shape),
                                                   generator=ctx.generator(42)),
              "real": xtr[real_idx]}
    out = {}
    for method, x in images.items():
        y = isp.predict_labels(template.model, x)                  # labelled by the template
        intended = ytr[real_idx] if method == "real" else labels
        out[method] = {"student_acc": train_student(f"student-{method}", x, y, s, c, ctx),
                       "template_agrees": float((y == intended).float().mean())}
    _grid(ctx, c, "synthesis", [images[m][::per][:10] for m in images], nrow=10)
    return out


def _grid(ctx, config: ImpressionConfig, name: str, rows: list[Tensor], nrow: int | None = None
          ) -> None:
    if not ctx.is_rank_zero or not config.figure_images:
        return
    from torchvision.utils import save_image

    n = nrow or min(config.figure_images, min(len(r) for r in rows))
    save_image(torch.cat([r[:n].cpu() for r in rows]),
               ctx.figures_dir / f"{name}-seed{ctx.seed}.png", nrow=n, pad_value=0.5)


EXPERIMENTS = {"retrieval": retrieval, "synthesis": synthesis,
               "reconstruction": reconstruction, "translation": translation}
ORDER = ("impression", "deepinversion", "noise", "real", "penultimate", "penultimate-z",
         "pixels", "ce-only", "mean-image", "same-class")


def run(config: ImpressionConfig, ctx) -> dict[str, dict[str, float]]:
    """Config → template (and verifier) → the chosen experiments, each cached per seed."""
    data = load_images(config)
    net, template_acc = train_classifier("template", config.template_widths,
                                         config.template_epochs, ctx.seed, data, config, ctx)
    accs, verifier = {"template_acc": template_acc}, None
    if "translation" in config.experiments:
        verifier, accs["verifier_acc"] = train_classifier(
            "verifier", config.verifier_widths, config.verifier_epochs, 1000 + ctx.seed, data,
            config, ctx)
    base = DecodeSettings(lr=config.decode_lr, tv=config.tv, jitter=config.jitter,
                          first_layer_weight=config.first_layer_weight,
                          iterations_per_step=config.iterations_per_step)
    setup = Session(data, TemplateNetwork(net, pixel_range=(0.0, 1.0)), verifier, base)
    results: dict[str, dict[str, float]] = {}
    for name in EXPERIMENTS:
        if name in config.experiments:
            def compute(name=name):
                with ctx.timed("experiments", f"{name}_s"):
                    return EXPERIMENTS[name](setup, config, ctx)
            for method, metrics in ctx.cached(name, compute).items():
                results.setdefault(method, {}).update(metrics)
    results.setdefault("impression", {}).update(accs)
    order = [m for m in ORDER if m in results] + sorted(m for m in results if m not in ORDER)
    return {m: results[m] for m in order}


register_recipe(Recipe(
    name="impression", config_cls=ImpressionConfig, run=run,
    presets={
        "smoke": {"template_epochs": 2, "verifier_epochs": 1, "retrieval_images": 40,
                  "recon_images": 4, "recon_steps": 4, "ablation_layers": (1,),
                  "translate_pairs": ("1-7",), "translate_images": 2, "translate_steps": 4,
                  "ce_lr_scales": (1.0,), "synth_per_class": 1, "synth_steps": 4,
                  "student_epochs": 2, "iterations_per_step": 2, "figure_images": 2,
                  "train_subset": 300, "seeds": [0]},
        "quick": {"template_epochs": 4, "verifier_epochs": 6, "train_subset": 800,
                  "recon_images": 8, "recon_steps": 60, "ablation_layers": (1,),
                  "translate_pairs": ("1-7", "3-8"), "translate_images": 4,
                  "translate_steps": 60, "synth_per_class": 4, "synth_steps": 40,
                  "student_epochs": 15, "iterations_per_step": 20, "seeds": [0, 1, 2]},
        "paper": {"template_epochs": 15, "verifier_epochs": 15, "recon_images": 64,
                  "recon_steps": 2000, "translate_images": 20, "translate_steps": 300,
                  "ce_lr_scales": (1.0, 2.0, 5.0, 10.0), "synth_per_class": 50,
                  "synth_steps": 1000, "student_epochs": 60, "seeds": [0, 1, 2]},
    },
    datasets=("digits", "cifar10"),
    baseline="deepinversion", primary_metric="student_acc",
    quick_minutes=0.6,  # benchmarks/results/impression_timing.json: 36 s CPU (median)
    summary="impression space: retrieval, reconstruction, translation, synthesis vs DeepInversion",
))
