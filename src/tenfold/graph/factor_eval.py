"""Training and scoring the FactorGCN comparison's graph models (arXiv 2010.05421).

* :func:`graph_trainer` — the one supervised trainer of both experiments: Adam-style optimiser
  steps on ``task_loss(model(batch), batch.y) + model.disentangle_loss()`` (the second term only
  for models that have it: FactorGCN's discriminator loss ``lambda * L_dis``), one resumable
  :class:`~tenfold.loops.EpochTrainer` step per epoch;
* :func:`micro_f1` — micro-averaged F1 of multi-label predictions ``logits > 0``:
  ``F1 = 2 TP / (2 TP + FP + FN)`` over all (graph, label) pairs;
* :func:`predict` — a model's outputs and targets over a loader;
* :func:`first_layer_factors` / :func:`disentanglement` — the first layer's per-edge factor
  weights (FactorGCN's factors or GAT's attention heads) and their GED_E / C-score against the
  true factor graphs (:func:`tenfold.graph.disentangle.ged_e`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor, nn
from torch_geometric.nn import GATConv

from tenfold.graph.disentangle import ged_e
from tenfold.graph.factor_models import graph_forward
from tenfold.graph.factorgcn import FactorGCN
from tenfold.graph.layerwise import LayerwiseGNN
from tenfold.loops import EpochTrainer

__all__ = ["disentanglement", "first_layer_factors", "graph_trainer", "micro_f1", "predict",
           "total_loss"]


def total_loss(model: nn.Module, task_loss: Tensor) -> Tensor:
    """``task_loss`` plus ``model.disentangle_loss()`` when the model has one."""
    dis = getattr(model, "disentangle_loss", None)
    return task_loss + dis() if callable(dis) else task_loss


def graph_trainer(model: nn.Module, optimizer: torch.optim.Optimizer, batches: Iterable[Any],
                  task_loss: Callable[[Tensor, Tensor], Tensor], epochs: int, *,
                  device: torch.device | str = "cpu", backward: Callable | None = None,
                  scheduler: Any = None, evaluate: Callable[[int], dict] | None = None,
                  generator: torch.Generator | None = None,
                  memory: dict[str, Any] | None = None) -> EpochTrainer:
    """An :class:`~tenfold.loops.EpochTrainer` over the PyG batches of ``batches`` (re-iterated
    every epoch; its shuffling must draw from ``generator``, saved with the state) minimising
    ``task_loss(graph_forward(model, batch), batch.y)`` plus the model's disentanglement loss.
    ``evaluate(epoch)`` and ``memory`` as in ``EpochTrainer``."""

    def loss(net: nn.Module, batch) -> Tensor:
        batch = batch.to(device)
        return total_loss(net, task_loss(graph_forward(net, batch), batch.y))

    return EpochTrainer(model, optimizer, lambda _: batches, loss, epochs, backward=backward,
                        scheduler=scheduler, evaluate=evaluate,
                        generators={"loader": generator} if generator is not None else None,
                        memory=memory)


def micro_f1(logits: Tensor, target: Tensor) -> float:
    """Micro-averaged F1 of multi-label predictions ``logits > 0`` against ``target > 0.5``."""
    if logits.shape != target.shape:
        raise ValueError(f"logits and target: expected equal shapes, got {tuple(logits.shape)} "
                         f"and {tuple(target.shape)}")
    pred = logits > 0
    truth = target > 0.5
    tp = (pred & truth).sum().item()
    fp = (pred & ~truth).sum().item()
    fn = (~pred & truth).sum().item()
    return 2 * tp / max(2 * tp + fp + fn, 1)


@torch.no_grad()
def predict(model: nn.Module, loader: Iterable[Any], device: torch.device | str = "cpu"
            ) -> tuple[Tensor, Tensor]:
    """``(outputs, targets)`` of ``model`` (put in eval mode) over the batches of ``loader``,
    concatenated on the CPU."""
    model.eval()
    outs, ys = [], []
    for batch in loader:
        batch = batch.to(device)
        outs.append(graph_forward(model, batch).cpu())
        ys.append(batch.y.cpu())
    return torch.cat(outs), torch.cat(ys)


@torch.no_grad()
def first_layer_factors(model: nn.Module, batch) -> Tensor | None:
    """``[E, K]`` factor weights of the first layer (FactorGCN) or attention heads (GAT);
    ``None`` for models without per-edge weights."""
    model.eval()
    if isinstance(model, FactorGCN):
        _, factors = model(batch.x, batch.edge_index, batch.batch, batch.num_graphs,
                           return_factors=True)
        return factors[0]
    if isinstance(model, LayerwiseGNN) and isinstance(model.convs[0], GATConv):
        _, (ei, alpha) = model.convs[0](batch.x, batch.edge_index, return_attention_weights=True)
        if ei.size(1) != batch.edge_index.size(1) or not torch.equal(ei, batch.edge_index):
            raise RuntimeError("GAT attention does not align with the input edges")
        return alpha
    return None


def disentanglement(model: nn.Module | None, test_batch, generator: torch.Generator | None = None,
                    num_factors: int = 4) -> dict[str, float] | None:
    """GED_E mean/std and C-score (with their all-equal-weights references) of ``model``'s first
    layer on ``test_batch`` (it needs ``gt_edge_factor``); ``model=None``: uniform random edge
    weights drawn from ``generator``. ``None`` for a model without per-edge weights."""
    if model is None:
        factors = torch.rand(test_batch.edge_index.size(1), num_factors, generator=generator)
    else:
        factors = first_layer_factors(model, test_batch)
        if factors is None:
            return None
    return ged_e(test_batch.edge_index.cpu(), factors.cpu(), test_batch.gt_edge_factor.cpu(),
                 test_batch.batch.cpu()).summary()
