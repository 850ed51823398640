"""The plug-in protocol of the continual trainer and the classic baselines (EWC, MAS, LwF).

A plug-in sees every training step (``penalty``) and the end of every task (``consolidate``),
in the spirit of Avalanche's strategy plug-ins. Fine-tuning is the trainer with no plug-in; joint
training is ``ContinualTrainer(..., joint=True)``.

* EWC (Kirkpatrick et al. 2017) as in the official TWP/CGLB baselines: the importance of a weight
  is the squared gradient of the task's mean training loss at the end of the task,
  :math:`I[m] = (\\partial L_k / \\partial \\theta_m)^2`, and the penalty is
  :math:`\\lambda \\sum_n \\sum_m I_n[m] (\\theta_m - \\theta^*_n[m])^2`.
* MAS (Aljundi et al. 2018): :math:`I[m] = |\\partial \\, \\overline{\\lVert f(x_i) \\rVert_2^2}
  / \\partial \\theta_m|`, the sensitivity of the squared L2 norm of the task's outputs (its
  columns, averaged over its training nodes); importances of all past tasks are accumulated.
* LwF (Li & Hoiem 2016): a frozen copy of the model after each task; while learning a new task
  the outputs of the previous tasks' columns on the current training nodes are distilled with
  temperature ``T``:
  :math:`\\lambda \\, T^2 \\, \\mathrm{KL}(\\sigma(z^{old}/T) \\Vert \\sigma(z/T))`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tenfold.continual.penalty import QuadraticPenalty
from tenfold.continual.stream import TaskBatch


def trainable_parameters(model: nn.Module) -> dict[str, Tensor]:
    """``{name: parameter}`` of every parameter that requires a gradient."""
    return {n: p for n, p in model.named_parameters() if p.requires_grad}


def parameter_gradients(value: Tensor, params: Mapping[str, Tensor], create_graph: bool = False,
                        retain_graph: bool | None = None) -> dict[str, Tensor]:
    """``∂ value / ∂ p`` for every parameter (zeros where ``value`` does not depend on ``p``)."""
    names = list(params)
    grads = torch.autograd.grad(value, [params[n] for n in names], create_graph=create_graph,
                                retain_graph=retain_graph, allow_unused=True)
    return {n: torch.zeros_like(params[n]) if g is None else g
            for n, g in zip(names, grads, strict=True)}


class ContinualPlugin:
    """Base class: hooks called by :class:`~tenfold.continual.trainer.ContinualTrainer`.

    ``penalty(model, out, loss, batch, task)`` returns a term added to the training loss of every
    step (``out`` is the full model output, ``loss`` the task's cross-entropy) — a zero tensor on
    ``loss``'s device while there is nothing to preserve yet, so ``loss + plugin.penalty(...)``
    works in a user's own loop from the first task on; ``consolidate`` runs once after training
    on ``task`` with that task's training batch.
    """

    def penalty(self, model: nn.Module, out: Tensor, loss: Tensor, batch: TaskBatch,
                task: int) -> Tensor:
        return loss.new_zeros(())

    def consolidate(self, model: nn.Module, batch: TaskBatch, task: int) -> None:
        return None

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: Mapping) -> None:
        return None


class _WeightPreserving(ContinualPlugin):
    """Shared machinery: importances -> :class:`QuadraticPenalty`, computed in eval mode."""

    def __init__(self, lambda_: float = 1e4, merge: bool = True):
        if lambda_ < 0:
            raise ValueError(f"lambda must be >= 0, got {lambda_}")
        self.lambda_ = float(lambda_)
        self.quadratic = QuadraticPenalty(merge=merge)
        self.history: list[dict[str, Tensor]] = []   # importances per task, for inspection

    def importance(self, model: nn.Module, batch: TaskBatch) -> dict[str, Tensor]:
        raise NotImplementedError

    def consolidate(self, model: nn.Module, batch: TaskBatch, task: int) -> None:
        was_training = model.training
        model.eval()
        try:
            importance = self.importance(model, batch)
        finally:
            model.train(was_training)
        self.history.append({k: v.detach() for k, v in importance.items()})
        params = trainable_parameters(model)
        self.quadratic.add(importance, {n: p.detach() for n, p in params.items()})

    def penalty(self, model, out, loss, batch, task):
        if self.quadratic.num_tasks == 0:
            return loss.new_zeros(())
        return self.quadratic(trainable_parameters(model))

    def state_dict(self) -> dict:
        return {"quadratic": self.quadratic.state_dict(), "history": self.history}

    def load_state_dict(self, state: Mapping) -> None:
        self.quadratic.load_state_dict(state["quadratic"])
        self.history = list(state["history"])


class EWC(_WeightPreserving):
    """Elastic weight consolidation with the squared full-batch gradient as importance.

    Args:
        lambda_: penalty strength (the official TWP baselines use 1e4).
        merge: merge the per-task penalties into O(|θ|) tensors.
    """

    def importance(self, model, batch):
        params = trainable_parameters(model)
        out = model(batch.x, batch.edge_index)
        grads = parameter_gradients(batch.loss(out), params)
        return {n: self.lambda_ * g.detach() ** 2 for n, g in grads.items()}


class MAS(_WeightPreserving):
    """Memory-aware synapses: importance = |∂ mean ‖f(x)‖² / ∂θ| on the task's outputs.

    Args:
        lambda_: penalty strength (the official TWP baselines use 1e4).
        merge: merge the per-task penalties into O(|θ|) tensors.
    """

    def importance(self, model, batch):
        params = trainable_parameters(model)
        out = batch.logits(model(batch.x, batch.edge_index))
        grads = parameter_gradients(out.pow(2).sum(dim=-1).mean(), params)
        return {n: self.lambda_ * g.detach().abs() for n, g in grads.items()}


class LwF(ContinualPlugin):
    """Learning without forgetting: distil the previous model's old-task outputs.

    Args:
        lambda_: weight of the distillation term.
        temperature: softmax temperature ``T`` (the loss is scaled by ``T²``).
    """

    def __init__(self, lambda_: float = 1.0, temperature: float = 2.0):
        if lambda_ < 0 or temperature <= 0:
            raise ValueError(f"need lambda_ >= 0 and temperature > 0, got {lambda_}, "
                             f"{temperature}")
        self.lambda_ = float(lambda_)
        self.temperature = float(temperature)
        self.old_model: nn.Module | None = None
        self.old_columns: list[Tensor] = []
        self._targets: tuple[int, Tensor, list[Tensor]] | None = None

    def consolidate(self, model, batch, task):
        self.old_model = copy.deepcopy(model).eval()
        for p in self.old_model.parameters():
            p.requires_grad_(False)
        new = batch.columns.clone()
        # class-IL columns grow (0..k): keep only the widest set; task-IL slices are disjoint
        self.old_columns = [c for c in self.old_columns
                            if not set(c.tolist()) <= set(new.tolist())] + [new]
        self._targets = None

    def penalty(self, model, out, loss, batch, task):
        if self.old_model is None or self.lambda_ == 0:
            return loss.new_zeros(())
        t = self.temperature
        if self._targets is None or self._targets[0] != task:
            with torch.no_grad():   # the old model is frozen: its soft targets are constant
                old = self.old_model(batch.x, batch.edge_index)[batch.nodes]
                soft = [F.softmax(old[:, cols] / t, dim=-1) for cols in self.old_columns]
            self._targets = (task, batch.nodes, soft)
        _, nodes, soft = self._targets
        new = out[nodes]
        total = out.new_zeros(())
        for cols, target in zip(self.old_columns, soft, strict=True):
            log_p = F.log_softmax(new[:, cols] / t, dim=-1)
            total = total + F.kl_div(log_p, target, reduction="batchmean")
        return self.lambda_ * t * t * total
