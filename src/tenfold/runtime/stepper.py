"""Resumable training loops: the :class:`Stepper` protocol and :class:`LoopStepper`.

A stepper advances a training loop by one step (an epoch, an iteration, a task) per
:meth:`~Stepper.step` call and can save and restore everything that step changes, so that the
runtime (``RunContext.fit``) can checkpoint it every few steps and a killed run continues inside
the method with the same numbers as an uninterrupted one.

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
    ctx.fit("method", stepper, checkpoint_every=1)
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import torch


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
