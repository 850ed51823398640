"""NetGraft: progressive network grafting for few-shot, label-free distillation.

Paper: Shen, Wang, Song et al., "Progressive Network Grafting for Few-Shot Knowledge
Distillation", AAAI 2021, arXiv 2012.04915.

Teacher ``T = t_L ∘ … ∘ t_1`` (frozen) and student ``S = s_L ∘ … ∘ s_1`` are cut at matching
points (:class:`~tenfold.distill.BlockPartition`). Blocks before the first grafted position ``f``
are shared: the student uses frozen copies of the teacher's blocks. At every junction ``l``
between grafted blocks, adapters ``A^{s→t}_l`` and ``A^{t→s}_l`` translate widths, and the
wrapped student block is ``w_l = A^{s→t}_l ∘ s_l ∘ A^{t→s}_{l-1}`` (no ``A^{t→s}`` at the first
grafted block, no ``A^{s→t}`` at the head).

* **Stage 1, block grafting.** For each grafted ``l`` in order, train ``w_l`` inside the teacher,
  ``H_l = t_L ∘ … ∘ t_{l+1} ∘ w_l ∘ t_{l-1} ∘ … ∘ t_1``, with every teacher weight frozen while
  the gradient flows back through ``t_{l+1..L}``. The block and its adapters have separate Adam
  optimisers (the paper's adapter learning rate is 10× the block's).
* **Stage 2, net grafting.** For ``k = 2 … n`` (``n`` grafted blocks), train the chain of the
  first ``k`` wrapped blocks together,
  ``G_k = t_L ∘ … ∘ t_{f+k} ∘ w_{f+k-1} ∘ … ∘ w_f ∘ t_{f-1} ∘ … ∘ t_1``, with a fresh Adam
  optimiser; ``G_n`` contains no teacher block after the shared prefix.

Each stage's rates are constant (the paper) or, optionally, annealed over the stage by a cosine
(:mod:`tenfold.distill.schedules`).

The loss is :func:`~tenfold.distill.normalized_mse` between the hybrid's and the teacher's
logits. Labels are never read. :meth:`NetGraft.export` returns the plain student, with each
adapter pair ``A^{t→s}_l ∘ A^{s→t}_l`` merged exactly into one layer.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from tenfold.distill._batches import image_batches
from tenfold.distill.adapters import adapter_for_shape, merge_affine
from tenfold.distill.losses import get_loss
from tenfold.distill.partition import BlockPartition
from tenfold.distill.schedules import check_schedule, make_schedulers

log = logging.getLogger(__name__)


class FrozenBlock(nn.Module):
    """A block that is never trained: its parameters do not require gradients and it stays in
    eval mode (BatchNorm keeps its running statistics) whatever ``train()`` is called with."""

    def __init__(self, block: nn.Module):
        super().__init__()
        self.block = block
        self.block.requires_grad_(False)
        self.block.eval()

    def train(self, mode: bool = True) -> FrozenBlock:
        super().train(mode)
        self.block.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x)


class Hybrid(nn.Module):
    """The teacher with blocks ``start .. stop-1`` replaced by ``replacement``.

    Only ``replacement`` is registered as a submodule (``hybrid.parameters()`` are the trainable
    ones); the teacher's blocks are called but never trained and stay in eval mode.
    """

    def __init__(self, teacher: BlockPartition, start: int, stop: int, replacement: nn.Module):
        super().__init__()
        self._teacher = [teacher]  # a list hides the teacher from parameters() and train()
        self.start, self.stop = start, stop
        self.replacement = replacement

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        teacher = self._teacher[0]
        x = teacher(x, 0, self.start)
        x = self.replacement(x)
        return teacher(x, self.stop, None)


def _as_partition(model: BlockPartition | Sequence[nn.Module], name: str) -> BlockPartition:
    if isinstance(model, BlockPartition):
        return model
    if isinstance(model, Sequence | nn.Sequential | nn.ModuleList):
        return BlockPartition(list(model))
    raise TypeError(f"{name} must be a BlockPartition or a list of blocks, "
                    f"got {type(model).__name__}")


def _per_block(value: int | float | Sequence, count: int, name: str) -> list:
    if isinstance(value, int | float):
        return [value] * count
    value = list(value)
    if len(value) != count:
        raise ValueError(f"{name} needs {count} values (one per stage), got {len(value)}")
    return value


class NetGraft:
    """Progressive network grafting (arXiv 2012.04915).

    Args:
        teacher: the trained teacher, as a :class:`BlockPartition` (or list of blocks). It is
            put in eval mode and frozen (``requires_grad=False``) while grafting runs, never
            modified, and its ``requires_grad`` flags are restored when the last step has run
            (or by :meth:`release_teacher`).
        student: the student cut into the same number of blocks. Blocks before the first grafted
            position are ignored (the student shares frozen copies of the teacher's).
        example_input: a batch shaped like the data (``(B, C, H, W)``); used once to read the
            widths at every junction.
        graft: the grafted block indices, a contiguous range ending at the head; the default is
            every block. The official CIFAR setting grafts ``[3, 4, 5]`` of 6 blocks.
        loss: ``"normalized_mse"`` (the paper), ``"kl"`` or a callable
            ``loss(z_hybrid, z_teacher)``.
        generator: seeds the adapter initialisation, shuffling and augmentation.
        device: where training runs.

    After :meth:`fit`, :meth:`export` gives the plain student; :attr:`history` holds each
    stage's losses and the ``evaluate`` results of every hybrid.
    """

    def __init__(self, teacher: BlockPartition | Sequence[nn.Module],
                 student: BlockPartition | Sequence[nn.Module], example_input: torch.Tensor,
                 graft: Sequence[int] | None = None,
                 loss: str | Callable[..., torch.Tensor] = "normalized_mse",
                 generator: torch.Generator | None = None, device: torch.device | str = "cpu"):
        self.teacher = _as_partition(teacher, "teacher")
        self.student = _as_partition(student, "student")
        n_blocks = len(self.teacher)
        if len(self.student) != n_blocks:
            raise ValueError(f"teacher has {n_blocks} blocks but student has {len(self.student)}")
        graft = list(range(n_blocks)) if graft is None else sorted(int(g) for g in graft)
        if not graft or graft != list(range(graft[0], n_blocks)):
            raise ValueError(f"graft must be a contiguous range of block indices ending at the "
                             f"head (last index {n_blocks - 1}), got {graft}")
        self.graft = graft
        self.first = graft[0]
        self.loss_fn = get_loss(loss)
        self.generator = generator
        self.device = torch.device(device)

        self._teacher_flags = [p.requires_grad for p in self.teacher.parameters()]
        self.teacher.requires_grad_(False).eval().to(self.device)
        self.student.to(self.device)
        example = example_input.to(self.device)
        self.teacher_shapes = self.teacher.junction_shapes(example)
        self.student_shapes = self._student_shapes(example)
        if self.student_shapes[-1] != self.teacher_shapes[-1]:
            raise ValueError(f"student output {self.student_shapes[-1]} differs from the teacher's "
                             f"{self.teacher_shapes[-1]}")
        self.s2t = nn.ModuleDict()
        self.t2s = nn.ModuleDict()
        for b in graft[:-1]:
            ts, ss = self.teacher_shapes[b], self.student_shapes[b]
            if ts[1:] != ss[1:]:
                raise ValueError(f"junction {b}: teacher output {ts} and student output {ss} must "
                                 f"differ only in the channel dimension")
            self.s2t[str(b)] = adapter_for_shape(ss, ss[0], ts[0], generator)
            self.t2s[str(b)] = adapter_for_shape(ts, ts[0], ss[0], generator)
        self.s2t.to(self.device)
        self.t2s.to(self.device)
        self.history: list[dict[str, Any]] = []
        self.steps_taken = 0

    @torch.no_grad()
    def _student_shapes(self, example: torch.Tensor) -> list[tuple[int, ...]]:
        x = self.teacher(example, 0, self.first)
        shapes = list(self.teacher_shapes[:self.first])
        was_training = self.student.training
        self.student.eval()
        for b in self.graft:
            x = self.student[b](x)
            shapes.append(tuple(x.shape[1:]))
        self.student.train(was_training)
        return shapes

    def freeze_teacher(self) -> None:
        """``requires_grad=False`` on every teacher parameter (done while grafting runs)."""
        self.teacher.requires_grad_(False)

    def release_teacher(self) -> None:
        """Give the teacher's parameters back their ``requires_grad`` flags from before
        :class:`NetGraft` was built (called when the last grafting step has run). The teacher
        stays in eval mode: the hybrids keep using it."""
        for p, flag in zip(self.teacher.parameters(), self._teacher_flags, strict=True):
            p.requires_grad_(flag)

    # -- building blocks -----------------------------------------------------------------------
    def wrapped(self, b: int) -> nn.Sequential:
        """``w_b = A^{s→t}_b ∘ s_b ∘ A^{t→s}_{b-1}`` (only the adapters that exist at ``b``)."""
        if b not in self.graft:
            raise ValueError(f"block {b} is not grafted (grafted: {self.graft})")
        layers = []
        if b > self.first:
            layers.append(self.t2s[str(b - 1)])
        layers.append(self.student[b])
        if b < self.graft[-1]:
            layers.append(self.s2t[str(b)])
        return nn.Sequential(*layers)

    def adapters_of(self, b: int) -> list[nn.Module]:
        """The adapters around grafted block ``b``."""
        out = []
        if b > self.first:
            out.append(self.t2s[str(b - 1)])
        if b < self.graft[-1]:
            out.append(self.s2t[str(b)])
        return out

    def block_hybrid(self, b: int) -> Hybrid:
        """Stage 1's ``H_b``: the teacher with block ``b`` replaced by ``w_b``."""
        return Hybrid(self.teacher, b, b + 1, self.wrapped(b))

    def net_hybrid(self, k: int) -> Hybrid:
        """Stage 2's ``G_k``: the teacher with its first ``k`` grafted blocks replaced by the
        chain of wrapped student blocks."""
        if not 1 <= k <= len(self.graft):
            raise ValueError(f"k must be in 1..{len(self.graft)}, got {k}")
        chain = nn.Sequential(*[self.wrapped(b) for b in self.graft[:k]])
        return Hybrid(self.teacher, self.first, self.first + k, chain)

    # -- training ------------------------------------------------------------------------------
    def stepper(self, data, block_steps: int | Sequence[int], net_steps: int | Sequence[int],
                lr_block: float | Sequence[float] = 1e-3,
                lr_adapter: float | Sequence[float] = 1e-2, lr_net: float = 1e-4,
                batch_size: int = 64, augment: Callable[..., torch.Tensor] | None = None,
                evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
                eval_every: int = 0, val_data: torch.Tensor | None = None,
                stage_evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
                lr_schedule: str = "constant",
                backward: Callable[[torch.Tensor], Any] | None = None) -> GraftSteps:
        """:meth:`fit` as a resumable stepper: one Adam step of the current stage per
        ``step()``, every stage of both phases in order (same arguments as :meth:`fit`;
        ``backward`` replaces ``loss.backward()``, e.g. by ``fabric.backward``)."""
        check_schedule(lr_schedule)
        self.freeze_teacher()
        n = len(self.graft)
        block_steps = _per_block(block_steps, n, "block_steps")
        net_steps = _per_block(net_steps, max(n - 1, 0), "net_steps")
        lr_block = _per_block(lr_block, n, "lr_block")
        lr_adapter = _per_block(lr_adapter, n, "lr_adapter")
        batches = image_batches(data, batch_size, self.generator, augment, self.device)
        if val_data is not None:
            val_data = val_data.to(self.device)
        stages = [_Stage("block", b, int(block_steps[i]), lr_block[i], lr_adapter[i])
                  for i, b in enumerate(self.graft)]
        stages += [_Stage("net", k, int(net_steps[k - 2]), lr_net, 0.0,
                          val_data if k == n else None) for k in range(2, n + 1)]
        return GraftSteps(self, stages, batches, evaluate, eval_every, stage_evaluate,
                          lr_schedule, backward)

    def fit(self, data, block_steps: int | Sequence[int], net_steps: int | Sequence[int],
            lr_block: float | Sequence[float] = 1e-3, lr_adapter: float | Sequence[float] = 1e-2,
            lr_net: float = 1e-4, batch_size: int = 64,
            augment: Callable[..., torch.Tensor] | None = None,
            evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
            eval_every: int = 0, val_data: torch.Tensor | None = None,
            stage_evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
            lr_schedule: str = "constant") -> NetGraft:
        """Run stage 1 then stage 2.

        Args:
            data: the few-shot images: a ``(N, C, H, W)`` tensor, a dataset or a ``DataLoader``.
                Labels, if the items carry them, are dropped.
            block_steps: Adam steps per grafted block in stage 1 (an int or one per block).
            net_steps: Adam steps per ``k = 2..n`` in stage 2 (an int or ``n - 1`` values).
            lr_block, lr_adapter: stage-1 learning rates (an int or one per block).
            lr_net: stage-2 learning rate (a fresh Adam per ``k``).
            batch_size: images per step (tensor or dataset input).
            augment: ``augment(x, generator) -> x`` on every batch.
            evaluate: ``evaluate(hybrid) -> {name: value}``, called every ``eval_every`` steps and
                at the end of every stage; only recorded in :attr:`history`, never used to choose.
            eval_every: 0 evaluates at the end of each stage only.
            stage_evaluate: ``stage_evaluate(hybrid) -> {name: value}`` at the end of every stage
                (before any ``val_data`` selection), stored as ``stage_<name>`` in the stage's
                last :attr:`history` record (for example the stage-1 hybrid accuracies).
            val_data: held-out *unlabelled* images; if given, the last stage-2 step keeps the
                weights with the highest argmax agreement with the teacher on them. Otherwise the
                last step is kept. The test set must never be passed here.
            lr_schedule: ``"constant"`` (the paper) or ``"cosine"``: every stage anneals its
                rates from the given values towards 0 over its own steps.
        """
        self.stepper(data, block_steps, net_steps, lr_block, lr_adapter, lr_net, batch_size,
                     augment, evaluate, eval_every, val_data, stage_evaluate, lr_schedule).run()
        return self

    def stage_results(self, name: str = "acc") -> dict[str, float]:
        """The ``stage_evaluate`` value ``name`` at the end of every finished stage, keyed
        ``block<b>`` (stage 1, block ``b``) and ``net<k>`` (stage 2, first ``k`` blocks)."""
        return {f"{'block' if r['stage'] == 'block' else 'net'}{r['index']}": r[f"stage_{name}"]
                for r in self.history if f"stage_{name}" in r}

    # -- export --------------------------------------------------------------------------------
    def export(self, merge_adapters: bool = True) -> nn.Sequential:
        """The trained student as a plain ``nn.Sequential`` of the blocks' own modules (no
        tenfold class: it unpickles with torch alone; ``state_dict`` keys are ``<block>.<key>``)
        that shares no tensor with the teacher or with this trainer: copies of the shared prefix
        blocks (``requires_grad=False``), then the grafted student blocks with, between them,
        either the merged adapter pair (``merge_adapters``) or both adapters. Returned in eval
        mode; ``train()`` reaches every block, so keep the prefix in eval mode yourself if you
        fine-tune it."""
        layers: list[nn.Module] = [copy.deepcopy(self.teacher[b]).requires_grad_(False)
                                   for b in range(self.first)]
        for b in self.graft:
            if b > self.first and not merge_adapters:
                layers.append(copy.deepcopy(self.t2s[str(b - 1)]))
            layers.append(copy.deepcopy(self.student[b]))
            if b < self.graft[-1]:
                if merge_adapters:
                    layers.append(merge_affine(self.s2t[str(b)], self.t2s[str(b)]))
                else:
                    layers.append(copy.deepcopy(self.s2t[str(b)]))
        return nn.Sequential(*layers).eval()


@torch.no_grad()
def teacher_agreement(model: nn.Module, teacher: nn.Module, images: torch.Tensor,
                      batch_size: int = 512) -> float:
    """Fraction of ``images`` where ``model`` and ``teacher`` predict the same class (needs no
    labels, so it can select models on held-out unlabelled data)."""
    agree = 0
    for start in range(0, len(images), batch_size):
        x = images[start:start + batch_size]
        agree += int((model(x).argmax(1) == teacher(x).argmax(1)).sum())
    return agree / max(len(images), 1)


class _Stage:
    """One stage: ``kind`` "block" (graft block ``index``) or "net" (the first ``index``)."""

    def __init__(self, kind: str, index: int, steps: int, lr: float, lr_adapter: float,
                 select_on: torch.Tensor | None = None):
        self.kind, self.index, self.steps = kind, index, steps
        self.lr, self.lr_adapter, self.select_on = lr, lr_adapter, select_on


class GraftSteps:
    """NetGraft's two phases as one resumable :class:`~tenfold.loops.Stepper`.

    Step ``i`` runs one Adam step of the stage it falls in; a stage's optimisers (fresh Adam, as
    in the paper) and schedulers are built at its first step. ``state_dict`` holds the student,
    the adapters, the batch source's position, the current stage's optimisers and schedulers,
    the held-out selection and :attr:`NetGraft.history`, so a resumed fit equals an
    uninterrupted one.
    """

    def __init__(self, graft: NetGraft, stages: list[_Stage], batches, evaluate, eval_every: int,
                 stage_evaluate, lr_schedule: str, backward=None):
        self.graft, self.stages, self.batches = graft, stages, batches
        self.evaluate, self.eval_every = evaluate, eval_every
        self.stage_evaluate, self.lr_schedule = stage_evaluate, lr_schedule
        self.backward = backward or (lambda value: value.backward())
        self.epoch = 0
        self.max_epochs = sum(stage.steps for stage in stages)
        self.hybrid: Hybrid | None = None
        self.optimizers: list[torch.optim.Optimizer] = []
        self.scheds: list = []
        self.best: tuple[float | None, dict | None] = (None, None)

    @property
    def stopped(self) -> bool:
        return self.epoch >= self.max_epochs

    def _locate(self, i: int) -> tuple[int, int]:
        """(stage number, 1-based step within it) of global step ``i``."""
        for number, stage in enumerate(self.stages):
            if i < stage.steps:
                return number, i + 1
            i -= stage.steps
        raise IndexError("past the last stage")

    def _begin(self, stage: _Stage) -> None:
        g = self.graft
        if stage.kind == "block":
            self.hybrid = g.block_hybrid(stage.index)
            self.optimizers = [torch.optim.Adam(g.student[stage.index].parameters(),
                                                lr=stage.lr)]
            adapter_params = [p for a in g.adapters_of(stage.index) for p in a.parameters()]
            if adapter_params:
                self.optimizers.append(torch.optim.Adam(adapter_params, lr=stage.lr_adapter))
            log.info("block grafting: block %d for %d steps", stage.index, stage.steps)
        else:
            self.hybrid = g.net_hybrid(stage.index)
            self.optimizers = [torch.optim.Adam(self.hybrid.parameters(), lr=stage.lr)]
            log.info("net grafting: first %d blocks for %d steps", stage.index, stage.steps)
        self.hybrid.train()
        self.scheds = make_schedulers(self.optimizers, stage.steps, self.lr_schedule)
        self.best = (None, None)

    def step(self) -> dict[str, float]:
        g = self.graft
        number, step = self._locate(self.epoch)
        stage = self.stages[number]
        if step == 1:
            self._begin(stage)
        hybrid = self.hybrid
        x = next(self.batches)
        with torch.no_grad():
            target = g.teacher(x)
        loss = g.loss_fn(hybrid(x), target)
        for opt in self.optimizers:
            opt.zero_grad(set_to_none=True)
        self.backward(loss)
        for opt in self.optimizers:
            opt.step()
        lr_used = self.optimizers[0].param_groups[0]["lr"]
        for sched in self.scheds:
            sched.step()
        g.steps_taken += 1
        record = {"stage": stage.kind, "index": stage.index, "step": step,
                  "total_step": g.steps_taken, "loss": float(loss.detach()), "lr": lr_used}
        last = step == stage.steps
        if (self.eval_every and step % self.eval_every == 0) or last:
            hybrid.eval()
            if self.evaluate is not None:
                record.update(self.evaluate(hybrid))
            if last and self.stage_evaluate is not None:
                record.update({f"stage_{k}": v for k, v in self.stage_evaluate(hybrid).items()})
            if stage.select_on is not None:
                score = teacher_agreement(hybrid, g.teacher, stage.select_on)
                record["val_agreement"] = score
                if self.best[0] is None or score > self.best[0]:
                    self.best = (score, copy.deepcopy(hybrid.replacement.state_dict()))
            hybrid.train()
            g.history.append(record)
        if last:
            hybrid.eval()
            if self.best[1] is not None:
                hybrid.replacement.load_state_dict(self.best[1])
                log.info("net grafting: kept the step with the best held-out agreement %.4f",
                         self.best[0])
        self.epoch += 1
        if self.stopped:
            g.release_teacher()
        return {"loss": record["loss"]}

    def state_dict(self) -> dict[str, Any]:
        g = self.graft
        return {"epoch": self.epoch, "student": g.student.state_dict(),
                "s2t": g.s2t.state_dict(), "t2s": g.t2s.state_dict(),
                "batches": self.batches.state_dict() if hasattr(self.batches, "state_dict")
                else None,
                "optimizers": [o.state_dict() for o in self.optimizers],
                "scheds": [s.state_dict() for s in self.scheds],
                "best": copy.deepcopy(self.best), "history": copy.deepcopy(g.history),
                "steps_taken": g.steps_taken}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        g = self.graft
        g.student.load_state_dict(state["student"])
        g.s2t.load_state_dict(state["s2t"])
        g.t2s.load_state_dict(state["t2s"])
        if state["batches"] is not None:
            self.batches.load_state_dict(state["batches"])
        g.history[:] = copy.deepcopy(state["history"])
        g.steps_taken = state["steps_taken"]
        self.epoch = int(state["epoch"])
        if 0 < self.epoch < self.max_epochs:
            number, step = self._locate(self.epoch)
            if step > 1:                       # inside a stage: rebuild it, then its state
                self._begin(self.stages[number])
                for opt, saved in zip(self.optimizers, state["optimizers"], strict=True):
                    opt.load_state_dict(saved)
                for sched, saved in zip(self.scheds, state["scheds"], strict=True):
                    sched.load_state_dict(saved)
                self.best = copy.deepcopy(state["best"])

    def run(self) -> GraftSteps:
        """Step to the end without a runtime."""
        while not self.stopped:
            self.step()
        return self
