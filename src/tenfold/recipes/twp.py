"""``twp``: continual node classification with TWP against its baselines (arXiv 2012.06002).

The paper's protocol (official code ``hhliu79/TWP``): one graph, its classes cut into tasks of two
classes learned one after another; the whole graph is visible at every task; task-incremental
evaluation (each task predicts among its own classes); full batch on one device; Adam lr 5e-3,
weight decay 5e-4, 200 epochs per task, λ = 1e4 for EWC / MAS / TWP (λ_l = λ_t), TWP's β = 0
(the official 0.01 has no gradient there). Every method sees the same stream (splits from the
seed) and starts from the same initial weights; only the continual-learning plug-in differs:

* ``finetune``: no protection (lower bound); ``joint``: all seen tasks' losses (upper bound);
* ``ewc``, ``mas``, ``lwf``: classic regularisers; ``twp``: TWP; ``twp-no-topo``: TWP without its
  topology term (λ_t = 0; with β = 0 it is EWC with λ = λ_l, bit for bit).

Metrics (fractions; reports show them in %): ``ap`` (mean accuracy over all tasks after the last),
``af`` (mean forgetting, positive = forgetting, the paper's sign), ``bwt`` (= −AF),
``max_forgetting``, ``task<j>_acc`` (final accuracy per task), and the accuracy matrix (figure per
seed).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Annotated, Literal

import torch

from tenfold.continual import (
    EWC,
    GAT,
    GCN,
    MAS,
    TWP,
    ContinualTrainer,
    LwF,
    TaskStream,
)
from tenfold.continual.trainer import ContinualResult
from tenfold.errors import ConfigError
from tenfold.loops import LoopStepper
from tenfold.runtime.device import chosen_threads
from tenfold.runtime.registry import Recipe, register_recipe
from tenfold.runtime.rules import Rule
from tenfold.runtime.seeding import seed_everything

log = logging.getLogger(__name__)

METHODS = ("finetune", "ewc", "mas", "lwf", "twp", "twp-no-topo", "joint")
DATASETS = ("synthetic-sbm", "cora", "citeseer", "computers", "cs")


@dataclass
class TWPConfig:
    """Settings of the ``twp`` recipe (defaults = the paper's protocol, ``quick`` scale).

    Ranges: the rule table of :mod:`tenfold.runtime.rules` (``lr`` > 0, dropouts in [0, 1),
    ``lambda_*`` ≥ 0, ``methods`` non-empty without repeats, ...) and the ``Rule`` s below;
    :meth:`validate` checks only what one field cannot say."""

    dataset: str = "synthetic-sbm"
    methods: tuple[Literal[METHODS], ...] = METHODS  # methods to compare
    backbone: Literal["gcn", "gat"] = "gcn"
    scenario: Literal["task", "class"] = "task"
    classes_per_task: Annotated[int, Rule(low=1)] = 2  # classes in each task
    num_tasks: int = 0                   # 0: as many as the classes allow
    split: tuple[float, ...] = (40, 20)  # per class train, val (counts or fractions); rest test
    inter_task_edges: bool = True
    # task_subgraphs: same outputs as the whole graph without inter-task edges, far cheaper
    task_subgraphs: bool = False         # each task on its own subgraph (inter_task_edges=false)
    epochs: int = 200
    lr: float = 5e-3
    weight_decay: float = 5e-4
    hidden: int = 64
    dropout: float = 0.5
    gat_hidden: int = 8
    gat_heads: int = 8
    gat_dropout: float = 0.6
    lambda_ewc: float = 1e4
    lambda_mas: float = 1e4
    lambda_lwf: float = 1.0
    lwf_temperature: float = 2.0
    lambda_l: float = 1e4
    lambda_t: float = 1e4
    # beta: official run.sh 0.01, inert there (no gradient); a differentiable 0.01 breaks GAT
    # on Amazon Computers, hence 0
    beta: Annotated[float, Rule(low=0)] = 0.0  # TWP's weight of the embedding-norm term
    beta_mode: Literal["differentiable", "official", "off"] = "differentiable"
    twp_norm: Literal["l2", "l2sq", "mean_l2"] = "l2"
    twp_importance: Literal["paper", "official"] = "paper"
    sparse_features: bool = True         # sparse first-layer input (same numbers, ~3x faster)
    sbm_nodes: Annotated[int, Rule(low=1)] = 1200  # nodes of the embedded stochastic block model
    sbm_feature_signal: Annotated[float, Rule(low=0)] = 0.25  # SBM: class signal in features
    sbm_homophily: Annotated[float, Rule(low=0, high=1)] = 0.5  # SBM: share of edges in-class
    log_every: Annotated[int, Rule(low=1)] = 10  # epochs between two loss points of the curves
    cpu_threads: int = 0                 # >0: CPU torch threads in the run (unless --threads)

    def validate(self) -> None:
        """Cross-field and shape constraints (the ranges are the fields' rules)."""
        if len(self.split) != 2:
            raise ConfigError(f"split: expected two numbers (train, val) per class, got "
                              f"{','.join(map(str, self.split)) or 'nothing'}")
        if self.task_subgraphs and self.inter_task_edges:
            raise ConfigError("task_subgraphs=true needs inter_task_edges=false (a task's nodes "
                              "must not depend on nodes outside its subgraph)")


def load_graph(config: TWPConfig):
    """The graph of ``config.dataset`` (raw features, as in the official code)."""
    from tenfold.data import load_dataset

    if config.dataset == "synthetic-sbm":
        return load_dataset("synthetic-sbm", num_nodes=config.sbm_nodes,
                            feature_signal=config.sbm_feature_signal,
                            homophily=config.sbm_homophily, num_val=0, num_test=0, seed=0)
    loaded = load_dataset(config.dataset)
    return loaded if hasattr(loaded, "edge_index") else loaded[0]


def build_stream(data, config: TWPConfig, generator: torch.Generator) -> TaskStream:
    try:
        return TaskStream(data, config.classes_per_task, config.num_tasks or None,
                          scenario=config.scenario, split=config.split,
                          inter_task_edges=config.inter_task_edges,
                          task_subgraphs=config.task_subgraphs, generator=generator)
    except ValueError as exc:
        raise ConfigError(f"cannot build the task stream of {config.dataset}: {exc}") from None


def build_plugins(method: str, config: TWPConfig) -> list:
    if method == "ewc":
        return [EWC(config.lambda_ewc)]
    if method == "mas":
        return [MAS(config.lambda_mas)]
    if method == "lwf":
        return [LwF(config.lambda_lwf, config.lwf_temperature)]
    if method in ("twp", "twp-no-topo"):
        return [TWP(config.lambda_l, config.lambda_t if method == "twp" else 0.0, config.beta,
                    norm=config.twp_norm, importance=config.twp_importance,
                    beta_mode=config.beta_mode)]
    return []


def build_model(config: TWPConfig, in_channels: int, out_channels: int) -> torch.nn.Module:
    if config.backbone == "gcn":
        # the normalised adjacency may be cached only when every call sees the same graph
        return GCN(in_channels, config.hidden, out_channels, config.dropout,
                   cached=not config.task_subgraphs)
    return GAT(in_channels, config.gat_hidden, out_channels, heads=config.gat_heads,
               dropout=config.gat_dropout)


class _PluginState:
    """Any continual plug-in's state (importances, an LwF teacher copy) as resumable state."""

    def __init__(self, plugin):
        self.plugin = plugin

    def state_dict(self) -> dict:
        return copy.deepcopy(vars(self.plugin))

    def load_state_dict(self, state: dict) -> None:
        vars(self.plugin).update(copy.deepcopy(state))


def run_method(method: str, stream: TaskStream, config: TWPConfig, ctx) -> dict:
    """Train ``method`` on the stream for ``ctx.seed`` (one resumable step per task); returns
    its matrices and metrics."""
    seed_everything(ctx.seed)          # same initial weights and dropout stream for every method
    model = build_model(config, stream.x.size(1), stream.num_outputs)

    def on_step(task: int, epoch: int, loss: float) -> None:
        if epoch % config.log_every == 0 or epoch == config.epochs - 1:
            ctx.log(method, task * config.epochs + epoch, loss=loss)

    plugins = build_plugins(method, config)
    trainer = ContinualTrainer(
        model, lambda p: torch.optim.Adam(p, lr=config.lr, weight_decay=config.weight_decay),
        config.epochs, plugins, joint=method == "joint",
        device=ctx.device, on_step=on_step, progress=lambda it, desc: ctx.progress(
            it, f"{method} {desc}", total=config.epochs))
    n = len(stream)
    nan = torch.full((n, n), float("nan"), dtype=torch.float64)
    memory = {"matrix": nan.clone(), "val": nan.clone(), "losses": []}

    def task(k: int) -> dict[str, float]:
        memory["losses"].append(trainer.train_task(stream, k))
        accuracies = trainer.evaluate(stream, k, ("test", "val"))
        memory["matrix"][k, :k + 1] = torch.tensor(accuracies["test"], dtype=torch.float64)
        memory["val"][k, :k + 1] = torch.tensor(accuracies["val"], dtype=torch.float64)
        log.debug("%s, task %d/%d: test accuracies %s", method, k + 1, n,   # -v shows these
                  [round(a, 4) for a in accuracies["test"]])
        return {}

    stateful = {"model": trainer.model, "optimizer": trainer.optimizer,
                **{f"plugin{i}": _PluginState(p) for i, p in enumerate(plugins)}}
    with ctx.timed(method, "train_s"):
        ctx.fit(method, LoopStepper(task, n, stateful, memory), checkpoint_every=1)
    return ContinualResult(memory["matrix"], memory["val"], memory["losses"]).to_dict()


def _plot_matrices(results: dict[str, dict], path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(results)
    fig, axes = plt.subplots(1, len(methods), figsize=(2.6 * len(methods), 2.8), squeeze=False)
    for ax, method in zip(axes[0], methods, strict=True):
        matrix = torch.tensor(results[method]["matrix"]) * 100
        ax.imshow(matrix.nan_to_num(float("nan")), vmin=0, vmax=100, cmap="viridis")
        for i in range(matrix.size(0)):
            for j in range(i + 1):
                ax.text(j, i, f"{matrix[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color="w" if matrix[i, j] < 60 else "k")
        ax.set_title(f"{method}\nAP {100 * results[method]['ap']:.1f}", fontsize=8)
        ax.set_xlabel("task evaluated", fontsize=7)
        ax.set_ylabel("after training task", fontsize=7)
        ax.set_xticks(range(matrix.size(0)))
        ax.set_yticks(range(matrix.size(0)))
        ax.tick_params(labelsize=6)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(config: TWPConfig, ctx) -> dict[str, dict[str, float]]:
    """All methods for ``ctx.seed``; ``cpu_threads`` applies only while this runs (restored), and
    not when the user chose a thread count (``--threads``)."""
    threads = torch.get_num_threads()
    if config.cpu_threads > 0 and ctx.device.type == "cpu" and chosen_threads() is None:
        torch.set_num_threads(config.cpu_threads)
    try:
        return _run(config, ctx)
    finally:
        torch.set_num_threads(threads)


def _run(config: TWPConfig, ctx) -> dict[str, dict[str, float]]:
    data = load_graph(config)
    if config.sparse_features and data.x.is_floating_point():
        density = float((data.x != 0).float().mean())
        if density < 0.2:
            data.x = data.x.to_sparse()
    stream = build_stream(data, config, ctx.generator(1))
    log.info("%s: %r", config.dataset, stream)
    results = {m: ctx.cached(f"{m}-result", lambda m=m: run_method(m, stream, config, ctx))
               for m in config.methods}
    if ctx.is_rank_zero:
        _plot_matrices(results, ctx.figures_dir / f"accuracy_matrix_seed{ctx.seed}.png",
                       f"{config.dataset} {config.backbone} {config.scenario}-IL, seed {ctx.seed}")
    metrics = {}
    for method, res in results.items():
        final = res["matrix"][-1]
        metrics[method] = {"ap": res["ap"], "af": res["af"], "bwt": res["bwt"],
                           "max_forgetting": res["max_forgetting"],
                           **{f"task{j}_acc": a for j, a in enumerate(final)}}
    return metrics


RECIPE = register_recipe(Recipe(
    name="twp",
    config_cls=TWPConfig,
    run=run,
    presets={
        "smoke": {"epochs": 5, "methods": ("finetune", "ewc", "twp", "joint"), "sbm_nodes": 600,
                  "split": (20, 10), "cpu_threads": 1, "seeds": [0]},
        # small full-batch graphs: one thread is as fast, and far faster on a shared CPU
        "quick": {"cpu_threads": 1, "epochs": 60, "seeds": [0, 1, 2]},  # ≲ 2 min
        "paper": {"seeds": list(range(5))},
    },
    datasets=DATASETS,
    baseline="finetune",
    primary_metric="ap",
    summary="TWP continual node classification vs fine-tune/EWC/MAS/LwF/joint (task-IL)",
    quick_minutes=0.6,  # 3 x one quick seed, CPU seconds, 2-core box (issue 15)
))
