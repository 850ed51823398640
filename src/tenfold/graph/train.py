"""Full-batch node classification training with early stopping, as a resumable stepper.

``NodeClassifierTrainer`` runs one epoch per :meth:`~NodeClassifierTrainer.step`: a training step
on the labelled nodes, then an evaluation of loss and accuracy on the train/val/test masks. The
model is selected on validation (accuracy, ties broken by lower loss; or loss alone), never on
test; ``result()`` reports the test accuracy of the selected epoch. Its ``state_dict`` holds the
model, optimiser and selection state, so a run can be checkpointed and resumed exactly. Graph
recipes are full-batch on one device.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data

from tenfold.metrics import accuracy

Forward = Callable[[nn.Module, Data], Tensor]


def default_forward(model: nn.Module, data: Data) -> Tensor:
    """``model(x, edge_index)`` -> logits ``[N, C]``."""
    return model(data.x, data.edge_index)


class NodeClassifierTrainer:
    """Train ``model`` on ``data.train_mask`` with cross-entropy; select on validation.

    Args:
        model: returns logits ``[N, C]`` through ``forward(model, data)``.
        data: a PyG ``Data`` with ``x``, ``edge_index``, ``y`` and the three boolean masks.
        optimizer: any torch optimiser over ``model``'s parameters.
        max_epochs: epoch budget.
        patience: stop after this many epochs without a better validation score (0 = never).
        monitor: ``"val_acc"`` (ties broken by lower validation loss) or ``"val_loss"``.
        forward: how to call the model (default ``model(data.x, data.edge_index)``).
        backward: how to back-propagate (default ``loss.backward()``; pass
            ``fabric.backward`` under Lightning Fabric).
        keep_best_state: keep a copy of the selected epoch's weights (``best_state``).
    """

    def __init__(self, model: nn.Module, data: Data, optimizer: torch.optim.Optimizer,
                 max_epochs: int = 200, patience: int = 100,
                 monitor: Literal["val_acc", "val_loss"] = "val_acc",
                 forward: Forward = default_forward,
                 backward: Callable[[Tensor], Any] | None = None,
                 keep_best_state: bool = False):
        for key in ("x", "edge_index", "y", "train_mask", "val_mask", "test_mask"):
            if getattr(data, key, None) is None:
                raise ValueError(f"node classification needs data.{key}; got none")
        if monitor not in ("val_acc", "val_loss"):
            raise ValueError(f"monitor must be 'val_acc' or 'val_loss', got {monitor!r}")
        self.model, self.data, self.optimizer = model, data, optimizer
        self.max_epochs, self.patience, self.monitor = max_epochs, patience, monitor
        self.forward = forward
        self.backward = backward or (lambda loss: loss.backward())
        self.keep_best_state = keep_best_state
        self.epoch = 0
        self.stale = 0
        self.best: dict[str, float] | None = None
        self.best_state: dict[str, Tensor] | None = None

    @property
    def stopped(self) -> bool:
        """True once the budget is spent or early stopping triggered."""
        return self.epoch >= self.max_epochs or (0 < self.patience <= self.stale)

    def step(self) -> dict[str, float]:
        """One training epoch and one evaluation; returns this epoch's metrics."""
        self.model.train()
        self.optimizer.zero_grad()
        out = self.forward(self.model, self.data)
        loss = F.cross_entropy(out[self.data.train_mask], self.data.y[self.data.train_mask])
        self.backward(loss)
        self.optimizer.step()
        metrics = {"loss": float(loss.detach()), **self.evaluate()}
        metrics["epoch"] = self.epoch
        if self._improves(metrics):
            self.best = dict(metrics)
            self.stale = 0
            if self.keep_best_state:
                self.best_state = copy.deepcopy(self.model.state_dict())
        else:
            self.stale += 1
        self.epoch += 1
        return metrics

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Loss and accuracy on the train, val and test masks (eval mode)."""
        self.model.eval()
        out = self.forward(self.model, self.data)
        metrics = {}
        for split in ("train", "val", "test"):
            mask = self.data[f"{split}_mask"]
            metrics[f"{split}_loss"] = float(F.cross_entropy(out[mask], self.data.y[mask]))
            metrics[f"{split}_acc"] = accuracy(out[mask], self.data.y[mask])
        return metrics

    def _improves(self, m: dict[str, float]) -> bool:
        if self.best is None:
            return True
        if self.monitor == "val_loss":
            return m["val_loss"] < self.best["val_loss"]
        return (m["val_acc"], -m["val_loss"]) > (self.best["val_acc"], -self.best["val_loss"])

    def result(self) -> dict[str, float]:
        """Metrics of the selected epoch (``test_acc`` is the number to report)."""
        if self.best is None:
            raise RuntimeError("no epoch has run yet")
        keys = ("train_acc", "val_acc", "val_loss", "test_acc", "epoch")
        out = {k: self.best[k] for k in keys}
        out["best_epoch"] = out.pop("epoch")
        out["epochs_run"] = self.epoch
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "epoch": self.epoch, "stale": self.stale, "best": self.best,
                "best_state": self.best_state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.epoch, self.stale = state["epoch"], state["stale"]
        self.best, self.best_state = state["best"], state["best_state"]
