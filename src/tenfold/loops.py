"""Resumable training loops: the :class:`Stepper` protocol, :class:`LoopStepper` and the
supervised :class:`EpochTrainer`.

A stepper advances a training loop by one step (an epoch, an iteration, a task) per
:meth:`~Stepper.step` call and can save and restore everything that step changes, so that the
runtime (``RunContext.fit``) can checkpoint it every few steps and a killed run continues inside
the method with the same numbers as an uninterrupted one. Pure PyTorch: no files, no globals.

:class:`LoopStepper` builds a stepper from a step function and the objects it changes (modules,
optimisers, schedulers, ``torch.Generator`` s, and a dict of plain values such as accuracy
curves), so that a recipe writes its loop body once::

    memory = {"accs": []}

    def one_epoch(epoch: int) -> dict[str, float]:
        ...                           # train one epoch with model, opt and data_gen
        memory["accs"].append(acc)
        return {"test_acc": acc}

    stepper = LoopStepper(one_epoch, epochs, {"model": model, "opt": opt, "data": data_gen},
                          memory)
    ctx.fit("method", stepper, checkpoint_every=1)      # or stepper.run() outside a run

:class:`EpochTrainer` minimises ``loss(model, batch)`` over the batches of each epoch with one
optimiser (and an optional scheduler stepped once per epoch); :func:`classifier_trainer` is the
common case: cross-entropy on image tensors ``(x, y)``, reshuffled each epoch by a
``torch.Generator``::

    trainer = classifier_trainer(model, opt, x, y, epochs=5, batch_size=128, generator=gen)
    ctx.fit("classifier", trainer)
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["EpochTrainer", "LoopStepper", "Stepper", "classifier_trainer", "rank_share",
           "shuffled_batches"]


class Stepper(Protocol):
    """A resumable training loop: ``step()`` advances ``epoch`` by one until ``stopped``."""

    epoch: int
    max_epochs: int

    @property
    def stopped(self) -> bool: ...

    def step(self) -> dict[str, float]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


def _state_of(obj: Any) -> Any:
    if isinstance(obj, torch.Generator):
        return obj.get_state()
    return obj.state_dict()


def _load_into(obj: Any, state: Any) -> None:
    if isinstance(obj, torch.Generator):
        obj.set_state(state.cpu() if isinstance(state, torch.Tensor) else state)
    else:
        obj.load_state_dict(state)


class LoopStepper:
    """A :class:`Stepper` from ``step_fn(step) -> metrics`` and the state it changes.

    Args:
        step_fn: runs step ``step`` (0-based) and returns its metrics (logged by ``ctx.fit``).
        max_epochs: number of steps.
        stateful: name -> object whose state the steps change: anything with
            ``state_dict``/``load_state_dict`` (modules, optimisers, schedulers, plug-ins) or a
            ``torch.Generator``. Saved and restored by reference (the objects stay the same).
        memory: a dict of plain values (lists, numbers, tensors) the step function updates in
            place; deep-copied into the state and restored in place.
        stop: optional early-stopping test, called before each step.
    """

    def __init__(self, step_fn: Callable[[int], Mapping[str, float] | None], max_epochs: int,
                 stateful: Mapping[str, Any] | None = None,
                 memory: dict[str, Any] | None = None,
                 stop: Callable[[], bool] | None = None):
        if max_epochs < 0:
            raise ValueError(f"max_epochs must be >= 0, got {max_epochs}")
        for name, obj in (stateful or {}).items():
            if not isinstance(obj, torch.Generator) and not (
                    hasattr(obj, "state_dict") and hasattr(obj, "load_state_dict")):
                raise TypeError(f"stateful[{name!r}]: expected a torch.Generator or an object "
                                f"with state_dict/load_state_dict, got {type(obj).__name__}")
        self.step_fn, self.max_epochs = step_fn, max_epochs
        self.stateful = dict(stateful or {})
        self.memory = memory if memory is not None else {}
        self.stop = stop
        self.epoch = 0

    @property
    def stopped(self) -> bool:
        return self.epoch >= self.max_epochs or (self.stop is not None and self.stop())

    def step(self) -> dict[str, float]:
        metrics = self.step_fn(self.epoch)
        self.epoch += 1
        return dict(metrics or {})

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "memory": copy.deepcopy(self.memory),
                "objects": {name: _state_of(obj) for name, obj in self.stateful.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        missing = set(self.stateful) - set(state["objects"])
        if missing:
            raise ValueError(f"checkpoint lacks the state of {sorted(missing)}")
        for name, obj in self.stateful.items():
            _load_into(obj, state["objects"][name])
        self.memory.clear()
        self.memory.update(copy.deepcopy(state["memory"]))
        self.epoch = int(state["epoch"])

    def run(self) -> LoopStepper:
        """Step to the end without a runtime (no checkpoints; for library-style use)."""
        while not self.stopped:
            self.step()
        return self


class EpochTrainer(LoopStepper):
    """One epoch of ``loss(model, batch)`` minimisation per :meth:`step`.

    Args:
        model: the module being trained (put in train mode at every epoch).
        optimizer: over ``model``'s parameters (a Fabric-wrapped one works too).
        batches: ``batches(epoch)`` returns the epoch's iterable of batches; its randomness must
            come from generators listed in ``generators`` so that a resumed epoch sees the same.
        loss: ``loss(model, batch) -> scalar tensor``.
        epochs: number of epochs.
        backward: how to back-propagate (default ``loss.backward()``; pass
            ``fabric.backward`` under Lightning Fabric).
        scheduler: optional learning-rate scheduler, stepped after every epoch.
        evaluate: optional ``evaluate(epoch) -> metrics`` after every epoch (may update
            ``memory``, e.g. to keep the best weights).
        generators: name -> ``torch.Generator`` used by ``batches`` (saved with the state).
        memory: plain values ``evaluate`` keeps between epochs (saved with the state).
        stop: optional early-stopping test.
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer,
                 batches: Callable[[int], Iterable[Any]],
                 loss: Callable[[nn.Module, Any], Tensor], epochs: int, *,
                 backward: Callable[[Tensor], Any] | None = None,
                 scheduler: Any | None = None,
                 evaluate: Callable[[int], Mapping[str, float]] | None = None,
                 generators: Mapping[str, torch.Generator] | None = None,
                 memory: dict[str, Any] | None = None,
                 stop: Callable[[], bool] | None = None):
        if epochs < 0:
            raise ValueError(f"epochs must be >= 0, got {epochs}")
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.batches, self.loss, self.evaluate = batches, loss, evaluate
        self.backward = backward or (lambda value: value.backward())
        stateful: dict[str, Any] = {"model": model, "optimizer": optimizer}
        if scheduler is not None:
            stateful["scheduler"] = scheduler
        for name, gen in (generators or {}).items():
            stateful[f"generator:{name}"] = gen
        super().__init__(self._epoch, epochs, stateful, memory, stop)

    def _epoch(self, epoch: int) -> dict[str, float]:
        self.model.train()
        total, count = 0.0, 0
        for batch in self.batches(epoch):
            value = self.loss(self.model, batch)
            self.optimizer.zero_grad(set_to_none=True)
            self.backward(value)
            self.optimizer.step()
            total += float(value.detach())
            count += 1
        if self.scheduler is not None:
            self.scheduler.step()
        metrics = {"loss": total / max(count, 1)}
        if self.evaluate is not None:
            metrics.update(self.evaluate(epoch))
        return metrics


def rank_share(x: torch.Tensor, rank: int = 0, world: int = 1) -> torch.Tensor:
    """Rank ``rank``'s share of a global batch ``x`` split into ``world`` near-equal parts
    (``torch.tensor_split`` along the first dimension); ``x`` itself when ``world == 1``.

    Data-parallel training draws the same global batch on every rank and trains each rank on its
    share, so N processes see the items one process with an N times larger batch sees.
    """
    if not 0 <= rank < world:
        raise ValueError(f"expected 0 <= rank < world, got rank {rank} and world {world}")
    return x if world == 1 else x.tensor_split(world)[rank]


def shuffled_batches(n: int, batch_size: int, generator: torch.Generator
                     ) -> Callable[[int], Iterable[Tensor]]:
    """``batches(epoch)``: index batches of a fresh permutation of ``range(n)`` each epoch (the
    last, short batch kept)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")

    def batches(_epoch: int) -> Iterable[Tensor]:
        perm = torch.randperm(n, generator=generator)
        return (perm[i:i + batch_size] for i in range(0, n, batch_size))
    return batches


def classifier_trainer(model: nn.Module, optimizer: torch.optim.Optimizer, x: Tensor, y: Tensor,
                       epochs: int, batch_size: int, generator: torch.Generator,
                       device: torch.device | str = "cpu",
                       backward: Callable[[Tensor], Any] | None = None,
                       evaluate: Callable[[int], Mapping[str, float]] | None = None
                       ) -> EpochTrainer:
    """Cross-entropy on ``(x, y)``: each epoch a fresh permutation from ``generator``, batches
    of ``batch_size`` moved to ``device``."""
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y need the same number of samples, got {x.shape[0]} and "
                         f"{y.shape[0]}")

    def loss(net: nn.Module, idx: Tensor) -> Tensor:
        return F.cross_entropy(net(x[idx].to(device)), y[idx].to(device))

    return EpochTrainer(model, optimizer, shuffled_batches(len(x), batch_size, generator), loss,
                        epochs, backward=backward, evaluate=evaluate,
                        generators={"batches": generator})
