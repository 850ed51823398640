"""A full-batch continual trainer for node classification: tasks in sequence, plug-ins, R matrix.

For each task ``k`` of a :class:`~tenfold.continual.stream.TaskStream` the trainer runs
``epochs`` full-batch steps of ``L_k + Σ_plugins penalty`` (``joint=True``: the sum of the losses of
tasks ``0..k``, the usual upper bound), then calls every plug-in's ``consolidate`` with task
``k``'s training batch, then evaluates every task seen so far on its test nodes, filling row ``k``
of the accuracy matrix ``R`` (task-IL: prediction among the task's own classes; class-IL: among all
classes seen so far). One optimiser is used across tasks, as in the official TWP code.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from tenfold.continual.metrics import continual_metrics
from tenfold.continual.plugins import ContinualPlugin
from tenfold.continual.stream import TaskStream

log = logging.getLogger(__name__)


@dataclass
class ContinualResult:
    """``matrix[i, j]`` = test accuracy on task ``j`` after training task ``i`` (NaN for ``j > i``);
    ``val_matrix`` the same on validation nodes."""

    matrix: Tensor
    val_matrix: Tensor
    losses: list[list[float]] = field(default_factory=list)

    @property
    def metrics(self) -> dict[str, float]:
        """AP, AF, BWT and maximum forgetting of :attr:`matrix`."""
        return continual_metrics(self.matrix)

    def to_dict(self) -> dict:
        return {"matrix": self.matrix.tolist(), "val_matrix": self.val_matrix.tolist(),
                **self.metrics}


class ContinualTrainer:
    """Train ``model`` on a stream of tasks with continual-learning plug-ins.

    Args:
        model: a GNN called as ``model(x, edge_index)`` returning
            ``[num_nodes, stream.num_outputs]``.
        optimizer: a function of the parameters returning a ``torch.optim.Optimizer``.
        epochs: full-batch steps per task.
        plugins: :class:`ContinualPlugin` objects (none = fine-tuning).
        joint: train on all tasks seen so far (joint training upper bound).
        device: where to train (default: the model's device).
        on_step: optional ``on_step(task, epoch, loss)`` callback (logging).
        progress: optional wrapper of the epoch iterable (a progress bar).
    """

    def __init__(self, model: nn.Module, optimizer: Callable[[Iterable[Tensor]],
                                                             torch.optim.Optimizer],
                 epochs: int = 200, plugins: Sequence[ContinualPlugin] = (), joint: bool = False,
                 device: torch.device | str | None = None,
                 on_step: Callable[[int, int, float], None] | None = None,
                 progress: Callable[[Iterable[int], str], Iterable[int]] | None = None):
        if epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {epochs}")
        if joint and plugins:
            raise ValueError("joint training is the upper bound without plug-ins; pass one or "
                             "the other")
        self.device = torch.device(device) if device is not None else next(
            model.parameters()).device
        self.model = model.to(self.device)
        self.optimizer = optimizer(self.model.parameters())
        self.epochs, self.plugins, self.joint = epochs, list(plugins), joint
        self.on_step, self.progress = on_step, progress

    def train_task(self, stream: TaskStream, k: int) -> list[float]:
        """Train on task ``k`` (then consolidate the plug-ins); returns the loss per epoch."""
        batch = stream.batch(k, "train").to(self.device)
        joint = [b.to(self.device) for b in stream.joint_batches(k)] if self.joint else None
        graph = joint[0] if joint is not None else batch    # joint batches share one graph
        epochs: Iterable[int] = range(self.epochs)
        if self.progress is not None:
            epochs = self.progress(epochs, f"task {k}")
        losses = []
        self.model.train()
        for epoch in epochs:
            self.optimizer.zero_grad(set_to_none=True)
            out = self.model(graph.x, graph.edge_index)
            if joint is not None:
                loss = sum(b.loss(out) for b in joint)
            else:
                loss = batch.loss(out)
            total = loss
            for plugin in self.plugins:
                term = plugin.penalty(self.model, out, loss, batch, k)
                if term is not None:
                    total = total + term
            value = float(total.detach())
            if not math.isfinite(value):
                raise FloatingPointError(f"loss became {value} at task {k}, epoch {epoch}; "
                                         "lower the learning rate or the penalties")
            total.backward()
            self.optimizer.step()
            losses.append(value)
            if self.on_step is not None:
                self.on_step(k, epoch, value)
        for plugin in self.plugins:
            plugin.consolidate(self.model, batch, k)
        return losses

    @torch.no_grad()
    def evaluate(self, stream: TaskStream, k: int, parts: Sequence[str] = ("test",)
                 ) -> dict[str, list[float]]:
        """Accuracy on tasks ``0..k`` after training task ``k``, for each of ``parts``; one
        forward pass per distinct graph (the whole graph once, or each task's subgraph)."""
        was_training = self.model.training
        self.model.eval()
        accuracies: dict[str, list[float]] = {part: [] for part in parts}
        graph, out = None, None
        for j in range(k + 1):
            for part in parts:
                batch = stream.batch(j, part, seen=k)
                if graph is None or graph[0] is not batch.x or graph[1] is not batch.edge_index:
                    graph = (batch.x, batch.edge_index)
                    out = self.model(batch.x.to(self.device), batch.edge_index.to(self.device))
                accuracies[part].append(batch.to(self.device).accuracy(out))
        self.model.train(was_training)
        return accuracies

    def fit(self, stream: TaskStream) -> ContinualResult:
        """Train on every task of ``stream`` in order; returns the accuracy matrices."""
        n = len(stream)
        matrix = torch.full((n, n), float("nan"), dtype=torch.float64)
        val = matrix.clone()
        losses = []
        for k in range(n):
            losses.append(self.train_task(stream, k))
            accuracies = self.evaluate(stream, k, ("test", "val"))
            matrix[k, :k + 1] = torch.tensor(accuracies["test"], dtype=torch.float64)
            val[k, :k + 1] = torch.tensor(accuracies["val"], dtype=torch.float64)
            log.info("task %d: test accuracies %s", k, matrix[k, :k + 1].tolist())
        return ContinualResult(matrix, val, losses)
