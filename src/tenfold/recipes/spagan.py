"""``spagan``: SPAGAN (Yang et al., IJCAI 2019, arXiv 2101.03464) against GAT and GCN.

Full-batch node classification on one device. Per seed:

1. **gat** — the GAT baseline (PyG ``GATConv``, 8 heads × 8 hidden + 1 output head), trained
   with the official SPAGAN schedule: Adam, validation-loss selection and early stopping with
   ``patience``, never before ``warmup`` epochs. It is also SPAGAN's phase 1 (as in the
   official code, where the same network runs in "GAT mode" first).
2. Shortest paths from its selected first-layer attention (``1 - alpha / alpha_max``, head mean).
3. **spagan** — the path network trained on those paths (official schedule: paths built once).
4. **spagan_iter** — the same, but the paths are rebuilt every ``regen_every`` epochs from the
   path layer's own one-hop attention (the paper's Fig. 2 workflow).
5. **spagan_1hop** — ablation: the path network with one-hop paths only.
6. **gcn** — GCN (hidden 64, dropout 0.5, lr 0.01) under the same selection rule.

Every method is re-seeded with the run's seed (paired comparisons); ``spagan`` and
``spagan_iter`` start from identical weights. On the embedded ``synthetic-two-hop`` graph the
models have one layer (``num_layers=0`` means: 1 there, 2 on Planetoid) so that only SPAGAN's
two-hop paths can reach the class signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import torch
from torch import Tensor, nn
from torch_geometric.nn import GATConv, GCNConv

from tenfold.data.graphs import node_classification_graph
from tenfold.graph.baselines import GAT, GCN
from tenfold.graph.layerwise import OneLayer
from tenfold.graph.paths import PathSet, ShortestPathSampler
from tenfold.graph.spagan import SPAGAN
from tenfold.graph.spagan_train import SPAGANTrainer, WarmupTrainer, gat_paths
from tenfold.runtime.registry import Recipe, register_recipe
from tenfold.runtime.rules import Rule
from tenfold.runtime.seeding import seed_everything

METHODS = ("gat", "gcn", "spagan", "spagan_iter", "spagan_1hop")
DATASETS = ("synthetic-two-hop", "cora", "citeseer")


@dataclass
class SPAGANConfig:
    """Settings of the ``spagan`` recipe (defaults = ``quick``)."""

    dataset: str = "synthetic-two-hop"
    methods: tuple[Literal[METHODS], ...] = METHODS  # methods to compare
    num_layers: Annotated[int, Rule(low=1, high=2, special=((0, "auto"),),
                                    meaning="layers (auto: 1 on synthetic graphs, else 2)")] = 0
    max_epochs: int = 1500
    warmup: int = 200              # official: 500
    patience: int = 50
    monitor: Literal["val_loss", "val_acc"] = "val_loss"  # early stopping on (official: val_loss)
    lr: float = 0.005
    weight_decay: float = 5e-4
    hidden: int = 8
    heads: int = 8
    dropout: float = 0.6
    max_hops: Annotated[int, Rule(low=1, meaning="longest path length")] = 2
    degree_ratio: float = 0.5
    max_ratio: float = 1.0
    path_pool: Literal["max", "mean"] = "max"  # pooling over the paths of one length
    regen_every: Annotated[int, Rule(low=1, meaning="epochs between path regenerations")] = 100
    output_elu: bool = False
    gcn_hidden: int = 64
    gcn_dropout: float = 0.5
    gcn_lr: float = 0.01
    checkpoint_every: int = 100

    @property
    def layers(self) -> int:
        if self.num_layers:
            return self.num_layers
        return 1 if self.dataset.startswith("synthetic") else 2


def build_gat(config: SPAGANConfig, in_ch: int, out_ch: int) -> nn.Module:
    if config.layers == 1:
        return OneLayer(GATConv(in_ch, out_ch, heads=config.heads, concat=False,
                                dropout=config.dropout), config.dropout)
    return GAT(in_ch, config.hidden, out_ch, heads=config.heads, dropout=config.dropout)


def build_gcn(config: SPAGANConfig, in_ch: int, out_ch: int) -> nn.Module:
    if config.layers == 1:
        return OneLayer(GCNConv(in_ch, out_ch), config.gcn_dropout)
    return GCN(in_ch, config.gcn_hidden, out_ch, config.gcn_dropout)


def build_spagan(config: SPAGANConfig, in_ch: int, out_ch: int, max_hops: int) -> SPAGAN:
    return SPAGAN(in_ch, config.hidden, out_ch, heads=(config.heads, 1), max_hops=max_hops,
                  dropout=config.dropout, path_pool=config.path_pool,
                  num_layers=config.layers, output_elu=config.output_elu)


def path_stats(paths: PathSet, edge_index: Tensor) -> dict[str, float]:
    """Deterministic path statistics: mean paths per node per length (self paths included) and
    the number of directed neighbour slots replaced by a cheaper detour."""
    counts = paths.counts().float().mean(dim=0)
    stats = {f"paths_per_node_{c + 1}hop": float(v) for c, v in enumerate(counts)}
    non_self = int((edge_index[0] != edge_index[1]).sum())
    stats["detoured_neighbours"] = float(non_self - (paths.num_paths()[0] - paths.num_nodes))
    return stats


def _fit(ctx, key: str, trainer, config: SPAGANConfig) -> dict[str, float]:
    with ctx.timed(key, "train_s"):
        ctx.fit(key, trainer, config.checkpoint_every)
    ctx.record_timing(key, "epoch_ms", 1000 * ctx.timings[key]["train_s"] / max(trainer.epoch, 1))
    return trainer.result()


def run(config: SPAGANConfig, ctx) -> dict[str, dict[str, float]]:
    data = ctx.fabric.to_device(node_classification_graph(config.dataset))
    in_ch, out_ch = data.num_features, int(data.y.max()) + 1
    schedule = dict(max_epochs=config.max_epochs, patience=config.patience,
                    warmup=config.warmup, monitor=config.monitor, backward=ctx.fabric.backward)
    results: dict[str, dict[str, float]] = {}

    def adam(model: nn.Module, lr: float) -> torch.optim.Optimizer:
        return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=config.weight_decay)

    # Phase 1 = the GAT baseline; its selected weights give the attention for the paths.
    gat_state = ctx.load_checkpoint("gat-selected")
    if gat_state is None:
        seed_everything(ctx.seed)
        gat = build_gat(config, in_ch, out_ch)
        model, opt = ctx.fabric.setup(gat, adam(gat, config.lr))
        trainer = WarmupTrainer(model, data, opt, **schedule)
        gat_state = {"result": _fit(ctx, "gat", trainer, config),
                     "weights": trainer.best_state}
        ctx.save_checkpoint("gat-selected", gat_state)
    results["gat"] = gat_state["result"]

    spagan_methods = [m for m in config.methods if m.startswith("spagan")]
    if spagan_methods:
        gat = build_gat(config, in_ch, out_ch).to(ctx.device)
        gat.load_state_dict(gat_state["weights"])
        sampler = ShortestPathSampler(config.max_hops, config.degree_ratio, config.max_ratio)
        with ctx.timed("spagan", "paths_s"):
            paths = gat_paths(gat.conv1, data.x, data.edge_index, sampler)
    for method in spagan_methods:
        hops = 1 if method == "spagan_1hop" else config.max_hops
        seed_everything(ctx.seed)
        net = build_spagan(config, in_ch, out_ch, hops)
        net.set_paths(paths.restrict(hops))
        model, opt = ctx.fabric.setup(net, adam(net, config.lr))
        trainer = SPAGANTrainer(model, data, opt, module=net, sampler=ShortestPathSampler(
            hops, config.degree_ratio, config.max_ratio),
            regen_every=config.regen_every if method == "spagan_iter" else 0, **schedule)
        results[method] = ctx.cached(f"{method}-result", lambda t=trainer, m=method: {
            **_fit(ctx, m, t, config),
            **path_stats(t.best_paths or t.module.paths, data.edge_index),
            "regenerations": float(t.regenerations)})

    if "gcn" in config.methods:
        def train_gcn() -> dict[str, float]:
            seed_everything(ctx.seed)
            gcn = build_gcn(config, in_ch, out_ch)
            model, opt = ctx.fabric.setup(gcn, adam(gcn, config.gcn_lr))
            return _fit(ctx, "gcn", WarmupTrainer(model, data, opt, **schedule), config)
        results["gcn"] = ctx.cached("gcn-result", train_gcn)
    return {m: results[m] for m in METHODS if m in results and m in config.methods}


RECIPE = register_recipe(Recipe(
    name="spagan",
    config_cls=SPAGANConfig,
    run=run,
    presets={
        "smoke": {"max_epochs": 5, "warmup": 0, "patience": 0, "regen_every": 2,
                  "seeds": [0]},
        "quick": {"max_epochs": 600, "seeds": [0, 1, 2]},  # ≲ 2 min on 2 cores
        "paper": {"max_epochs": 100_000, "warmup": 500, "patience": 50,
                  "seeds": list(range(10))},
    },
    datasets=DATASETS,
    baseline="gat",
    primary_metric="test_acc",
    summary="SPAGAN shortest-path attention vs GAT / GCN; official and iterative path schedules",
    quick_minutes=1.7,  # 3 x one quick seed, CPU seconds, 2-core box (issue 15)
))
