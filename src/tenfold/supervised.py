"""Supervised mini-batch training as a resumable stepper (one epoch per step).

:class:`EpochTrainer` minimises ``loss(model, batch)`` over the batches of each epoch with one
optimiser (and an optional scheduler stepped once per epoch). It is a
:class:`~tenfold.runtime.stepper.Stepper`: ``step()`` trains one epoch and returns its mean loss
plus whatever ``evaluate(epoch)`` returns, and ``state_dict()`` holds the model, optimiser,
scheduler, the random generators that order and augment the batches, and ``memory`` (curves kept
by ``evaluate``), so ``RunContext.fit`` can checkpoint and resume it exactly.

:func:`classifier_trainer` is the common case: cross-entropy on image tensors ``(x, y)``,
reshuffled each epoch by a ``torch.Generator``::

    trainer = classifier_trainer(model, opt, x, y, epochs=5, batch_size=128, generator=gen)
    ctx.fit("classifier", trainer)          # or trainer.run() outside a run
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tenfold.runtime.stepper import LoopStepper

__all__ = ["EpochTrainer", "classifier_trainer"]


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
