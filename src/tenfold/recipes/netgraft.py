"""``netgraft``: few-shot, label-free distillation by progressive network grafting
(arXiv 2012.04915) against KD baselines given the same images, shared prefix and step budget.

For one seed and every N in ``shots``:

1. A VGG-style teacher is trained on the *full* labelled training set (as in the paper, whose
   teacher has seen all the data). It is trained once per (dataset, architecture, schedule,
   ``teacher_seed``) and cached as a file under ``tenfold.data.cache_root() / "netgraft"``, so
   every seed and every later run reuses it.
2. N images per class are drawn from the training set (nested across N for a seed; the seed
   also changes the subset, so ± includes data variation). Their labels are dropped, except by
   the ``ce_labels`` reference.
3. Methods, each from the same student initialisation, with the same augmentation, batch size
   and number of Adam steps (``block_steps`` × grafted blocks + ``net_steps`` × (grafted − 1)):

   * ``netgraft`` — block grafting then net grafting, normalised-logit loss (the paper).
   * ``kd_kl`` — Hinton KD (KL, temperature ``tau``) of the whole student, same frozen prefix.
     The paired baseline.
   * ``kd_nmse`` — the same KD with NetGraft's normalised-logit loss (isolates the loss).
   * ``kd_kl_noprefix`` — KL KD with no shared prefix (the student's first blocks trained too).
   * ``ce_labels`` — cross-entropy on the N *labelled* images (a reference that uses labels).
   * ``teacher`` — the teacher itself.

Reported, in percent: ``test_acc_n{N}`` (last step; no model selection on the test set),
for ``netgraft`` also the stage-1 hybrid accuracies ``hybrid_block{b}_n{N}`` and the stage-2
accuracies ``hybrid_net{k}_n{N}``, and ``params``/``macs`` of teacher and students. Accuracy
against steps goes to ``metrics.jsonl`` (method ``<name>@n<N>``, on the first
``curve_test_size`` test images).

Datasets: ``digits`` (embedded; 8×8), ``mnist`` and ``cifar10`` (mirror). One device, one process.
``eval_split=val`` trains on 80% of the training set and reports on the other 20% (what the
hyper-parameters were tuned on; the test set is never used for choices).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import torch
from torch import nn

from tenfold.data.tensor_images import image_tensors
from tenfold.distill import (
    BlockPartition,
    NetGraft,
    RandomShiftFlip,
    accuracy,
    count_macs,
    count_parameters,
    few_shot_indices,
    shared_prefix_student,
    vgg_blocks,
)
from tenfold.distill.baselines import distill_stepper, supervised_stepper
from tenfold.distill.schedules import SCHEDULES
from tenfold.errors import ConfigError
from tenfold.runtime.io import cached_torch
from tenfold.runtime.registry import Recipe, register_recipe
from tenfold.runtime.seeding import seed_everything

log = logging.getLogger(__name__)

METHODS = ("netgraft", "kd_kl", "kd_nmse", "kd_kl_noprefix", "ce_labels", "teacher")
DATASETS = ("digits", "mnist", "cifar10")

# Per-dataset architecture and teacher schedule (used when the config leaves them at 0 / ()).
# The student keeps the teacher's first ``shared`` blocks and halves the later widths.
DEFAULTS = {
    "digits": {"in_channels": 1, "teacher_widths": (32, 64, 128), "student_widths": (32, 32, 64),
               "teacher_hidden": 128, "student_hidden": 64, "convs": 2, "shared": 1,
               "teacher_steps": 600, "pad": 1, "flip": False, "mean": (0.0,), "std": (1.0,)},
    "mnist": {"in_channels": 1, "teacher_widths": (16, 32, 64), "student_widths": (16, 16, 32),
              "teacher_hidden": 64, "student_hidden": 32, "convs": 2, "shared": 1,
              "teacher_steps": 1500, "pad": 2, "flip": False, "mean": (0.1307,),
              "std": (0.3081,)},
    "cifar10": {"in_channels": 3, "teacher_widths": (64, 128, 256, 256),
                "student_widths": (64, 128, 128, 128), "teacher_hidden": 256,
                "student_hidden": 128, "convs": 2, "shared": 2, "teacher_steps": 8000,
                "pad": 4, "flip": True, "mean": (0.4914, 0.4822, 0.4465),
                "std": (0.2023, 0.1994, 0.2010)},
}


@dataclass
class NetGraftConfig:
    """Settings of the ``netgraft`` recipe (defaults = ``quick``; 0 / () = dataset default)."""

    dataset: str = "digits"
    methods: tuple[str, ...] = METHODS
    shots: tuple[int, ...] = (1, 5, 10)
    teacher_widths: tuple[int, ...] = ()
    student_widths: tuple[int, ...] = ()
    shared_blocks: int = -1          # teacher blocks copied (frozen) into the student; -1 = default
    teacher_steps: int = 0
    teacher_lr: float = 1e-3
    teacher_batch_size: int = 128
    teacher_seed: int = 0
    block_steps: int = 200           # stage 1, per grafted block
    net_steps: int = 200             # stage 2, per k
    # chosen on the digits validation split (benchmarks/results/netgraft_tune_digits.json)
    lr_block: float = 3e-3
    lr_adapter: float = 3e-2         # 10x the block rate, as in the official CIFAR setting
    lr_net: float = 1e-3
    kd_lr: float = 3e-3              # best for kd_kl (and kd_nmse) in the same sweep
    tau: float = 4.0
    lr_schedule: str = "constant"    # NetGraft's, per stage: "constant" (the paper) or "cosine"
    kd_lr_schedule: str = "constant"  # the baselines' (kd_*, ce_labels), over their whole budget
    batch_size: int = 64             # capped at the few-shot set size
    eval_every: int = 100            # accuracy-vs-steps curves (0 = stage ends only)
    curve_test_size: int = 1000
    test_size: int = 0               # 0 = the whole test set for the reported numbers
    eval_split: str = "test"         # "val": hold out 20% of train and report on it (tuning)

    def validate(self) -> None:
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown or not self.methods:
            raise ConfigError(f"methods must be a non-empty subset of {METHODS}, "
                              f"got {self.methods}")
        if not self.shots or any(n < 1 for n in self.shots) or 1 not in self.shots:
            raise ConfigError(f"shots must be positive image counts per class and include 1 "
                              f"(the primary metric is test_acc_n1), got {self.shots}")
        for name in ("block_steps", "net_steps", "batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("lr_schedule", "kd_lr_schedule"):
            if getattr(self, name) not in SCHEDULES:
                raise ConfigError(f"{name} must be one of {SCHEDULES}, "
                                  f"got {getattr(self, name)!r}")
        if self.eval_split not in ("test", "val"):
            raise ConfigError(f"eval_split must be 'test' or 'val', got {self.eval_split!r}")
        if self.teacher_widths and self.student_widths \
                and len(self.teacher_widths) != len(self.student_widths):
            raise ConfigError("teacher_widths and student_widths need the same number of blocks")

    def resolved(self) -> dict:
        d = dict(DEFAULTS[self.dataset])
        if self.teacher_widths:
            d["teacher_widths"] = tuple(self.teacher_widths)
        if self.student_widths:
            d["student_widths"] = tuple(self.student_widths)
        if self.shared_blocks >= 0:
            d["shared"] = self.shared_blocks
        if self.teacher_steps:
            d["teacher_steps"] = self.teacher_steps
        if len(d["teacher_widths"]) != len(d["student_widths"]):
            raise ConfigError("teacher_widths and student_widths need the same number of blocks")
        if not 0 <= d["shared"] < len(d["teacher_widths"]) + 1:
            raise ConfigError(f"shared_blocks must be in 0..{len(d['teacher_widths'])}")
        return d


# -- data ---------------------------------------------------------------------------------------
def _normalize(x: torch.Tensor, arch: dict) -> torch.Tensor:
    mean = torch.tensor(arch["mean"]).view(1, -1, 1, 1)
    std = torch.tensor(arch["std"]).view(1, -1, 1, 1)
    return (x - mean) / std


def _validation_split(x: torch.Tensor, y: torch.Tensor) -> dict:
    """A fixed 80/20 split of the training set (every 5th image of a fixed permutation)."""
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(12345))
    val = order[::5]
    train = torch.cat([order[i::5] for i in range(1, 5)]).sort().values
    return {"train": (x[train], y[train]), "test": (x[val], y[val])}


# -- models -------------------------------------------------------------------------------------
def _teacher(arch: dict) -> nn.Sequential:
    return vgg_blocks(arch["in_channels"], arch["teacher_widths"], 10, arch["teacher_hidden"],
                      arch["convs"])


def _student(arch: dict) -> nn.Sequential:
    widths = list(arch["student_widths"])
    widths[:arch["shared"]] = arch["teacher_widths"][:arch["shared"]]
    return vgg_blocks(arch["in_channels"], widths, 10, arch["student_hidden"], arch["convs"])


def every(steps: int) -> int:
    """Checkpoint interval of a loop of ``steps`` Adam steps (about 20 checkpoints)."""
    return max(1, steps // 20)


def _cached_teacher(config: NetGraftConfig, arch: dict, data, ctx) -> tuple[nn.Module, float]:
    """Train the teacher once; keep it in ``cache_root()/netgraft/teacher-<dataset>-<key>.pt``."""
    recipe = {"dataset": config.dataset, "widths": arch["teacher_widths"],
              "hidden": arch["teacher_hidden"], "convs": arch["convs"],
              "steps": arch["teacher_steps"], "lr": config.teacher_lr,
              "batch": config.teacher_batch_size, "seed": config.teacher_seed,
              "pad": arch["pad"], "flip": arch["flip"], "split": config.eval_split,
              "version": 1}
    seed_everything(config.teacher_seed)
    teacher = _teacher(arch)

    def build() -> dict:
        xtr, ytr = data["train"]
        xte, yte = data["test"]
        gen = torch.Generator().manual_seed(config.teacher_seed)
        trainer = supervised_stepper(teacher, xtr, ytr, steps=arch["teacher_steps"],
                                     lr=config.teacher_lr, batch_size=config.teacher_batch_size,
                                     augment=RandomShiftFlip(arch["pad"], arch["flip"]),
                                     generator=gen, device=ctx.device, lr_schedule="cosine")
        with ctx.timed("teacher", "train_s"):
            ctx.fit("teacher", trainer, checkpoint_every=every(arch["teacher_steps"]), log=False)
        acc = accuracy(teacher, xte, yte, device=ctx.device)
        log.info("netgraft: trained the teacher (test acc %.4f)", acc)
        return {"state_dict": {k: v.cpu() for k, v in teacher.state_dict().items()},
                "test_acc": acc}

    blob = cached_torch("netgraft", f"teacher-{config.dataset}", recipe, build)
    teacher.load_state_dict(blob["state_dict"])
    return teacher.to(ctx.device).eval(), float(blob["test_acc"])


# -- one seed -----------------------------------------------------------------------------------
def run(config: NetGraftConfig, ctx) -> dict[str, dict[str, float]]:
    arch = config.resolved()
    device = ctx.device
    raw = image_tensors(config.dataset)
    data = {k: (_normalize(x, arch), y) for k, (x, y) in raw.items()}
    if config.eval_split == "val":  # tuning: never look at the test set
        data = _validation_split(*data["train"])
    xtr, ytr = data["train"]
    xte, yte = data["test"]
    # a fixed permutation, so that subsets of class-sorted test sets (ImageFolder) are mixed
    order = torch.randperm(len(yte), generator=torch.Generator().manual_seed(2012_04915))
    xte, yte = xte[order], yte[order]
    if config.test_size:
        xte, yte = xte[:config.test_size], yte[:config.test_size]
    xcurve, ycurve = xte[:config.curve_test_size], yte[:config.curve_test_size]
    teacher, _ = _cached_teacher(config, arch, data, ctx)
    teacher.requires_grad_(False).eval()
    example = xtr[:2].to(device)
    teacher_acc = accuracy(teacher, xte, yte, device=device)
    augment = RandomShiftFlip(arch["pad"], arch["flip"])
    n_blocks = len(arch["teacher_widths"]) + 1
    shared = arch["shared"]
    graft = list(range(shared, n_blocks))
    budget = config.block_steps * len(graft) + config.net_steps * (len(graft) - 1)

    results: dict[str, dict[str, float]] = {m: {} for m in config.methods}
    seed_everything(ctx.seed)
    probe_student = shared_prefix_student(list(teacher), list(_student(arch)), shared)
    student_macs = count_macs(probe_student, example.cpu())

    def curve_eval(model):
        return {"curve_acc": accuracy(model, xcurve, ycurve, device=device)}

    def log_history(name, tag, history):
        for rec in history:
            if "curve_acc" in rec:
                ctx.log(f"{name}@{tag}", rec.get("total_step", rec["step"]),
                        test_acc=100 * rec["curve_acc"], loss=rec["loss"])

    for n in config.shots:
        idx = few_shot_indices(ytr, n, seed=ctx.seed)
        x_few, y_few = xtr[idx], ytr[idx]
        batch = min(config.batch_size, len(idx))
        tag = f"n{n}"

        if "netgraft" in config.methods:
            seed_everything(ctx.seed)
            student = _student(arch)
            grafter = NetGraft(BlockPartition(list(teacher)), BlockPartition(list(student)),
                               example, graft=graft, loss="normalized_mse",
                               generator=ctx.generator(100 + n), device=device)
            stepper = grafter.stepper(
                x_few, block_steps=config.block_steps, net_steps=config.net_steps,
                lr_block=config.lr_block, lr_adapter=config.lr_adapter, lr_net=config.lr_net,
                batch_size=batch, augment=augment, evaluate=curve_eval,
                eval_every=config.eval_every,
                stage_evaluate=lambda m: {"acc": accuracy(m, xte, yte, device=device)},
                lr_schedule=config.lr_schedule)
            with ctx.timed("netgraft", f"fit_{tag}_s"):
                ctx.fit(f"netgraft@{tag}", stepper, every(budget), log=False)
            for rec in grafter.history:
                if "stage_acc" in rec:
                    kind = "block" if rec["stage"] == "block" else "net"
                    name = f"hybrid_{kind}{rec['index']}_{tag}"
                    results["netgraft"][name] = 100 * rec["stage_acc"]
            final = grafter.export(merge_adapters=True)
            results["netgraft"][f"test_acc_{tag}"] = 100 * accuracy(final, xte, yte, device=device)
            results["netgraft"]["params"] = float(count_parameters(final))
            results["netgraft"]["macs"] = float(count_macs(final.cpu(), example.cpu()))
            results["netgraft"]["params_ratio"] = (count_parameters(final)
                                                   / count_parameters(teacher))
            results["netgraft"]["steps"] = float(grafter.steps_taken)
            log_history("netgraft", tag, grafter.history)

        for method, loss, prefix in (("kd_kl", "kl", True), ("kd_nmse", "normalized_mse", True),
                                     ("kd_kl_noprefix", "kl", False)):
            if method not in config.methods:
                continue
            seed_everything(ctx.seed)
            student = _student(arch)
            model = (shared_prefix_student(list(teacher), list(student), shared) if prefix
                     else student)
            stepper = distill_stepper(teacher, model, x_few, steps=budget, loss=loss,
                                      lr=config.kd_lr, batch_size=batch, augment=augment,
                                      generator=ctx.generator(100 + n), device=device,
                                      evaluate=curve_eval, eval_every=config.eval_every,
                                      tau=config.tau, lr_schedule=config.kd_lr_schedule)
            with ctx.timed(method, f"fit_{tag}_s"):
                hist = ctx.fit(f"{method}@{tag}", stepper, every(budget), log=False).history
            results[method][f"test_acc_{tag}"] = 100 * accuracy(model, xte, yte, device=device)
            results[method]["params"] = float(count_parameters(model))
            log_history(method, tag, hist)

        if "ce_labels" in config.methods:
            seed_everything(ctx.seed)
            model = shared_prefix_student(list(teacher), list(_student(arch)), shared)
            stepper = supervised_stepper(model, x_few, y_few, steps=budget, lr=config.kd_lr,
                                         batch_size=batch, augment=augment,
                                         generator=ctx.generator(100 + n), device=device,
                                         evaluate=curve_eval, eval_every=config.eval_every,
                                         lr_schedule=config.kd_lr_schedule)
            with ctx.timed("ce_labels", f"fit_{tag}_s"):
                hist = ctx.fit(f"ce_labels@{tag}", stepper, every(budget), log=False).history
            results["ce_labels"][f"test_acc_{tag}"] = 100 * accuracy(model, xte, yte,
                                                                    device=device)
            results["ce_labels"]["params"] = float(count_parameters(model))
            log_history("ce_labels", tag, hist)

        if "teacher" in config.methods:
            results["teacher"][f"test_acc_{tag}"] = 100 * teacher_acc

    if "teacher" in config.methods:
        results["teacher"]["params"] = float(count_parameters(teacher))
        results["teacher"]["macs"] = float(count_macs(teacher.cpu(), example.cpu()))
        teacher.to(device)
    for m in ("kd_kl", "kd_nmse", "ce_labels"):
        if m in results:
            results[m]["macs"] = float(student_macs)
    for m in ("kd_kl", "kd_nmse", "kd_kl_noprefix", "ce_labels"):
        if m in results:
            results[m]["steps"] = float(budget)
    if ctx.is_rank_zero:
        _plot(config, ctx)
    log.info("netgraft seed %d: %s", ctx.seed,
             {m: r.get("test_acc_n1") for m, r in results.items()})
    return results


def _plot(config: NetGraftConfig, ctx) -> None:
    """Accuracy (on the curve subset of the test set) against Adam steps, one panel per N."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = [json.loads(line) for line in ctx.run_dir.metrics_path.read_text().splitlines()
               if line.strip()] if ctx.run_dir.metrics_path.exists() else []
    records = [r for r in records if r.get("seed") == ctx.seed and "@" in r.get("method", "")]
    if not records:
        return
    fig, axes = plt.subplots(1, len(config.shots), figsize=(4.5 * len(config.shots), 3.5),
                             squeeze=False)
    for ax, n in zip(axes[0], config.shots, strict=True):
        for method in config.methods:
            pts = [(r["step"], r["test_acc"]) for r in records if r["method"] == f"{method}@n{n}"]
            if pts:
                xs, ys = zip(*sorted(pts), strict=True)
                ax.plot(xs, ys, label=method, marker="." if method == "netgraft" else None)
        ax.set_title(f"N = {n} images per class")
        ax.set_xlabel("Adam steps")
        ax.set_ylabel("test accuracy (curve subset, %)")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(ctx.figures_dir / f"accuracy_vs_steps_seed{ctx.seed}.png", dpi=120)
    plt.close(fig)


register_recipe(Recipe(
    name="netgraft", config_cls=NetGraftConfig, run=run,
    presets={
        "smoke": {"shots": (1,), "teacher_steps": 40, "block_steps": 4, "net_steps": 4,
                  "eval_every": 0, "curve_test_size": 100, "seeds": [0]},
        "quick": {"block_steps": 60, "net_steps": 60, "eval_every": 30,
                  "seeds": [0, 1, 2]},  # ≲ 2 min on 2 cores
        # The official CIFAR-10 schedule in steps: stage 1 = 100/60/60 epochs of 2 steps for the
        # 3 grafted blocks (we use the mean, 147), stage 2 = 2 x 100 epochs of 2 steps.
        "paper": {"dataset": "cifar10", "block_steps": 147, "net_steps": 200,
                  "seeds": [0, 1, 2, 3, 4]},
    },
    datasets=DATASETS, baseline="kd_kl", primary_metric="test_acc_n1",
    summary="NetGraft few-shot label-free distillation vs KD with the same images and budget",
))
