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
import math
import time
from dataclasses import dataclass
from typing import Literal

import torch
import torchvision
from torch import nn

from tenfold.augment import (
    AsymmetricCutMix,
    CutMix,
    MixUp,
    SmallResNet,
    SnapMix,
    box_area,
    model_spm,
    random_box,
    sample_beta,
    snapmix_label_weights,
    soft_target_cross_entropy,
)
from tenfold.data import load_dataset
from tenfold.data.tensor_images import TensorImages, channel_stats, decode_image_folder
from tenfold.errors import ConfigError
from tenfold.loops import LoopStepper
from tenfold.runtime.io import cached_torch
from tenfold.runtime.registry import Recipe, register_recipe
from tenfold.runtime.seeding import seed_everything

log = logging.getLogger(__name__)

METHODS = ("none", "mixup", "cutmix", "asym_cutmix", "snapmix", "snapmix_noboost")
DATASETS = ("cluttered-digits", "flowers12", "cifar10")


@dataclass
class SnapMixConfig:
    """Settings of the ``snapmix`` recipe (defaults = ``quick``)."""

    dataset: str = "cluttered-digits"
    methods: tuple[str, ...] = METHODS
    epochs: int = 15
    batch_size: int = 32
    lr: float = 0.05
    weight_decay: float = 5e-4
    schedule: Literal["cosine", "step"] = "cosine"
    arch: Literal["auto", "small", "resnet18"] = "auto"
    widths: tuple[int, ...] = (8, 16, 32)
    image_size: int = 64
    train_size: int = 1000
    test_size: int = 1000
    mix_prob: float = 0.5
    mixup_alpha: float = 1.0
    cutmix_beta: float = 3.0
    snapmix_beta: float = 5.0
    eval_cam: bool = False
    label_fidelity: bool = True
    fidelity_mixes: int = 2000
    mix_figure: bool = True
    pretrain_dataset: str = ""           # "" = from scratch; else pretrain there, then fine-tune
    pretrain_epochs: int = 3
    pretrain_size: int = 0               # pretraining images (0 = all)
    pretrain_lr: float = 0.1
    pretrain_batch_size: int = 128

    def validate(self) -> None:
        unknown = set(self.methods) - set(METHODS)
        if unknown or not self.methods:
            raise ConfigError(f"methods: expected a subset of {', '.join(METHODS)}, "
                              f"got {', '.join(self.methods) or 'nothing'}")
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ConfigError("epochs and batch_size must be >= 1 and lr > 0")
        if not 0.0 <= self.mix_prob <= 1.0:
            raise ConfigError(f"mix_prob must lie in [0, 1], got {self.mix_prob}")
        if min(self.mixup_alpha, self.cutmix_beta, self.snapmix_beta) <= 0:
            raise ConfigError("mixup_alpha, cutmix_beta and snapmix_beta must be > 0")
        if self.image_size < 16 or not self.widths or min(self.widths) < 1:
            raise ConfigError("image_size must be >= 16 and widths positive")
        if self.train_size < 0 or self.test_size < 0 or self.fidelity_mixes < 0:
            raise ConfigError("train_size, test_size and fidelity_mixes must be >= 0 (0 = all)")
        if self.pretrain_dataset and (self.pretrain_dataset not in DATASETS
                                      or self.pretrain_dataset == self.dataset):
            raise ConfigError(f"pretrain_dataset: expected '' or one of {', '.join(DATASETS)} "
                              f"other than dataset={self.dataset!r}, got "
                              f"{self.pretrain_dataset!r}")
        if self.pretrain_epochs < 1 or self.pretrain_batch_size < 1 or self.pretrain_lr <= 0 \
                or self.pretrain_size < 0:
            raise ConfigError("pretrain_epochs and pretrain_batch_size must be >= 1, "
                              "pretrain_lr > 0 and pretrain_size >= 0")


# -- data ---------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=2)
def load_images(dataset: str, image_size: int = 64, train_size: int = 0, test_size: int = 0
                ) -> TensorImages:
    """``dataset`` as :class:`TensorImages` (decoded once per process; 0 sizes = everything)."""
    if dataset == "cluttered-digits":
        data = load_dataset("cluttered-digits", num_train=train_size or 2000,
                            num_test=test_size or 2000, seed=0)
        tr, te = data["train"], data["test"]
        mean, std = channel_stats(tr.images)
        return TensorImages(tr.images, tr.labels, te.images, te.labels, 10, crop=32, pad=2,
                            flip=False, mean=mean, std=std, test_boxes=te.boxes)
    splits = load_dataset(dataset)
    pick = torch.Generator().manual_seed(0)

    def choose(n_total: int, n: int) -> torch.Tensor:
        return torch.randperm(n_total, generator=pick)[:n].sort().values if n else \
            torch.arange(n_total)

    if dataset == "flowers12":
        stored, crop, pad = round(image_size * 8 / 7), image_size, 0
    else:
        stored, crop, pad = 32, 32, 4
    train = splits["train"]
    tx, ty = decode_image_folder(train, choose(len(train), train_size), stored)
    vx, vy = decode_image_folder(splits["test"], choose(len(splits["test"]), test_size), stored)
    mean, std = channel_stats(tx)
    return TensorImages(tx, ty, vx, vy, len(train.classes), crop=crop, pad=pad, flip=True,
                        mean=mean, std=std)


# -- model, mixing, training ------------------------------------------------------------------
def resolved_arch(config: SnapMixConfig) -> str:
    """``arch``, with ``auto`` = ResNet-18 on flowers12 and the small ResNet elsewhere."""
    if config.arch != "auto":
        return config.arch
    return "resnet18" if config.dataset == "flowers12" else "small"


def build_model(config: SnapMixConfig, num_classes: int, in_channels: int) -> nn.Module:
    arch = resolved_arch(config)
    if arch == "resnet18":
        model = torchvision.models.resnet18(weights=None, num_classes=num_classes)
        if in_channels != 3:
            model.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        return model
    return SmallResNet(num_classes, tuple(config.widths), in_channels)


def build_mixer(method: str, config: SnapMixConfig, num_classes: int, gen: torch.Generator):
    """The batch transform of ``method`` (None for no mixing)."""
    p = config.mix_prob
    if method == "none":
        return None
    if method == "mixup":
        return MixUp(num_classes, config.mixup_alpha, p, gen)
    if method == "cutmix":
        return CutMix(num_classes, config.cutmix_beta, p, gen)
    if method == "asym_cutmix":
        return AsymmetricCutMix(num_classes, config.cutmix_beta, p, gen)
    return SnapMix(num_classes, config.snapmix_beta, p, same_class_boost=(method == "snapmix"),
                   eval_cam=config.eval_cam, generator=gen)


def lr_at(config: SnapMixConfig, step: int, total: int) -> float:
    """Cosine decay to 0, or the official from-scratch steps (x0.1 at 50 %, 75 %, 90 %)."""
    frac = step / max(total, 1)
    if config.schedule == "cosine":
        return config.lr * 0.5 * (1.0 + math.cos(math.pi * frac))
    return config.lr * 0.1 ** sum(frac >= m for m in (0.5, 0.75, 0.9))


@torch.no_grad()
def evaluate(model: nn.Module, data: TensorImages) -> float:
    """Test top-1 accuracy (a fraction)."""
    was = model.training
    model.eval()
    correct = 0
    for x, y in data.test_batches():
        correct += int((model(x).argmax(1) == y).sum())
    model.train(was)
    return correct / len(data.test_y)


def load_backbone(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Copy every pretrained weight into ``model`` except the classifier head ``fc``."""
    backbone = {k: v for k, v in state.items() if not k.startswith("fc.")}
    missing, unexpected = model.load_state_dict(backbone, strict=False)
    if unexpected or any(not k.startswith("fc.") for k in missing):
        raise ValueError(f"pretrained weights do not fit the model: missing "
                         f"{[k for k in missing if not k.startswith('fc.')]}, "
                         f"unexpected {unexpected}")


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
        model, metrics, _ = train_method("none", pre, data, device, seed=0)
        log.info("snapmix: pretrained on %s (test acc %.3f)", pre.dataset, metrics["test_acc"])
        return {"state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
                "test_acc": metrics["test_acc"]}

    blob = cached_torch("snapmix", f"pretrain-{pre.dataset}", settings, build)
    return blob["state_dict"], float(blob["test_acc"])


class MethodTrainer:
    """One method's training as a resumable per-epoch :class:`LoopStepper` (``self.stepper``).

    Paired across methods: the same initial weights (``seed_everything(seed)``, then the
    pretrained backbone ``init_state`` if given) and the same data order and crops (a data
    generator seeded with ``seed``); the mixing draws use their own generator. With a launched
    ``fabric`` the model and optimiser go through ``fabric.setup`` and the backward pass through
    ``fabric.backward``; under several processes every rank draws the same global batch of
    ``batch_size × world_size`` images and trains on its own slice (DDP averages the gradients),
    and the epoch loss is averaged over ranks.
    """

    def __init__(self, method: str, config: SnapMixConfig, data: TensorImages,
                 device: torch.device, seed: int, autocast_dtype: torch.dtype | None = None,
                 init_state: dict[str, torch.Tensor] | None = None, fabric=None):
        seed_everything(seed)
        model = build_model(config, data.num_classes, data.train_x.shape[1])
        if init_state is not None:
            load_backbone(model, init_state)
        model = model.to(device)
        if device.type == "cuda":
            model = model.to(memory_format=torch.channels_last)
        opt = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=0.9, nesterov=True,
                              weight_decay=config.weight_decay)
        self.model, self.fabric = model, fabric       # the plain module (CAMs, evaluation)
        self.rank, self.world = (fabric.global_rank, fabric.world_size) if fabric else (0, 1)
        self.train_model, self.opt = fabric.setup(model, opt) if fabric else (model, opt)
        self.backward = fabric.backward if fabric else (lambda loss: loss.backward())
        self.method, self.config, self.data, self.device = method, config, data, device
        self.autocast_dtype = autocast_dtype
        self.data_gen = torch.Generator().manual_seed(seed * 7919 + 1)
        mix_gen = torch.Generator().manual_seed(seed * 7919 + 2)
        self.mixer = build_mixer(method, config, data.num_classes, mix_gen)
        self.steps_per_epoch = max(len(data.train_y) // (config.batch_size * self.world), 1)
        self.memory = {"accs": [], "final_loss": 0.0, "step_time": 0.0, "steps": 0}
        self.stepper = LoopStepper(self.epoch, config.epochs, {
            "model": model, "opt": self.opt, "data_gen": self.data_gen, "mix_gen": mix_gen},
            self.memory)

    def epoch(self, epoch: int) -> dict[str, float]:
        """Train one epoch, then evaluate on the test set."""
        config, data, device, model = self.config, self.data, self.device, self.train_model
        per_rank = config.batch_size
        batch = per_rank * self.world
        total = self.steps_per_epoch * config.epochs
        model.train()
        order = torch.randperm(len(data.train_y), generator=self.data_gen)
        loss_sum = 0.0
        for b in range(self.steps_per_epoch):
            for group in self.opt.param_groups:
                group["lr"] = lr_at(config, epoch * self.steps_per_epoch + b, total)
            x, y = data.train_batch(order[b * batch:(b + 1) * batch], self.data_gen)
            if self.world > 1:
                x = x[self.rank * per_rank:(self.rank + 1) * per_rank]
                y = y[self.rank * per_rank:(self.rank + 1) * per_rank]
            if device.type == "cuda":
                x = x.contiguous(memory_format=torch.channels_last)
            start = time.perf_counter()
            with torch.autocast(device.type, dtype=self.autocast_dtype or torch.bfloat16,
                                enabled=self.autocast_dtype is not None):
                if self.mixer is not None:
                    x, targets = self.mixer(x, y, self.model)
                else:
                    targets = y
                loss = soft_target_cross_entropy(model(x).float(), targets)
            self.opt.zero_grad(set_to_none=True)
            self.backward(loss)
            self.opt.step()
            loss_sum += float(loss.detach())  # synchronises, so the timing is honest on GPU
            self.memory["step_time"] += time.perf_counter() - start
            self.memory["steps"] += 1
        loss_mean = loss_sum / self.steps_per_epoch
        if self.world > 1:
            loss_mean = float(self.fabric.all_reduce(torch.tensor(loss_mean), reduce_op="mean"))
        acc = evaluate(self.model, data)
        self.memory["accs"].append(acc)
        self.memory["final_loss"] = loss_mean
        return {"test_acc": acc, "loss": loss_mean}

    def metrics(self) -> dict[str, float]:
        """Final and best test accuracy, the best epoch and the last epoch's mean loss."""
        accs = self.memory["accs"]
        best = max(range(len(accs)), key=lambda i: accs[i])
        return {"test_acc": accs[-1], "best_test_acc": accs[best], "best_epoch": float(best + 1),
                "final_loss": self.memory["final_loss"]}

    @property
    def step_seconds(self) -> float:
        return self.memory["step_time"] / max(self.memory["steps"], 1)


def train_method(method: str, config: SnapMixConfig, data: TensorImages, device: torch.device,
                 seed: int, log_fn=None, autocast_dtype: torch.dtype | None = None,
                 init_state: dict[str, torch.Tensor] | None = None
                 ) -> tuple[nn.Module, dict[str, float], float]:
    """Train one method outside a run (no checkpoints); returns ``(model, metrics, seconds per
    training step)``. ``log_fn(method, epoch, **metrics)`` is called after every epoch."""
    trainer = MethodTrainer(method, config, data, device, seed, autocast_dtype, init_state)
    while not trainer.stepper.stopped:
        epoch = trainer.stepper.epoch
        logged = trainer.stepper.step()
        if log_fn is not None:
            log_fn(method, epoch + 1, **logged)
    return trainer.model, trainer.metrics(), trainer.step_seconds


# -- label fidelity -------------------------------------------------------------------------
def _visible(boxes: torch.Tensor, cut: tuple[int, int, int, int]) -> torch.Tensor:
    """Fraction of each object box inside ``cut``."""
    top = boxes[:, 0].clamp(min=cut[0])
    left = boxes[:, 1].clamp(min=cut[1])
    bottom = boxes[:, 2].clamp(max=cut[2])
    right = boxes[:, 3].clamp(max=cut[3])
    inter = (bottom - top).clamp(min=0) * (right - left).clamp(min=0)
    return inter.float() / ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).float()


@torch.no_grad()
def label_fidelity(model: nn.Module, data: TensorImages, mixes: int, beta: float,
                   gen: torch.Generator, batch_size: int = 100, eval_mode: bool = True
                   ) -> dict[str, float]:
    """Mean label error of area and CAM rules against the true object fractions.

    Per batch of test images: a random pairing, ``lam_a, lam_b ~ Beta(beta, beta)``, SnapMix's
    two independent boxes ``A``, ``B`` and CutMix's single box ``A``. Errors are
    ``|w_a - (1 - vis_a(A))| + |w_b - vis_b(B)|`` averaged over all mixes, for: ``area_sym``
    (CutMix box and area labels), ``area_asym`` (SnapMix's boxes, area labels ``|A|/HW``) and
    ``snapmix`` (SnapMix's boxes, CAM labels, no same-class boost). Returns the three means.
    """
    if data.test_boxes is None:
        raise ValueError("label fidelity needs a dataset with object boxes (cluttered-digits)")
    errs = {"area_sym": [], "area_asym": [], "snapmix": []}
    n = len(data.test_y)
    h = w = data.crop
    drawn = 0
    while drawn < mixes:
        b = min(batch_size, mixes - drawn, n)
        idx = torch.randperm(n, generator=gen)[:b]
        x, y = [t[idx.to(data.test_x.device)] for t in (data.test_x, data.test_y)]
        x = data.to_float(x)
        boxes = data.test_boxes[idx]
        perm = torch.randperm(b, generator=gen)
        box_a = random_box(h, w, sample_beta(beta, gen), gen)
        box_b = random_box(h, w, sample_beta(beta, gen), gen)
        if box_area(box_a) == 0 or box_area(box_b) == 0:
            continue
        spm = model_spm(model, x, y, eval_mode=eval_mode).cpu()
        rho_a, rho_b = snapmix_label_weights(spm, spm[perm], box_a, box_b)
        true_a, true_b = 1 - _visible(boxes, box_a), _visible(boxes[perm], box_b)
        frac = box_area(box_a) / (h * w)
        errs["snapmix"].append((rho_a - true_a).abs() + (rho_b - true_b).abs())
        errs["area_asym"].append((1 - frac - true_a).abs() + (frac - true_b).abs())
        sym_b = _visible(boxes[perm], box_a)
        errs["area_sym"].append((1 - frac - true_a).abs() + (frac - sym_b).abs())
        drawn += b
    return {k: float(torch.cat(v).mean()) for k, v in errs.items()}


def mix_grid(model: nn.Module, data: TensorImages, config: SnapMixConfig, path, n: int = 8
             ) -> None:
    """Save a grid of SnapMix mixes of test images annotated with ``rho_a / rho_b``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gen = torch.Generator().manual_seed(0)
    x, y = next(data.test_batches(max(n, 2)))
    snap = SnapMix(data.num_classes, beta=config.snapmix_beta, same_class_boost=False,
                   eval_cam=True, generator=gen)
    x_mix, _ = snap(x, y, model)
    info = snap.last_info
    fig, axes = plt.subplots(1, n, figsize=(1.6 * n, 2.0))
    for i, ax in enumerate(axes[: len(y)]):
        img = (x_mix[i] * data.std.view(-1, 1, 1) + data.mean.view(-1, 1, 1)).clamp(0, 1).cpu()
        ax.imshow(img.permute(1, 2, 0).squeeze(-1), cmap="gray" if img.shape[0] == 1 else None)
        ax.set_title(f"{int(y[i])}:{float(info.weight_a[i]):.2f} / "
                     f"{int(y[info.perm[i]])}:{float(info.weight_b[i]):.2f}", fontsize=7)
        if info.box_a is not None:
            t, l_, b_, r = info.box_a
            ax.add_patch(plt.Rectangle((l_ - 0.5, t - 0.5), r - l_, b_ - t, fill=False,
                                       edgecolor="red", linewidth=0.8))
        ax.axis("off")
    fig.suptitle("SnapMix mixes: label a:rho_a / label b:rho_b (red: pasted box)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


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
    fidelity_wanted = (config.label_fidelity and data.test_boxes is not None
                       and config.fidelity_mixes > 0)
    for method in config.methods:
        def stage(method=method):
            trainer = MethodTrainer(method, config, data, ctx.device, ctx.seed,
                                    init_state=init_state, fabric=ctx.fabric)
            with ctx.timed(method, "train_s"):
                ctx.fit(method, trainer.stepper, checkpoint_every=max(1, config.epochs // 20))
            ctx.record_timing(method, "step_s", trainer.step_seconds)
            model, metrics = trainer.model, trainer.metrics()
            extra: dict[str, float] = {}
            gen = torch.Generator().manual_seed(ctx.seed * 7919 + 3)
            if fidelity_wanted and method == "none":
                extra = {f"fidelity_{k}": v for k, v in label_fidelity(
                    model, data, config.fidelity_mixes, config.snapmix_beta, gen).items()}
            if fidelity_wanted and method.startswith("snapmix"):
                own = label_fidelity(model, data, config.fidelity_mixes, config.snapmix_beta, gen)
                extra["label_err_own"] = own["snapmix"]
            if config.mix_figure and method == "snapmix" and ctx.is_rank_zero:
                mix_grid(model, data, config, ctx.figures_dir / f"mixes-seed{ctx.seed}.png")
            return {"metrics": metrics, "extra": extra}

        out = ctx.cached(f"method-{method}", stage)
        results[method] = dict(out["metrics"])
        results[method].update(out["extra"])
        if pretrain_acc is not None:
            results[method]["pretrain_test_acc"] = pretrain_acc
    fid = results.get("none", {})
    if "fidelity_snapmix" in fid:
        rules = (("cutmix", "fidelity_area_sym"), ("asym_cutmix", "fidelity_area_asym"),
                 ("snapmix", "fidelity_snapmix"), ("snapmix_noboost", "fidelity_snapmix"))
        for method, key in rules:
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
                  "seeds": [0, 1, 2]},  # ≲ 2 min on 2 cores
        "paper": {"dataset": "flowers12", "image_size": 224, "epochs": 300, "batch_size": 16,
                  "lr": 0.01, "weight_decay": 1e-4, "schedule": "step", "mix_prob": 0.5,
                  "snapmix_beta": 1.0, "train_size": 0, "test_size": 0,
                  "methods": ("none", "mixup", "cutmix", "snapmix"), "seeds": [0, 1, 2]},
    },
    datasets=DATASETS, baseline="none", primary_metric="test_acc", distributed=True,
    summary="SnapMix vs no mixing / MixUp / CutMix / asymmetric CutMix: accuracy and label "
            "fidelity (AAAI 2021)",
    quick_minutes=1.6,  # 3 x one quick seed, CPU seconds, 2-core box (issue 15)
))
