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

Data-parallel under ``torchrun`` (Lightning Fabric): ``batch_size`` is per process; every rank
draws the same global batch of real images and noise (``batch_size × world_size``) and trains on
its share, G and D through ``fabric.setup`` (DDP averages their gradients). The feature
classifier keeps a global batch of 128 split the same way. Every rank evaluates its synchronised
generator on the same noise; rank 0's numbers are written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
import torch

from tenfold.data.tensor_images import images32
from tenfold.gan.evaluate import GeneratorEvaluator, feature_classifier
from tenfold.gan.models import DCGANDiscriminator32, DCGANGenerator32
from tenfold.gan.onestage import OneStageGAN
from tenfold.loops import LoopStepper, rank_share
from tenfold.metrics import model_accuracy
from tenfold.runtime.registry import Recipe, register_recipe
from tenfold.runtime.rules import Rule
from tenfold.runtime.seeding import seed_everything
from tenfold.runtime.timing import interleaved_timer

log = logging.getLogger(__name__)
MODES = ("two-stage", "one-stage")


@dataclass
class OSGANConfig:
    """Settings of the ``osgan`` recipe (defaults = ``quick``)."""

    dataset: str = "digits"
    losses: tuple[Literal["minimax", "nonsaturating", "wasserstein", "leastsquares", "hinge"],
                  ...] = ("nonsaturating",)
    modes: tuple[Literal["two-stage", "one-stage"], ...] = MODES
    iters: int = 600
    batch_size: int = 64             # per process
    zdim: int = 64
    ch: int = 16
    d_norm: Literal["group", "none", "batch"] = "group"  # the discriminator's normalisation
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    lr_d_one_stage: Annotated[float, Rule(low=0, low_open=True, special=((0.0, "lr_d"),),
                                          meaning="D's lr in one-stage mode (re-tuned)")] = 0.0
    beta1: float = 0.5
    eval_every: Annotated[int, Rule(low=1, meaning="iterations between two evaluations")] = 200
    n_eval: Annotated[int, Rule(low=10, meaning="generated images per evaluation")] = 1000
    classifier_epochs: int = 5
    classifier_max_train: Annotated[int, Rule(low=1, meaning="training images of the "
                                                             "feature classifier")] = 20000
    max_train: int = 0  # 0 = the whole training split


# -- one loss, both modes, interleaved --------------------------------------------------------

class _Checked:
    """The one-time independence check of a :class:`OneStageGAN` as resumable state (the check
    draws from the global random stream, so a resumed run must not repeat it)."""

    def __init__(self, step: OneStageGAN):
        self.step = step

    def state_dict(self) -> dict:
        return {"checked": self.step._checked}

    def load_state_dict(self, state: dict) -> None:
        self.step._checked = state["checked"]


def train_pair(config: OSGANConfig, loss: str, x_train: torch.Tensor, evaluator: GeneratorEvaluator,
               ctx, lr_d_one_stage: float | None = None) -> dict[str, dict]:
    """Train every mode of ``config.modes`` on ``loss``, interleaved iteration by iteration (one
    resumable step = one iteration of every arm); returns per-mode results with the FD curve
    and per-iteration times."""
    device = ctx.device
    arms, stateful = {}, {}
    for mode in config.modes:
        seed_everything(ctx.seed)                       # same initial weights in every arm
        G = DCGANGenerator32(config.zdim, config.ch).to(device)
        D = DCGANDiscriminator32(config.ch, norm=config.d_norm).to(device)
        lr_d = config.lr_d
        if mode == "one-stage":
            lr_d = lr_d_one_stage or config.lr_d_one_stage or config.lr_d
        opt_g = torch.optim.Adam(G.parameters(), config.lr_g, betas=(config.beta1, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr_d, betas=(config.beta1, 0.999))
        ddp_g, opt_g = ctx.fabric.setup(G, opt_g)                 # DDP under torchrun
        ddp_d, opt_d = ctx.fabric.setup(D, opt_d)
        step = OneStageGAN(ddp_g, ddp_d, opt_g, opt_d, loss=loss, mode=mode)
        arms[mode] = {"G": G, "step": step}
        stateful.update({f"{mode}/G": G, f"{mode}/D": D, f"{mode}/opt_g": opt_g,
                         f"{mode}/opt_d": opt_d, f"{mode}/checked": _Checked(step)})
    data_gen = ctx.generator(1)
    noise_gen = ctx.generator(2, device="cpu")
    rank, world = ctx.fabric.global_rank, ctx.fabric.world_size
    n, bs = len(x_train), config.batch_size * world                # the global batch
    memory = {"perm": torch.randperm(n, generator=data_gen), "pos": 0,
              **{mode: {"times": [], "curve": [], "fallback": 0.0, "last": None}
                 for mode in arms}}

    def iteration(i: int) -> dict[str, float]:
        it = i + 1
        if memory["pos"] + bs > n:
            memory["perm"], memory["pos"] = torch.randperm(n, generator=data_gen), 0
        real = x_train[memory["perm"][memory["pos"]:memory["pos"] + bs]]
        memory["pos"] += bs
        z = torch.randn(bs, config.zdim, generator=noise_gen)
        z2 = torch.randn(bs, config.zdim, generator=noise_gen)
        real, z, z2 = (rank_share(t, rank, world).to(device) for t in (real, z, z2))
        for mode, arm in arms.items():
            with interleaved_timer(device) as elapsed:
                stats = arm["step"](real, z, z2)
            memory[mode]["times"].append(elapsed())
            n_fallback = stats["n_fallback"]
            if world > 1:
                n_fallback = ctx.fabric.all_reduce(n_fallback, reduce_op="sum")
            memory[mode]["fallback"] += float(n_fallback) / bs
        if it % config.eval_every == 0 or it == config.iters:
            for mode, arm in arms.items():
                scores, mem = evaluator(arm["G"]), memory[mode]
                mem["curve"].append((it, float(np.sum(mem["times"])), scores["fd_cls"]))
                ctx.log(f"{mode}-{loss}", it, fd_cls=scores["fd_cls"],
                        covered=scores["covered"], train_s=float(np.sum(mem["times"])))
                mem["last"] = scores
        return {}

    stepper = LoopStepper(iteration, config.iters,
                          {**stateful, "data_gen": data_gen, "noise_gen": noise_gen}, memory)
    ctx.fit(f"osgan-{loss}", stepper, checkpoint_every=config.eval_every)
    return {mode: {"G": arm["G"], **memory[mode]} for mode, arm in arms.items()}


def _figures(arms_by_loss: dict[str, dict], evaluator: GeneratorEvaluator, ctx) -> None:
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
    classifier, trainer = feature_classifier(x_train[:n_cls], y_train[:n_cls],
                                             config.classifier_epochs, gen, ctx.device,
                                             fabric=ctx.fabric)
    ctx.fit("classifier", trainer, checkpoint_every=1, log=False)
    classifier.eval()
    reference = x_test[:config.n_eval]
    evaluator = GeneratorEvaluator(classifier, reference, num_classes, config.n_eval,
                                   config.zdim, ctx.device, ctx.seed)
    real_sample = x_train[torch.randperm(len(x_train), generator=gen)[:len(reference)]]
    results = {"real-data": {**evaluator.score_images(real_sample),
                             "classifier_acc": model_accuracy(classifier, x_test, data["test"][1],
                                                              device=ctx.device)}}
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
        "quick": {"iters": 250, "eval_every": 125, "seeds": [0, 1, 2]},  # ≲ 2 min
        # the official MNIST configs: 20 epochs at batch 128; one-stage D lr 5e-5 (asymmetric);
        # DCGAN width 128 at 64×64 there, 32 at 32×32 here
        "paper": {"dataset": "mnist", "losses": ("nonsaturating", "minimax"), "iters": 9375,
                  "batch_size": 128, "ch": 32, "zdim": 100, "lr_d_one_stage": 5e-5,
                  "eval_every": 1000, "n_eval": 5000, "seeds": [0, 1, 2]},
    },
    datasets=("digits", "mnist"),
    baseline="two-stage-nonsaturating", primary_metric="fd_cls", higher_is_better=False,
    distributed=True,
    summary="one-stage vs two-stage GAN training (DCGAN-32, FD in classifier features)",
    quick_minutes=1.3,  # 3 x one quick seed, CPU seconds, 2-core box (issue 15)
))
