"""Training an image classifier with a batch-mixing transform, one resumable epoch per step.

:class:`MixTrainer` is the loop every mixing method shares (SnapMix, MixUp, CutMix, asymmetric
CutMix, none): SGD with Nesterov momentum, the learning rate set per optimiser step by
:func:`lr_at`, augmented batches from a :class:`~tenfold.data.tensor_images.TensorImages`, the
mixing transform applied to each batch and the soft-target cross-entropy

    loss = - mean_i sum_c t[i, c] log softmax(f(x~_i))_c

and top-1 test accuracy after every epoch (:func:`tenfold.metrics.model_accuracy`). It is a
:class:`~tenfold.loops.LoopStepper` (``trainer.stepper``), so ``ctx.fit(key, trainer.stepper)``
resumes inside a method; :meth:`MixTrainer.run` trains outside a run.

:func:`make_mixer` builds the transform of a method by name, :func:`build_classifier` the model
(a small CIFAR-style ResNet or torchvision's ResNet-18) and :func:`load_backbone` copies
pretrained weights into it except the head. :func:`paired_trainer` puts them together the way
a comparison of methods needs them: for one seed, every method starts from the same weights
and sees the same data order and crops; only the mixing differs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, Literal

import torch
import torchvision
from torch import nn

from tenfold.augment.loss import soft_target_cross_entropy
from tenfold.augment.mixing import AsymmetricCutMix, CutMix, MixUp
from tenfold.augment.models import SmallResNet
from tenfold.augment.snapmix import SnapMix
from tenfold.loops import LoopStepper, rank_share
from tenfold.metrics import model_accuracy

__all__ = ["MIX_METHODS", "MixTrainer", "build_classifier", "load_backbone", "lr_at",
           "make_mixer", "paired_trainer", "seeded_generators"]

MIX_METHODS = ("none", "mixup", "cutmix", "asym_cutmix", "snapmix", "snapmix_noboost")


def lr_at(base_lr: float, schedule: Literal["cosine", "step"], step: int, total: int) -> float:
    """Learning rate at optimiser step ``step`` of ``total``.

    ``cosine``: ``lr = base_lr * (1 + cos(pi * step / total)) / 2`` (decays to 0); ``step``: the
    official from-scratch schedule, ``base_lr * 0.1 ** #{m in (0.5, 0.75, 0.9): step/total >= m}``.
    """
    frac = step / max(total, 1)
    if schedule == "cosine":
        return base_lr * 0.5 * (1.0 + math.cos(math.pi * frac))
    if schedule == "step":
        return base_lr * 0.1 ** sum(frac >= m for m in (0.5, 0.75, 0.9))
    raise ValueError(f"schedule: expected 'cosine' or 'step', got {schedule!r}")


def seeded_generators(seed: int) -> tuple[torch.Generator, torch.Generator]:
    """``(data_generator, mix_generator)`` for seed ``seed`` (seeded ``7919 seed + 1`` and
    ``+ 2``): the same data order and crops for every method of one seed, mixing draws apart."""
    return (torch.Generator().manual_seed(seed * 7919 + 1),
            torch.Generator().manual_seed(seed * 7919 + 2))


def make_mixer(method: str, num_classes: int, generator: torch.Generator, *, prob: float = 0.5,
               mixup_alpha: float = 1.0, cutmix_beta: float = 3.0, snapmix_beta: float = 5.0,
               eval_cam: bool = False):
    """The batch transform of ``method`` (one of :data:`MIX_METHODS`; ``None`` for ``none``).

    ``snapmix`` uses the same-class boost, ``snapmix_noboost`` does not; every transform draws
    from ``generator`` and mixes a batch with probability ``prob``.
    """
    if method == "none":
        return None
    if method == "mixup":
        return MixUp(num_classes, mixup_alpha, prob, generator)
    if method == "cutmix":
        return CutMix(num_classes, cutmix_beta, prob, generator)
    if method == "asym_cutmix":
        return AsymmetricCutMix(num_classes, cutmix_beta, prob, generator)
    if method in ("snapmix", "snapmix_noboost"):
        return SnapMix(num_classes, snapmix_beta, prob, same_class_boost=(method == "snapmix"),
                       eval_cam=eval_cam, generator=generator)
    raise ValueError(f"method: expected one of {', '.join(MIX_METHODS)}, got {method!r}")


def build_classifier(arch: Literal["small", "resnet18"], num_classes: int, in_channels: int = 3,
                     widths: tuple[int, ...] = (8, 16, 32)) -> nn.Module:
    """:class:`~tenfold.augment.SmallResNet` with ``widths``, or torchvision's ResNet-18 from
    scratch (its first convolution rebuilt for ``in_channels != 3``)."""
    if arch == "resnet18":
        model = torchvision.models.resnet18(weights=None, num_classes=num_classes)
        if in_channels != 3:
            model.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        return model
    if arch == "small":
        return SmallResNet(num_classes, tuple(widths), in_channels)
    raise ValueError(f"arch: expected 'small' or 'resnet18', got {arch!r}")


def load_backbone(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Copy every pretrained weight into ``model`` except the classifier head ``fc``."""
    backbone = {k: v for k, v in state.items() if not k.startswith("fc.")}
    missing, unexpected = model.load_state_dict(backbone, strict=False)
    if unexpected or any(not k.startswith("fc.") for k in missing):
        raise ValueError(f"pretrained weights do not fit the model: missing "
                         f"{[k for k in missing if not k.startswith('fc.')]}, "
                         f"unexpected {unexpected}")


class MixTrainer:
    """One method's training as a resumable per-epoch :class:`~tenfold.loops.LoopStepper`
    (``self.stepper``): ``epochs`` epochs of ``len(train) // (batch_size * world)`` SGD steps
    (momentum 0.9, Nesterov, ``weight_decay``), learning rate :func:`lr_at` per step.

    ``data_generator`` draws the data order and the crops/flips, ``mix_generator`` is the one the
    ``mixer`` (from :func:`make_mixer`, or ``None``) draws from; both are part of the state, so
    two trainers built alike train alike (paired methods) and a resumed one continues exactly.
    With a launched Lightning ``fabric`` the model and optimiser go through ``fabric.setup`` and
    the backward pass through ``fabric.backward``; under several processes every rank draws the
    same global batch of ``batch_size × world_size`` images and trains on its own slice (DDP
    averages the gradients) and the epoch loss is averaged over ranks. ``autocast_dtype`` (e.g.
    ``torch.bfloat16``) runs the forward passes under autocast.
    """

    def __init__(self, model: nn.Module, mixer: Any, data, *, epochs: int, batch_size: int,
                 lr: float, data_generator: torch.Generator, mix_generator: torch.Generator,
                 weight_decay: float = 5e-4, schedule: Literal["cosine", "step"] = "cosine",
                 device: torch.device | str = "cpu", autocast_dtype: torch.dtype | None = None,
                 fabric: Any = None):
        if epochs < 1 or batch_size < 1 or not lr > 0:
            raise ValueError(f"expected epochs >= 1, batch_size >= 1 and lr > 0, got {epochs}, "
                             f"{batch_size}, {lr}")
        device = torch.device(device)
        model = model.to(device)
        if device.type == "cuda":
            model = model.to(memory_format=torch.channels_last)
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True,
                              weight_decay=weight_decay)
        self.model, self.fabric = model, fabric       # the plain module (CAMs, evaluation)
        self.rank, self.world = (fabric.global_rank, fabric.world_size) if fabric else (0, 1)
        self.train_model, self.opt = fabric.setup(model, opt) if fabric else (model, opt)
        self.backward: Callable = fabric.backward if fabric else (lambda loss: loss.backward())
        self.mixer, self.data, self.device = mixer, data, device
        self.epochs, self.batch_size, self.lr, self.schedule = epochs, batch_size, lr, schedule
        self.autocast_dtype = autocast_dtype
        self.data_gen = data_generator
        self.steps_per_epoch = max(len(data.train_y) // (batch_size * self.world), 1)
        self.memory = {"accs": [], "final_loss": 0.0, "step_time": 0.0, "steps": 0}
        self.stepper = LoopStepper(self.epoch, epochs, {
            "model": model, "opt": self.opt, "data_gen": data_generator,
            "mix_gen": mix_generator}, self.memory)

    def epoch(self, epoch: int) -> dict[str, float]:
        """Train one epoch, then evaluate on the test set; ``{"test_acc", "loss"}``."""
        data, device, model = self.data, self.device, self.train_model
        batch = self.batch_size * self.world        # one global batch; each rank trains its share
        total = self.steps_per_epoch * self.epochs
        model.train()
        order = torch.randperm(len(data.train_y), generator=self.data_gen)
        loss_sum = 0.0
        for b in range(self.steps_per_epoch):
            for group in self.opt.param_groups:
                group["lr"] = lr_at(self.lr, self.schedule, epoch * self.steps_per_epoch + b,
                                    total)
            x, y = data.train_batch(order[b * batch:(b + 1) * batch], self.data_gen)
            x, y = rank_share(x, self.rank, self.world), rank_share(y, self.rank, self.world)
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
        acc = model_accuracy(self.model, data.test_batches())
        self.memory["accs"].append(acc)
        self.memory["final_loss"] = loss_mean
        return {"test_acc": acc, "loss": loss_mean}

    def run(self, log_fn: Callable[..., Any] | None = None) -> MixTrainer:
        """Train to the end outside a run (no checkpoints); ``log_fn(epoch, **metrics)`` is
        called after every epoch (numbered from 1)."""
        while not self.stepper.stopped:
            epoch = self.stepper.epoch
            logged = self.stepper.step()
            if log_fn is not None:
                log_fn(epoch + 1, **logged)
        return self

    def metrics(self) -> dict[str, float]:
        """Final and best test accuracy, the best epoch and the last epoch's mean loss."""
        accs = self.memory["accs"]
        if not accs:
            raise RuntimeError("no epoch trained yet")
        best = max(range(len(accs)), key=lambda i: accs[i])
        return {"test_acc": accs[-1], "best_test_acc": accs[best], "best_epoch": float(best + 1),
                "final_loss": self.memory["final_loss"]}

    @property
    def step_seconds(self) -> float:
        """Mean wall-clock seconds of one training step (mixing, forward, backward, update)."""
        return self.memory["step_time"] / max(self.memory["steps"], 1)


def paired_trainer(method: str, data, *, seed: int, epochs: int, batch_size: int, lr: float,
                   arch: Literal["small", "resnet18"] = "small",
                   widths: tuple[int, ...] = (8, 16, 32), weight_decay: float = 5e-4,
                   schedule: Literal["cosine", "step"] = "cosine", prob: float = 0.5,
                   mixup_alpha: float = 1.0, cutmix_beta: float = 3.0, snapmix_beta: float = 5.0,
                   eval_cam: bool = False, init_state: dict[str, torch.Tensor] | None = None,
                   device: torch.device | str = "cpu", autocast_dtype: torch.dtype | None = None,
                   fabric: Any = None) -> MixTrainer:
    """A :class:`MixTrainer` for ``method`` paired by ``seed`` with every other method.

    The model is :func:`build_classifier` initialised as after ``torch.manual_seed(seed)``
    (inside :func:`torch.random.fork_rng`, so the caller's random state is left alone), then
    ``init_state``'s backbone if given (:func:`load_backbone`); data and mixing generators come
    from :func:`seeded_generators`, the transform from :func:`make_mixer`.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_classifier(arch, data.num_classes, data.train_x.shape[1], widths)
    if init_state is not None:
        load_backbone(model, init_state)
    data_gen, mix_gen = seeded_generators(seed)
    mixer = make_mixer(method, data.num_classes, mix_gen, prob=prob, mixup_alpha=mixup_alpha,
                       cutmix_beta=cutmix_beta, snapmix_beta=snapmix_beta, eval_cam=eval_cam)
    return MixTrainer(model, mixer, data, epochs=epochs, batch_size=batch_size, lr=lr,
                      weight_decay=weight_decay, schedule=schedule, data_generator=data_gen,
                      mix_generator=mix_gen, device=device, autocast_dtype=autocast_dtype,
                      fabric=fabric)
