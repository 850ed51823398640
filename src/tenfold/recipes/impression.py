"""``impression``: impression space from a deep template network (Fang et al., arXiv
2007.05441), four experiments on one trained template per seed.

Template: a small ResNet with BatchNorm (:class:`tenfold.augment.models.SmallResNet`) trained
here on scikit-learn's digits (embedded default, bilinearly up-sampled to ``image_size``) or
CIFAR-10 (mirror), cached per seed. An independently trained *verifier* (other widths, other
seed) judges translations; fresh *students* measure synthesis.

1. Retrieval: leave-one-out 1-NN class accuracy of test images in standardised impression
   space vs the template's penultimate features vs raw pixels.
2. Reconstruction: PSNR/SSIM of test images decoded from their impressions (noise start),
   next to two scale anchors (the training-mean image, a random same-class training image), and
   a per-layer ablation (only the first ``k`` BN layers matched).
3. Unpaired translation a → b: start at class-a test images, match class b's mean impression;
   success = the verifier predicts b; SSIM to the source; baseline: the same optimiser with
   only a cross-entropy towards b.
4. Data-free synthesis, downstream: a fresh student trained only on N images labelled by the
   template — impression matching of class impressions vs DeepInversion-style (BN running
   statistics + CE) vs uniform noise (floor) vs N real training images (ceiling).

Every decoding and training loop runs through ``ctx.fit`` (resumable inside a method).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tenfold.augment.models import SmallResNet
from tenfold.data.tensor_images import image_tensors
from tenfold.distill import accuracy
from tenfold.errors import ConfigError
from tenfold.impression import (
    DecodeSettings,
    ImageDecoder,
    Impression,
    Standardizer,
    TemplateNetwork,
    decoder,
    deepinversion_decoder,
    loo_1nn_accuracy,
    psnr,
    ssim,
)
from tenfold.loops import classifier_trainer
from tenfold.runtime.io import cached_torch
from tenfold.runtime.registry import Recipe, register_recipe
from tenfold.runtime.seeding import seed_everything

log = logging.getLogger(__name__)

DATASETS = ("digits", "cifar10")
EXPERIMENTS = ("retrieval", "synthesis", "reconstruction", "translation")


@dataclass
class ImpressionConfig:
    """Settings of the ``impression`` recipe (defaults = ``quick``)."""

    dataset: str = "digits"
    experiments: tuple[str, ...] = EXPERIMENTS
    image_size: int = 16
    train_subset: int = 0
    template_widths: tuple[int, ...] = (16, 32, 64)
    template_epochs: int = 6
    verifier_widths: tuple[int, ...] = (16, 32)
    verifier_epochs: int = 6
    lr: float = 2e-3
    batch_size: int = 64
    retrieval_images: int = 360
    decode_lr: float = 0.1
    tv: float = 1e-3
    jitter: int = 1
    first_layer_weight: float = 10.0
    recon_images: int = 16
    recon_steps: int = 200
    ablation_layers: tuple[int, ...] = (1, 3)
    translate_pairs: tuple[str, ...] = ("1-7", "3-8", "0-6")
    translate_images: int = 8
    translate_steps: int = 200
    translate_lr: float = 0.02
    ce_lr_scales: tuple[float, ...] = (1.0, 5.0)
    synth_per_class: int = 10
    synth_steps: int = 150
    synth_ce_weight: float = 0.0
    di_ce_weight: float = 1.0
    student_widths: tuple[int, ...] = (16, 32)
    student_epochs: int = 40
    iterations_per_step: int = 25
    figure_images: int = 8

    def validate(self) -> None:
        unknown = set(self.experiments) - set(EXPERIMENTS)
        if unknown or not self.experiments:
            raise ConfigError(f"experiments: expected a subset of {', '.join(EXPERIMENTS)}, got "
                              f"{', '.join(self.experiments) or 'nothing'}")
        if self.dataset not in DATASETS:
            raise ConfigError(f"dataset: expected one of {', '.join(DATASETS)}, got "
                              f"{self.dataset!r}")
        for name in ("image_size", "template_epochs", "verifier_epochs", "batch_size",
                     "retrieval_images", "recon_images", "recon_steps", "translate_images",
                     "translate_steps", "synth_per_class", "synth_steps", "student_epochs",
                     "iterations_per_step"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: expected >= 1, got {getattr(self, name)}")
        if self.image_size < 8:
            raise ConfigError(f"image_size: expected >= 8 px, got {self.image_size}")
        if self.train_subset < 0 or self.figure_images < 0 or self.jitter < 0:
            raise ConfigError("train_subset, figure_images and jitter: expected >= 0")
        if self.retrieval_images < 2:
            raise ConfigError("retrieval_images: expected >= 2 (leave-one-out)")
        for name in ("lr", "decode_lr", "translate_lr"):
            value = getattr(self, name)
            if not value > 0 or value != value or value == float("inf"):
                raise ConfigError(f"{name}: expected a finite value > 0, got {value}")
        if not self.ce_lr_scales or any(not 0 < v < float("inf") for v in self.ce_lr_scales):
            raise ConfigError(f"ce_lr_scales: expected finite values > 0, got "
                              f"{self.ce_lr_scales}")
        for name in ("tv", "first_layer_weight", "synth_ce_weight", "di_ce_weight"):
            value = getattr(self, name)
            if not value >= 0 or value == float("inf"):
                raise ConfigError(f"{name}: expected a finite value >= 0, got {value}")
        for name in ("template_widths", "verifier_widths", "student_widths"):
            widths = getattr(self, name)
            if not widths or any(w < 1 for w in widths):
                raise ConfigError(f"{name}: expected positive channel counts, got {widths}")
        n_bn = template_bn_count(self.template_widths)
        if any(not 1 <= k < n_bn for k in self.ablation_layers):
            raise ConfigError(f"ablation_layers: expected layer counts in 1..{n_bn - 1} (the "
                              f"template has {n_bn} BN layers), got {self.ablation_layers}")
        for pair in self.translate_pairs:
            parts = pair.split("-")
            if len(parts) != 2 or not all(p.isdigit() and 0 <= int(p) <= 9 for p in parts) \
                    or parts[0] == parts[1]:
                raise ConfigError(f"translate_pairs: expected 'a-b' with two different classes "
                                  f"0..9, got {pair!r}")


def template_bn_count(widths: tuple[int, ...]) -> int:
    """BN layers of a one-block-per-stage SmallResNet: stem, two per block, one per shortcut."""
    return 1 + 2 * len(widths) + sum(1 for i in range(1, len(widths)))


# -- data and networks ------------------------------------------------------------------------

class Standardize(nn.Module):
    """``(x - mean) / std`` per channel, so that networks take images in [0, 1]."""

    def __init__(self, mean: Tensor, std: Tensor):
        super().__init__()
        self.register_buffer("mean", mean.view(1, -1, 1, 1).clone())
        self.register_buffer("std", std.view(1, -1, 1, 1).clone())

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.std


def load_images(config: ImpressionConfig) -> dict[str, tuple[Tensor, Tensor]]:
    """``{"train", "test"}`` → images in [0, 1] at ``image_size`` px, labels."""
    raw = image_tensors(config.dataset)
    out = {}
    for split, (x, y) in raw.items():
        x = x.float()
        if x.shape[-1] != config.image_size:
            x = F.interpolate(x, size=(config.image_size,) * 2, mode="bilinear",
                              align_corners=False).clamp(0, 1)
        out[split] = (x, y.long())
    if config.dataset == "cifar10":      # ImageFolder order is class-sorted: mix it, fixed
        xte, yte = out["test"]
        order = torch.randperm(len(yte), generator=torch.Generator().manual_seed(2007_05441))
        out["test"] = (xte[order], yte[order])
    if config.train_subset:
        gen = torch.Generator().manual_seed(2007_05441)
        idx = torch.randperm(len(out["train"][1]), generator=gen)[:config.train_subset]
        out["train"] = (out["train"][0][idx], out["train"][1][idx])
    return out


def build_net(widths: tuple[int, ...], channels: int, mean: Tensor, std: Tensor) -> nn.Module:
    return nn.Sequential(Standardize(mean, std), SmallResNet(10, tuple(widths), channels))


def train_classifier(name: str, widths: tuple[int, ...], epochs: int, seed: int,
                     data: dict[str, tuple[Tensor, Tensor]], config: ImpressionConfig, ctx
                     ) -> tuple[nn.Module, float]:
    """Train a classifier once per ``(settings, seed)``; cached in ``cache_root()/impression``."""
    xtr, ytr = data["train"]
    xte, yte = data["test"]
    mean, std = xtr.mean((0, 2, 3)), xtr.std((0, 2, 3)).clamp_min(1e-3)
    settings = {"dataset": config.dataset, "size": config.image_size, "widths": list(widths),
                "epochs": epochs, "lr": config.lr, "batch": config.batch_size, "seed": seed,
                "subset": config.train_subset, "version": 1}
    seed_everything(seed)
    net = build_net(widths, xtr.shape[1], mean, std)

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


def penultimate(net: nn.Module, x: Tensor, batch_size: int = 256) -> Tensor:
    """The input of the classifier head (global-average-pooled features)."""
    head = net[1].fc
    feats = []
    handle = head.register_forward_pre_hook(lambda _m, inputs: feats.append(inputs[0].detach()))
    try:
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                net(x[start:start + batch_size])
    finally:
        handle.remove()
    return torch.cat(feats)


def class_impressions(template: TemplateNetwork, x: Tensor, y: Tensor) -> list[Impression]:
    """The mean impression of each class 0..9 of ``(x, y)``."""
    imp = template.encode(x)
    return [imp[torch.nonzero(y == c).flatten()].mean() for c in range(10)]


@torch.no_grad()
def predict(net: nn.Module, x: Tensor) -> Tensor:
    return torch.cat([net(x[i:i + 256]).argmax(1) for i in range(0, len(x), 256)])


# -- the experiments --------------------------------------------------------------------------

def _settings(config: ImpressionConfig, steps: int, lr: float | None = None,
              **extra) -> DecodeSettings:
    base = {"steps": steps, "lr": lr or config.decode_lr, "tv": config.tv,
            "jitter": config.jitter, "first_layer_weight": config.first_layer_weight,
            "iterations_per_step": config.iterations_per_step}
    return DecodeSettings(**{**base, **extra})


def _fit(ctx, key: str, stepper: ImageDecoder) -> Tensor:
    ctx.fit(key, stepper, checkpoint_every=1, log=False)
    return stepper.result()


def retrieval(template: TemplateNetwork, net: nn.Module, data, config: ImpressionConfig
              ) -> dict[str, float]:
    xte, yte = data["test"]
    x, y = xte[:config.retrieval_images], yte[:config.retrieval_images]
    imp = template.encode(x)
    z = Standardizer.fit(imp).transform(imp)
    return {"impression": loo_1nn_accuracy(z, y),
            "penultimate": loo_1nn_accuracy(penultimate(net, x), y),
            "pixels": loo_1nn_accuracy(x.flatten(1), y)}


def reconstruction(template: TemplateNetwork, data, config: ImpressionConfig, ctx
                   ) -> dict[str, dict[str, float]]:
    xtr, ytr = data["train"]
    xte, yte = data["test"]
    x, y = xte[:config.recon_images].to(ctx.device), yte[:config.recon_images]
    target = template.encode(x)
    shape = tuple(x.shape[1:])
    n_bn = len(template.bn_layers)
    variants = {"impression": None}
    for k in config.ablation_layers:
        variants[f"impression-first{k}"] = tuple([config.first_layer_weight] + [1.0] * (k - 1)
                                                 + [0.0] * (n_bn - k))
    out, decoded = {}, {}
    for name, weights in variants.items():
        settings = _settings(config, config.recon_steps, layer_weights=weights)
        stepper = decoder(template, target, "noise", image_shape=shape, settings=settings,
                          generator=ctx.generator(11))
        xh = _fit(ctx, f"decode-{name}", stepper).cpu()
        decoded[name] = xh
        out[name] = {"recon_psnr": float(psnr(xh, x.cpu()).mean()),
                     "recon_ssim": float(ssim(xh, x.cpu()).mean()),
                     "recon_loss": stepper.history[-1]["loss"],
                     "recon_loss_start": _start_loss(template, target, shape, settings, ctx)}
    mean_img = xtr.mean(0, keepdim=True).expand_as(x.cpu()).contiguous()
    gen = ctx.generator(12)
    same = torch.stack([xtr[(ytr == int(c)).nonzero().flatten()[
        torch.randint(int((ytr == int(c)).sum()), (1,), generator=gen)]][0] for c in y])
    for name, anchor in (("mean-image", mean_img), ("same-class", same)):
        out[name] = {"recon_psnr": float(psnr(anchor, x.cpu()).mean()),
                     "recon_ssim": float(ssim(anchor, x.cpu()).mean())}
    _grid(ctx, config, "reconstruction", [x.cpu()] + [decoded[k] for k in variants])
    return out


def _start_loss(template, target, shape, settings, ctx) -> float:
    """The impression loss of the noise start (same generator as the decoder)."""
    probe = decoder(template, target, "noise", image_shape=shape, settings=settings,
                    generator=ctx.generator(11))
    with torch.no_grad():
        return float(probe.monitor(probe.x.detach()).mean())


def translation(template: TemplateNetwork, verifier: nn.Module, data,
                config: ImpressionConfig, ctx) -> dict[str, dict[str, float]]:
    xtr, ytr = data["train"]
    xte, yte = data["test"]
    targets = class_impressions(template, xtr.to(ctx.device), ytr)
    ce_names = {scale: "ce-only" if scale == 1 else f"ce-only-x{scale:g}"
                for scale in config.ce_lr_scales}
    totals = {m: {"translate_template": 0.0, "translate_verifier": 0.0, "translate_ssim": 0.0,
                  "translate_verifier_source": 0.0}
              for m in ("impression", *ce_names.values())}
    rows = []
    count = 0
    for pair in config.translate_pairs:
        a, b = (int(p) for p in pair.split("-"))
        src = xte[yte == a][:config.translate_images].to(ctx.device)
        labels = torch.full((len(src),), b, dtype=torch.long)
        settings = _settings(config, config.translate_steps, config.translate_lr, tv=0.0,
                             jitter=0)
        imp = decoder(template, targets[b], src, settings=settings, generator=ctx.generator(21))
        outs = {"impression": _fit(ctx, f"translate-{pair}", imp)}
        for scale, name in ce_names.items():
            ce_settings = _settings(config, config.translate_steps, config.translate_lr * scale,
                                    tv=0.0, jitter=0, ce_weight=1.0)
            ce = ImageDecoder(template, lambda x: (x.new_zeros(x.shape[0]),
                                                   template.forward_stats(x)[0]),
                              src, ce_settings, labels, ctx.generator(21))
            outs[name] = _fit(ctx, f"translate-{name}-{pair}", ce)
        rows += [src.cpu()] + [o.cpu() for o in outs.values()]
        for method, xt in outs.items():
            t = totals[method]
            t["translate_template"] += float((predict(template.model, xt).cpu() == b).sum())
            t["translate_verifier"] += float((predict(verifier, xt).cpu() == b).sum())
            t["translate_verifier_source"] += float((predict(verifier, xt).cpu() == a).sum())
            t["translate_ssim"] += float(ssim(xt.cpu(), src.cpu()).sum())
        count += len(src)
    _grid(ctx, config, "translation", rows)
    return {m: {k: v / max(count, 1) for k, v in t.items()} for m, t in totals.items()}


def train_student(key: str, x: Tensor, y: Tensor, data, config: ImpressionConfig, ctx) -> float:
    """Test accuracy of a fresh student trained only on ``(x, y)``."""
    xtr = data["train"][0]
    xte, yte = data["test"]
    seed_everything(ctx.seed + 7)               # the same initial student for every method
    student = build_net(config.student_widths, xtr.shape[1], xtr.mean((0, 2, 3)),
                        xtr.std((0, 2, 3)).clamp_min(1e-3)).to(ctx.device)
    opt = torch.optim.Adam(student.parameters(), lr=config.lr)
    trainer = classifier_trainer(student, opt, x.to(ctx.device), y.to(ctx.device),
                                 config.student_epochs, config.batch_size, ctx.generator(31),
                                 device=ctx.device)
    ctx.fit(key, trainer, checkpoint_every=5, log=False)
    return accuracy(student, xte, yte, device=ctx.device)


def synthesis(template: TemplateNetwork, data, config: ImpressionConfig, ctx
              ) -> dict[str, dict[str, float]]:
    xtr, ytr = data["train"]
    shape = tuple(xtr.shape[1:])
    per = config.synth_per_class
    labels = torch.arange(10).repeat_interleave(per)
    targets = class_impressions(template, xtr.to(ctx.device), ytr)
    target = Impression.cat([targets[c] for c in labels.tolist()])
    settings = _settings(config, config.synth_steps, ce_weight=config.synth_ce_weight)
    imp = decoder(template, target, "noise", image_shape=shape, settings=settings,
                  labels=labels, generator=ctx.generator(41))
    di = deepinversion_decoder(template, labels, shape, _settings(config, config.synth_steps),
                               ce_weight=config.di_ce_weight, generator=ctx.generator(41))
    images = {"impression": _fit(ctx, "synthesize-impression", imp).cpu(),
              "deepinversion": _fit(ctx, "synthesize-deepinversion", di).cpu()}
    lo, hi = template.pixel_range
    images["noise"] = lo + (hi - lo) * torch.rand((len(labels), *shape),
                                                  generator=ctx.generator(42))
    gen = ctx.generator(43)
    real_idx = torch.cat([(ytr == c).nonzero().flatten()[
        torch.randperm(int((ytr == c).sum()), generator=gen)[:per]] for c in range(10)])
    images["real"] = xtr[real_idx]
    out = {}
    for method, x in images.items():
        y = predict(template.model, x.to(ctx.device)).cpu()      # labelled by the template
        out[method] = {"student_acc": train_student(f"student-{method}", x, y, data, config, ctx),
                       "template_agrees": float((y == labels).float().mean())
                       if method != "real" else float((y == ytr[real_idx]).float().mean())}
    _grid(ctx, config, "synthesis", [images[m][::per][:10] for m in
                                     ("impression", "deepinversion", "noise", "real")], nrow=10)
    return out


def _grid(ctx, config: ImpressionConfig, name: str, rows: list[Tensor], nrow: int | None = None
          ) -> None:
    if not ctx.is_rank_zero or not config.figure_images:
        return
    from torchvision.utils import save_image

    n = nrow or min(config.figure_images, min(len(r) for r in rows))
    save_image(torch.cat([r[:n].cpu() for r in rows]),
               ctx.figures_dir / f"{name}-seed{ctx.seed}.png", nrow=n, pad_value=0.5)


def _student_bars(results: dict[str, dict[str, float]], ctx) -> None:
    if not ctx.is_rank_zero:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = ["noise", "deepinversion", "impression", "real"]
    fig, ax = plt.subplots(figsize=(4.5, 3))
    ax.bar(methods, [results[m]["student_acc"] for m in methods], color="#4C72B0")
    ax.set_ylabel("student test accuracy")
    ax.set_title(f"synthesis, seed {ctx.seed}")
    fig.tight_layout()
    fig.savefig(ctx.figures_dir / f"student-accuracy-seed{ctx.seed}.png", dpi=110)
    plt.close(fig)


# -- run --------------------------------------------------------------------------------------

def run(config: ImpressionConfig, ctx) -> dict[str, dict[str, float]]:
    """All four experiments on one template trained for ``ctx.seed``."""
    data = load_images(config)
    net, template_acc = train_classifier("template", config.template_widths,
                                         config.template_epochs, ctx.seed, data, config, ctx)
    accs = {"template_acc": template_acc}
    if "translation" in config.experiments:
        verifier, accs["verifier_acc"] = train_classifier(
            "verifier", config.verifier_widths, config.verifier_epochs, 1000 + ctx.seed, data,
            config, ctx)
    template = TemplateNetwork(net, pixel_range=(0.0, 1.0))
    results: dict[str, dict[str, float]] = {}

    def add(part: dict[str, dict[str, float]]) -> None:
        for method, metrics in part.items():
            results.setdefault(method, {}).update(metrics)

    def timed(name: str, fn):
        def compute():
            with ctx.timed("experiments", f"{name}_s"):
                return fn()
        return ctx.cached(name, compute)

    if "retrieval" in config.experiments:
        ret = timed("retrieval", lambda: retrieval(template, net, data, config))
        add({m: {"retrieval_1nn": v} for m, v in ret.items()})
    if "synthesis" in config.experiments:
        add(timed("synthesis", lambda: synthesis(template, data, config, ctx)))
        _student_bars(results, ctx)
    if "reconstruction" in config.experiments:
        add(timed("reconstruction", lambda: reconstruction(template, data, config, ctx)))
    if "translation" in config.experiments:
        add(timed("translation", lambda: translation(template, verifier, data, config, ctx)))
    results.setdefault("impression", {}).update(accs)
    order = ["impression", "deepinversion", "noise", "real", "penultimate", "pixels",
             "ce-only", "mean-image", "same-class"]
    order += [m for m in results if m not in order]
    return {m: results[m] for m in order if m in results}


register_recipe(Recipe(
    name="impression", config_cls=ImpressionConfig, run=run,
    presets={
        "smoke": {"template_epochs": 2, "verifier_epochs": 1, "retrieval_images": 40,
                  "recon_images": 4, "recon_steps": 4, "ablation_layers": (1,),
                  "translate_pairs": ("1-7",), "translate_images": 2, "translate_steps": 4,
                  "ce_lr_scales": (1.0,),
                  "synth_per_class": 1, "synth_steps": 4, "student_epochs": 2,
                  "iterations_per_step": 2, "figure_images": 2, "train_subset": 300,
                  "seeds": [0]},
        "quick": {"seeds": [0]},
        "paper": {"template_epochs": 15, "verifier_epochs": 15, "recon_images": 64,
                  "recon_steps": 2000, "translate_images": 20, "translate_steps": 300,
                  "ce_lr_scales": (1.0, 2.0, 5.0, 10.0), "synth_per_class": 50,
                  "synth_steps": 1000, "student_epochs": 60, "seeds": [0, 1, 2]},
    },
    datasets=DATASETS,
    baseline="deepinversion", primary_metric="student_acc",
    quick_minutes=3.6,
    summary="impression space: retrieval, reconstruction, translation, synthesis vs DeepInversion",
))
