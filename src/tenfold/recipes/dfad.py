"""``dfad``: one-stage vs two-stage data-free adversarial distillation.

DFAD (Fang et al., arXiv 1912.11006) distils a teacher into a student with a generator that
maximises their L1 logit discrepancy; the game is symmetric, so the one-stage training of Shen et
al. (arXiv 2103.00430) applies with gradient reversal (one backward for student and generator).

The recipe trains a LeNet-5 teacher on the real training split, standardised like DFAD's MNIST
loader (zero mean, unit variance: the generator ends with a non-affine BatchNorm, so its images
have exactly these statistics), then distils it into LeNet-5-half
without data, two-stage (DFAD's loop: ``k`` student steps on detached fakes, then one generator
step) and one-stage (``k − 1`` student steps and one joint step), plus the floor of a student
distilled on random-noise inputs. All arms start from the same weights and are interleaved
iteration by iteration in one process so that their wall-clock times are comparable. Reported:
test accuracy of every student (summary) and accuracy against training wall-clock time
(``metrics.jsonl``, figure; times in ``timings.json``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import torch

from tenfold.data.tensor_images import images32
from tenfold.distill import accuracy
from tenfold.errors import ConfigError
from tenfold.gan.dfad import DataFreeDistillation, NoiseDistillation, noise_sampler
from tenfold.gan.models import DFADGenerator, LeNet5
from tenfold.loops import LoopStepper, classifier_trainer
from tenfold.runtime.io import cached_torch, save_torch
from tenfold.runtime.registry import Recipe, register_recipe
from tenfold.runtime.rules import Rule
from tenfold.runtime.seeding import seed_everything
from tenfold.runtime.timing import interleaved_timer

log = logging.getLogger(__name__)
MODES = ("two-stage", "one-stage")


@dataclass
class DFADConfig:
    """Settings of the ``dfad`` recipe (defaults = ``quick``)."""

    dataset: str = "digits"
    modes: tuple[Literal["two-stage", "one-stage"], ...] = MODES
    student_steps: Annotated[tuple[int, ...], Rule(
        low=1, nonempty=True, unique=True,
        meaning="k: student updates per generator update")] = (5,)
    noise_floor: bool = True
    iters: int = 100                        # generator updates
    batch_size: int = 64                    # per process
    zdim: int = 100
    gen_ch: int = 32                        # DFAD's generator uses 128; even
    lr_s: float = 0.01
    lr_g: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 1e-4
    teacher_epochs: int = 30
    teacher_max_train: int = 0              # 0 = the whole training split
    # a state dict file of the teacher, "{seed}" filled in: loaded when it exists, else the trained
    # teacher is saved there. Empty: the teacher is kept in the cache, keyed by its settings.
    teacher_checkpoint: str = ""
    eval_every: Annotated[int, Rule(low=1, meaning="iterations between two evaluations")] = 20

    def validate(self) -> None:
        if self.gen_ch % 2:
            raise ConfigError(f"gen_ch must be even, got {self.gen_ch}")
        if self.teacher_checkpoint:
            try:
                path = Path(self.teacher_checkpoint.format(seed=0))
            except (KeyError, IndexError, ValueError) as err:
                raise ConfigError(f"teacher_checkpoint: expected a file path with at most "
                                  f"'{{seed}}' in braces, got {self.teacher_checkpoint!r} "
                                  f"({err!r})") from None
            if path.is_dir() or not path.parent.is_dir():
                raise ConfigError(f"teacher_checkpoint: expected a file in an existing folder, "
                                  f"got {self.teacher_checkpoint!r}")


def _teacher(config: DFADConfig, ctx, x_train: torch.Tensor, y_train: torch.Tensor,
             num_classes: int) -> LeNet5:
    """The LeNet-5 teacher of seed ``ctx.seed``, trained once.

    With ``teacher_checkpoint`` it is loaded from that file when it exists (whatever settings
    trained it) and saved there otherwise; without, it is kept in the tenfold cache under its
    dataset, seed and training settings, so that runs and processes sharing them share it.
    """
    def trained_state() -> dict[str, torch.Tensor]:
        seed_everything(ctx.seed)
        model = LeNet5(num_classes=int(y_train.max()) + 1).to(ctx.device)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        trainer = classifier_trainer(model, opt, x_train, y_train, config.teacher_epochs, 128,
                                     ctx.generator(0), ctx.device)
        with ctx.timed("teacher", "train_s"):
            ctx.fit("teacher", trainer, checkpoint_every=1, log=False)
        return {k: v.cpu() for k, v in model.state_dict().items()}

    if config.teacher_checkpoint:
        checkpoint = Path(config.teacher_checkpoint.format(seed=ctx.seed))
        if checkpoint.exists():
            try:
                state = torch.load(checkpoint, map_location="cpu")
                LeNet5(num_classes).load_state_dict(state)
            except Exception as err:  # any unreadable or foreign file: say which and what to do
                raise ConfigError(f"teacher_checkpoint {checkpoint}: not a LeNet-5 teacher state "
                                  f"dict saved by this recipe ({type(err).__name__}); delete it "
                                  "to train and save a new teacher") from None
            log.info("teacher loaded from %s", checkpoint)
        else:
            state = trained_state()
            save_torch(checkpoint, state)
    else:
        settings = {"dataset": config.dataset, "seed": ctx.seed, "epochs": config.teacher_epochs,
                    "max_train": config.teacher_max_train, "version": 1}
        state = cached_torch("dfad", f"teacher-{config.dataset}", settings,
                             lambda: {"state_dict": trained_state()})["state_dict"]
    teacher = LeNet5(num_classes).to(ctx.device)
    teacher.load_state_dict(state)
    return teacher.eval()


def run(config: DFADConfig, ctx) -> dict[str, dict[str, float]]:
    """Train the teacher, then distil it without data in every arm, interleaved."""
    device = ctx.device
    data = images32(config.dataset)
    x_train, y_train = data["train"]
    x_test, y_test = data["test"]
    mean, std = x_train.mean(), x_train.std()
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    if config.teacher_max_train:
        x_train, y_train = x_train[:config.teacher_max_train], y_train[:config.teacher_max_train]
    num_classes = int(y_train.max()) + 1
    teacher = _teacher(config, ctx, x_train, y_train, num_classes)
    for p in teacher.parameters():
        p.requires_grad_(False)
    results = {"teacher": {"test_acc": accuracy(teacher, x_test, y_test, device=device)}}
    ctx.log("teacher", 0, test_acc=results["teacher"]["test_acc"])

    arms, stateful = {}, {}
    rank_world = (ctx.fabric.global_rank, ctx.fabric.world_size)
    for k in config.student_steps:
        for mode in config.modes:
            seed_everything(ctx.seed + 1)               # every student starts from the same weights
            student = LeNet5(num_classes, width=0.5).to(device)
            gen = DFADGenerator(config.zdim, config.gen_ch).to(device)
            opt_s = torch.optim.SGD(student.parameters(), lr=config.lr_s,
                                    momentum=config.momentum, weight_decay=config.weight_decay)
            opt_g = torch.optim.Adam(gen.parameters(), lr=config.lr_g)
            ddp_s, opt_s = ctx.fabric.setup(student, opt_s)       # DDP under torchrun
            ddp_g, opt_g = ctx.fabric.setup(gen, opt_g)
            step = DataFreeDistillation(teacher, ddp_s, ddp_g, opt_s, opt_g, mode=mode,
                                        student_steps=k)
            noise = ctx.generator(10 + k)
            sample = noise_sampler((config.batch_size, config.zdim), noise, device, *rank_world)
            arms[f"{mode}-k{k}"] = {"student": student, "step": step, "sample": sample}
            stateful.update({f"{mode}-k{k}/{name}": obj for name, obj in (
                ("student", student), ("generator", gen), ("opt_s", opt_s), ("opt_g", opt_g),
                ("noise", noise))})
        if config.noise_floor:
            seed_everything(ctx.seed + 1)
            student = LeNet5(num_classes, width=0.5).to(device)
            opt_s = torch.optim.SGD(student.parameters(), lr=config.lr_s,
                                    momentum=config.momentum, weight_decay=config.weight_decay)
            ddp_s, opt_s = ctx.fabric.setup(student, opt_s)
            noise = ctx.generator(10 + k)
            sample = noise_sampler((config.batch_size, 1, 32, 32), noise, device, *rank_world)
            arms[f"random-noise-k{k}"] = {"student": student, "sample": sample,
                                          "step": NoiseDistillation(teacher, ddp_s, opt_s, k)}
            stateful.update({f"random-noise-k{k}/student": student,
                             f"random-noise-k{k}/opt_s": opt_s, f"random-noise-k{k}/noise": noise})
    memory = {name: {"times": [], "curve": []} for name in arms}

    def iteration(i: int) -> dict[str, float]:
        it = i + 1
        for name, arm in arms.items():
            with interleaved_timer(device) as elapsed:
                arm["step"](arm["sample"])
            memory[name]["times"].append(elapsed())
        if it % config.eval_every == 0 or it == config.iters:
            for name, arm in arms.items():
                acc = accuracy(arm["student"], x_test, y_test, device=device)
                times = memory[name]["times"]
                memory[name]["curve"].append((it, float(np.sum(times)), acc))
                ctx.log(name, it, test_acc=acc, train_s=float(np.sum(times)),
                        ms_per_iter_median=1e3 * float(np.median(times)))
        return {}

    ctx.fit("distill", LoopStepper(iteration, config.iters, stateful, memory),
            checkpoint_every=config.eval_every)
    for name, arm in arms.items():
        arm.update(memory[name])

    for name, arm in arms.items():
        results[name] = {"test_acc": arm["curve"][-1][2],
                         "best_test_acc": max(c[2] for c in arm["curve"])}
        ctx.record_timing(name, "ms_per_iter_median", 1e3 * float(np.median(arm["times"])))
        ctx.record_timing(name, "train_s", float(np.sum(arm["times"])))
    for k in config.student_steps:
        two, one = arms.get(f"two-stage-k{k}"), arms.get(f"one-stage-k{k}")
        if two and one:
            target = two["curve"][-1][2]
            reached = [c[1] for c in one["curve"] if c[2] >= target]
            if reached:
                ctx.record_timing(f"one-stage-k{k}", "time_to_two_stage_final_ratio",
                                  reached[0] / two["curve"][-1][1])
    _figure(arms, ctx)
    return results


def _figure(arms: dict[str, dict], ctx) -> None:
    if not ctx.is_rank_zero:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for name, arm in arms.items():
        ax.plot([c[1] for c in arm["curve"]], [c[2] for c in arm["curve"]], marker="o", label=name)
    ax.set_xlabel("training wall-clock time (s)")
    ax.set_ylabel("student test accuracy")
    ax.set_title(f"data-free distillation (seed {ctx.seed})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(ctx.figures_dir / f"acc-vs-time-seed{ctx.seed}.png", dpi=110)
    plt.close(fig)


register_recipe(Recipe(
    name="dfad", config_cls=DFADConfig, run=run,
    presets={
        "smoke": {"iters": 4, "batch_size": 16, "gen_ch": 8,
                  "teacher_epochs": 2, "eval_every": 2, "seeds": [0]},
        "quick": {"iters": 30, "teacher_epochs": 10, "eval_every": 10,
                  "seeds": [0, 1, 2]},  # ≲ 2 min on 2 cores
        # DFAD's MNIST protocol: 40 × 50 generator iterations, 5 student steps each, batch 512
        "paper": {"dataset": "mnist", "iters": 2000, "batch_size": 512, "gen_ch": 128,
                  "teacher_epochs": 5, "eval_every": 100, "seeds": [0, 1, 2]},
    },
    datasets=("digits", "mnist"),
    baseline="two-stage-k5", primary_metric="test_acc", distributed=True,
    summary="one-stage vs two-stage data-free adversarial distillation (LeNet-5 → LeNet-5-half)",
    quick_minutes=0.9,  # 3 x one quick seed, CPU seconds, 2-core box (issue 15)
))
