"""Training schedules for SPAGAN (arXiv 2101.03464), built on the full-batch trainer.

``official`` (what the released code does): train a GAT, select it on validation loss, turn its
first-layer attention into edge costs, build the shortest paths once, then train the path
network with the same early-stopping rule.

``iterative`` (the workflow the paper's Fig. 2 describes and the release omits): as ``official``,
but during the path phase the paths are rebuilt every ``regen_every`` epochs from the path
layer's own current one-hop attention; the selected epoch keeps the paths it was evaluated with.

Early stopping follows the official script: validation *loss*, patience counted as usual, but no
stop before ``warmup`` epochs of the phase have run.
"""

from __future__ import annotations

import copy
import logging
from typing import Any, Literal

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from tenfold.graph.paths import PathSet, ShortestPathSampler, attention_to_cost
from tenfold.graph.spagan import SPAGAN
from tenfold.graph.train import NodeClassifierTrainer

log = logging.getLogger(__name__)

__all__ = ["SPAGANTrainer", "WarmupTrainer", "default_gat", "fit_spagan", "gat_paths"]


class WarmupTrainer(NodeClassifierTrainer):
    """:class:`NodeClassifierTrainer` that never stops early before ``warmup`` epochs.

    Defaults to the official SPAGAN/pyGAT rule: select and stop on validation loss.
    """

    def __init__(self, model: nn.Module, data: Data, optimizer: torch.optim.Optimizer,
                 max_epochs: int = 100_000, patience: int = 50, warmup: int = 500,
                 monitor: Literal["val_acc", "val_loss"] = "val_loss", **kwargs: Any):
        kwargs.setdefault("keep_best_state", True)
        super().__init__(model, data, optimizer, max_epochs=max_epochs, patience=patience,
                         monitor=monitor, **kwargs)
        self.warmup = warmup

    @property
    def stopped(self) -> bool:
        if self.epoch >= self.max_epochs:
            return True
        return 0 < self.patience <= self.stale and self.epoch > self.warmup


class SPAGANTrainer(WarmupTrainer):
    """Path phase of SPAGAN: trains ``model`` on ``model.paths``.

    With ``regen_every`` > 0 the paths are rebuilt from the path layer's current one-hop
    attention before every ``regen_every``-th epoch (``iterative`` schedule). ``best_paths`` are
    the paths of the selected epoch; the state dict carries both, so resuming is exact.

    Args:
        module: the unwrapped :class:`SPAGAN` (``model`` may be a Fabric wrapper around it).
    """

    def __init__(self, model: nn.Module, data: Data, optimizer: torch.optim.Optimizer,
                 module: SPAGAN | None = None, regen_every: int = 0,
                 sampler: ShortestPathSampler | None = None, **kwargs: Any):
        super().__init__(model, data, optimizer, **kwargs)
        self.module = module if module is not None else model
        if self.module.paths is None:
            raise ValueError("SPAGANTrainer needs model.paths (call refresh_paths first)")
        self.regen_every = regen_every
        self.sampler = sampler or ShortestPathSampler(max_hops=self.module.max_hops)
        self.best_paths: PathSet | None = None
        self.regenerations = 0

    def step(self) -> dict[str, float]:
        if self.regen_every and self.epoch and self.epoch % self.regen_every == 0:
            self.module.refresh_paths(self.data.x, self.data.edge_index, self.sampler)
            self.regenerations += 1
        metrics = super().step()
        if self.stale == 0:
            self.best_paths = self.module.paths
        return metrics

    def restore_best(self) -> None:
        """Load the selected epoch's weights and paths into the model."""
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        if self.best_paths is not None:
            self.module.set_paths(self.best_paths)

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["paths"] = self.module.paths.state_dict()
        state["best_paths"] = None if self.best_paths is None else self.best_paths.state_dict()
        state["regenerations"] = self.regenerations
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.module.set_paths(PathSet.from_state_dict(state["paths"]))
        best = state.get("best_paths")
        self.best_paths = None if best is None else PathSet.from_state_dict(best)
        self.regenerations = state.get("regenerations", 0)


@torch.no_grad()
def gat_paths(conv: nn.Module, x: Tensor, edge_index: Tensor,
              sampler: ShortestPathSampler) -> PathSet:
    """Shortest paths from a trained attention layer (e.g. PyG ``GATConv``, the first layer of a
    GAT): its eval-mode attention, averaged over heads, becomes ``1 - alpha / alpha_max``."""
    training = conv.training
    conv.eval()
    _, (att_index, alpha) = conv(x, edge_index, return_attention_weights=True)
    conv.train(training)
    cost_index, cost = attention_to_cost(att_index, alpha, x.size(0))
    return sampler(cost_index, cost, x.size(0))


def default_gat(model: SPAGAN, in_channels: int) -> nn.Module:
    """The phase-1 GAT matching ``model``: PyG ``GATConv`` layers with the path layer's heads
    and hidden size, one averaged output head, the same dropout (the official code trains the
    same network in "GAT mode")."""
    from tenfold.graph.baselines import GAT

    conv1, conv2 = model.conv1, model.conv2
    out_channels = (conv2 or conv1).out_channels
    if conv2 is None:
        raise ValueError("fit_spagan builds a two-layer GAT for phase 1; for a one-layer SPAGAN "
                         "pass gat= explicitly (a module whose first layer is gat.conv1)")
    return GAT(in_channels, conv1.out_channels, out_channels, heads=conv1.heads,
               out_heads=conv2.heads, dropout=model.dropout)


def fit_spagan(model: SPAGAN, data: Data, gat: nn.Module | None = None,
               schedule: Literal["official", "iterative"] = "official", lr: float = 0.005,
               weight_decay: float = 5e-4, max_epochs: int = 100_000, patience: int = 50,
               warmup: int = 500, regen_every: int = 100,
               sampler: ShortestPathSampler | None = None) -> dict[str, Any]:
    """Train SPAGAN end to end on one graph, the official schedule in one call:

    >>> model = SPAGAN(data.num_features, 8, num_classes)
    >>> result = fit_spagan(model, data)          # GAT -> attention_to_cost -> paths -> SPAGAN
    >>> result["spagan"]["test_acc"], model(data.x, data.edge_index)   # paths kept in model

    (No checkpoints; recipes use the steppers.) The pieces stay public: :func:`gat_paths`
    (``attention_to_cost`` + :class:`ShortestPathSampler`), :class:`WarmupTrainer`,
    :class:`SPAGANTrainer`.

    Args:
        model: a fresh :class:`SPAGAN`.
        data: ``Data`` with ``x``, ``edge_index``, ``y`` and train/val/test masks.
        gat: the phase-1 attention model, whose first layer is ``gat.conv1`` (default:
            :func:`default_gat`, a PyG GAT shaped like ``model``), trained here.
        schedule: ``"official"`` (paths built once) or ``"iterative"`` (rebuilt every
            ``regen_every`` epochs of phase 2 from the path layer's own attention).
        lr, weight_decay, max_epochs, patience, warmup: both phases (Adam; validation-loss
            selection; no early stop before ``warmup`` epochs).
        sampler: path sampling (default: ``ShortestPathSampler(model.max_hops)``).

    Returns:
        ``{"gat": metrics, "spagan": metrics, "paths": PathSet}`` with the selected epochs'
        metrics (``test_acc`` is the number to report); ``model`` holds the selected weights
        and paths.
    """
    if schedule not in ("official", "iterative"):
        raise ValueError(f"schedule must be 'official' or 'iterative', got {schedule!r}")
    if any(isinstance(p, torch.nn.parameter.UninitializedParameter) for p in model.parameters()):
        with torch.no_grad():                 # lazy in_channels=-1: initialise before Adam
            model(data.x, data.edge_index)
    sampler = sampler or ShortestPathSampler(max_hops=model.max_hops)
    if gat is None:
        gat = default_gat(model, data.num_features).to(data.x.device)
    opt = torch.optim.Adam(gat.parameters(), lr=lr, weight_decay=weight_decay)
    phase1 = WarmupTrainer(gat, data, opt, max_epochs, patience, warmup)
    while not phase1.stopped:
        phase1.step()
    gat.load_state_dict(phase1.best_state)
    model.set_paths(gat_paths(gat.conv1, data.x, data.edge_index, sampler))
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    phase2 = SPAGANTrainer(model, data, opt, regen_every=regen_every if schedule == "iterative"
                           else 0, sampler=sampler, max_epochs=max_epochs, patience=patience,
                           warmup=warmup)
    while not phase2.stopped:
        phase2.step()
    phase2.restore_best()
    return {"gat": phase1.result(), "spagan": phase2.result(),
            "paths": copy.copy(model.paths)}
