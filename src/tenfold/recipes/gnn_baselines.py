"""``gnn-baselines``: MLP, GCN and GAT node classification (full-batch, one device).

The baseline set other graph recipes compare against. Hyper-parameters follow the GCN paper
(Kipf & Welling, ICLR 2017: hidden 64 here, dropout 0.5, lr 0.01, weight decay 5e-4) and the GAT
paper (Veličković et al., ICLR 2018: 8 heads × 8 hidden, dropout 0.6, lr 0.005, weight decay
5e-4). Every method is selected on validation accuracy (ties: lower validation loss) with early
stopping, and reports the test accuracy of the selected epoch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from tenfold.data.graphs import node_classification_graph
from tenfold.errors import ConfigError
from tenfold.graph.baselines import GAT, GCN, MLP
from tenfold.graph.train import NodeClassifierTrainer
from tenfold.runtime.registry import Recipe, register_recipe
from tenfold.runtime.seeding import seed_everything

METHODS = ("mlp", "gcn", "gat")


@dataclass
class GNNBaselinesConfig:
    """Settings of the ``gnn-baselines`` recipe (defaults = ``quick``)."""

    dataset: str = "synthetic-sbm"
    methods: tuple[Literal[METHODS], ...] = METHODS  # methods to compare
    epochs: int = 500
    patience: int = 100
    hidden: int = 64
    dropout: float = 0.5
    lr: float = 0.01
    gat_hidden: int = 8
    gat_heads: int = 8
    gat_dropout: float = 0.6
    gat_lr: float = 0.005
    weight_decay: float = 5e-4
    checkpoint_every: int = 25
    # ranges: tenfold.runtime.rules (lr > 0, dropout in [0, 1), epochs ≥ 1, ...)


def build_model(method: str, in_channels: int, out_channels: int,
                config: GNNBaselinesConfig) -> tuple[nn.Module, float]:
    """The baseline ``method`` and its learning rate."""
    if method == "mlp":
        return MLP(in_channels, config.hidden, out_channels, config.dropout), config.lr
    if method == "gcn":
        return GCN(in_channels, config.hidden, out_channels, config.dropout), config.lr
    if method == "gat":
        model = GAT(in_channels, config.gat_hidden, out_channels, heads=config.gat_heads,
                    dropout=config.gat_dropout)
        return model, config.gat_lr
    raise ConfigError(f"unknown baseline {method!r}")


def train_baseline(method: str, data, config: GNNBaselinesConfig, ctx) -> dict[str, float]:
    """Train one baseline on ``data`` for ``ctx.seed``, resumably; returns its selected metrics."""
    seed_everything(ctx.seed)
    num_classes = int(data.y.max()) + 1
    model, lr = build_model(method, data.num_features, num_classes, config)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=config.weight_decay)
    model, optimizer = ctx.fabric.setup(model, optimizer)
    trainer = NodeClassifierTrainer(model, ctx.fabric.to_device(data), optimizer,
                                    max_epochs=config.epochs, patience=config.patience,
                                    backward=ctx.fabric.backward)
    with ctx.timed(method, "train_s"):
        ctx.fit(method, trainer, config.checkpoint_every)
    ctx.record_timing(method, "epoch_ms",
                      1000 * ctx.timings[method]["train_s"] / max(trainer.epoch, 1))
    return trainer.result()


def run(config: GNNBaselinesConfig, ctx) -> dict[str, dict[str, float]]:
    data = node_classification_graph(config.dataset)
    return {m: ctx.cached(f"{m}-result", lambda m=m: train_baseline(m, data, config, ctx))
            for m in config.methods}


RECIPE = register_recipe(Recipe(
    name="gnn-baselines",
    config_cls=GNNBaselinesConfig,
    run=run,
    presets={
        "smoke": {"epochs": 20, "patience": 0, "seeds": [0]},
        "quick": {"seeds": [0, 1, 2]},
        "paper": {"epochs": 1000, "patience": 100, "seeds": list(range(10))},
    },
    datasets=("synthetic-sbm", "cora", "citeseer", "computers", "photo", "cs"),
    baseline="mlp",
    primary_metric="test_acc",
    summary="MLP, GCN and GAT node classification (PyG layers); the graph baselines",
    quick_minutes=0.7,  # 3 x one quick seed, CPU seconds, 2-core box (issue 15)
))
