"""Class-incremental task streams over one node-classification graph.

A stream cuts the classes of a PyG ``Data`` graph into tasks of disjoint classes (the protocol of
TWP, arXiv 2012.06002, and of CGLB, arXiv 2205.13954): task ``k`` owns classes
``class_order[k*c:(k+1)*c]``. Labels are remapped to *output columns* so that task ``k``'s classes
are the columns ``k*c .. (k+1)*c - 1`` of one shared output layer with ``K*c`` outputs.

* ``scenario="task"`` (task-incremental, the paper's setting): the task id is known, training and
  evaluation use only that task's columns.
* ``scenario="class"`` (class-incremental): training on task ``k`` uses the columns of every class
  seen so far, and evaluation predicts among all seen classes.

The whole graph (every node, including those of other tasks and of classes left out of the stream)
is visible at every task, as in the official TWP code; with ``inter_task_edges=False`` the edges
joining nodes of different tasks are removed (CGLB's other setting). Without inter-task edges a
node's receptive field never leaves its task, so ``task_subgraphs=True`` can feed each task only
its own nodes and the edges among them (CGLB's task subgraphs): the outputs on the task's nodes are
those of the whole graph, at a fraction of the cost on large graphs. Splits are per class
(``split=(40, 20)``: 40 train and 20 validation nodes per class, the rest test; or fractions such as
``(0.6, 0.2)``) and depend only on the ``generator``, so every method sees the same stream.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from tenfold.metrics import accuracy

Scenario = Literal["task", "class"]


@dataclass(frozen=True)
class Task:
    """One task of a stream: its classes and node index sets (all indices into the full graph)."""

    index: int
    classes: tuple[int, ...]
    train_nodes: Tensor
    val_nodes: Tensor
    test_nodes: Tensor


@dataclass(frozen=True)
class TaskBatch:
    """What one optimisation step or one evaluation on a task needs (full batch).

    ``x`` and ``edge_index`` are the graph the model runs on (the whole graph, or a task subgraph
    with ``TaskStream(task_subgraphs=True)``); ``nodes`` index its rows. ``columns`` are the output
    columns the loss/prediction is restricted to, ``targets`` are the labels of ``nodes`` as
    positions in ``columns``.
    """

    x: Tensor
    edge_index: Tensor
    nodes: Tensor
    targets: Tensor
    columns: Tensor

    def logits(self, out: Tensor) -> Tensor:
        """The rows of ``nodes`` and the columns of this task from a full model output."""
        return out[self.nodes][:, self.columns]

    def loss(self, out: Tensor) -> Tensor:
        """Mean cross-entropy of this task's nodes, restricted to its columns."""
        return torch.nn.functional.cross_entropy(self.logits(out), self.targets)

    def accuracy(self, out: Tensor) -> float:
        """Top-1 accuracy of this task's nodes within its columns (``nan`` for no nodes):
        :func:`tenfold.metrics.accuracy`."""
        return accuracy(self.logits(out), self.targets)

    def to(self, device: torch.device | str) -> TaskBatch:
        return TaskBatch(*(t.to(device) for t in (self.x, self.edge_index, self.nodes,
                                                    self.targets, self.columns)))


def _split_class(nodes: Tensor, split: Sequence[float], generator: torch.Generator
                 ) -> tuple[Tensor, Tensor, Tensor]:
    perm = nodes[torch.randperm(nodes.numel(), generator=generator)]
    n = nodes.numel()
    if all(float(s).is_integer() and s >= 1 for s in split):
        n_train, n_val = int(split[0]), int(split[1])
        if n_train + n_val >= n:
            raise ValueError(f"a class has only {n} nodes; cannot take {n_train} train + "
                             f"{n_val} validation nodes and leave any for testing")
    else:
        n_train, n_val = int(round(split[0] * n)), int(round(split[1] * n))
    train = perm[:n_train].sort().values
    val = perm[n_train:n_train + n_val].sort().values
    test = perm[n_train + n_val:].sort().values
    return train, val, test


class TaskStream:
    """A sequence of tasks of disjoint classes over one graph.

    Args:
        data: a PyG ``Data`` with ``x``, ``edge_index`` and integer node labels ``y``.
        classes_per_task: classes per task (``c``).
        num_tasks: how many tasks; default ``num_classes // c`` (leftover classes are dropped,
            their nodes stay in the graph unlabelled).
        scenario: ``"task"`` (task-IL) or ``"class"`` (class-IL).
        split: per class ``(train, val)`` counts (rest test) or fractions (rest test).
        class_order: the class sequence; default ascending ids.
        inter_task_edges: keep edges between nodes of different tasks.
        task_subgraphs: batches hold only the nodes of their task(s) and the edges among them
            (needs ``inter_task_edges=False``, where this changes no output, only the cost).
        generator: randomness of the splits.
    """

    def __init__(self, data, classes_per_task: int = 2, num_tasks: int | None = None,
                 scenario: Scenario = "task", split: Sequence[float] = (40, 20),
                 class_order: Sequence[int] | None = None, inter_task_edges: bool = True,
                 task_subgraphs: bool = False, generator: torch.Generator | None = None):
        if scenario not in ("task", "class"):
            raise ValueError(f"scenario must be 'task' or 'class', got {scenario!r}")
        if task_subgraphs and inter_task_edges:
            raise ValueError("task_subgraphs=True needs inter_task_edges=False: with edges between "
                             "tasks a task's nodes depend on nodes outside its subgraph")
        for name in ("x", "edge_index", "y"):
            if getattr(data, name, None) is None:
                raise ValueError(f"data needs a '{name}' attribute (a PyG node-classification "
                                 "graph)")
        y = data.y.view(-1)
        if y.numel() != data.x.size(0):
            raise ValueError(f"expected one label per node: y has {y.numel()} entries, x has "
                             f"{data.x.size(0)} rows")
        if len(split) != 2:
            raise ValueError(f"split must be (train, val) counts or fractions, got {split!r}")
        present = sorted(int(c) for c in y.unique() if c >= 0)
        if not present:
            raise ValueError("data.y has no labelled node (all labels < 0)")
        order = list(present if class_order is None else (int(c) for c in class_order))
        if len(set(order)) != len(order) or not set(order) <= set(present):
            raise ValueError(f"class_order must list distinct classes among {present}, "
                             f"got {order}")
        if classes_per_task < 1:
            raise ValueError(f"classes_per_task must be >= 1, got {classes_per_task}")
        max_tasks = len(order) // classes_per_task
        num_tasks = max_tasks if num_tasks is None else num_tasks
        if not 1 <= num_tasks <= max_tasks:
            raise ValueError(f"{len(order)} classes give at most {max_tasks} tasks of "
                             f"{classes_per_task}; asked for {num_tasks}")
        generator = generator if generator is not None else torch.Generator().manual_seed(0)
        self.scenario: Scenario = scenario
        self.classes_per_task = classes_per_task
        self.num_nodes = y.numel()
        self.x = data.x
        order = order[:num_tasks * classes_per_task]
        self.class_order = tuple(order)
        # output column of every node's class (-1 for classes outside the stream)
        column = torch.full((int(y.max()) + 1,), -1, dtype=torch.long)
        column[torch.tensor(order, dtype=torch.long)] = torch.arange(len(order))
        self.node_column = torch.where(y >= 0, column[y.clamp(min=0)], -1)
        self.tasks: list[Task] = []
        for k in range(num_tasks):
            classes = tuple(order[k * classes_per_task:(k + 1) * classes_per_task])
            parts = [_split_class((y == c).nonzero().view(-1), split, generator) for c in classes]
            train, val, test = (torch.cat(p).sort().values for p in zip(*parts, strict=True))
            self.tasks.append(Task(k, classes, train, val, test))
        self.node_task = torch.where(self.node_column >= 0,
                                     self.node_column // classes_per_task, -1)
        edge_index = data.edge_index
        if not inter_task_edges:
            keep = self.node_task[edge_index[0]] == self.node_task[edge_index[1]]
            edge_index = edge_index[:, keep]
        self.edge_index = edge_index
        self.task_subgraphs = task_subgraphs
        self._subgraphs: dict[tuple[int, ...], tuple[Tensor, Tensor, Tensor]] = {}

    @property
    def num_outputs(self) -> int:
        """Width of the shared output layer (all classes of the stream)."""
        return len(self.class_order)

    def __len__(self) -> int:
        return len(self.tasks)

    def __iter__(self) -> Iterator[Task]:
        return iter(self.tasks)

    def __getitem__(self, k: int) -> Task:
        return self.tasks[k]

    def columns(self, task: int, seen: int | None = None) -> Tensor:
        """Output columns of ``task`` (task-IL) or of every class seen up to task ``seen``
        (class-IL; ``seen`` defaults to ``task``)."""
        c = self.classes_per_task
        if self.scenario == "task":
            return torch.arange(task * c, (task + 1) * c)
        seen = task if seen is None else seen
        return torch.arange(0, (seen + 1) * c)

    def graph(self, tasks: Sequence[int]) -> tuple[Tensor, Tensor, Tensor]:
        """``(x, edge_index, node_ids)`` of the graph that batches of ``tasks`` run on: the whole
        graph (``node_ids`` = all nodes), or with ``task_subgraphs`` the subgraph induced by the
        nodes of ``tasks`` (relabelled; ``node_ids`` ascending). Cached: the same tasks give the
        same tensor objects."""
        if not self.task_subgraphs:
            return self.x, self.edge_index, torch.arange(self.num_nodes)
        key = tuple(sorted(set(tasks)))
        if key not in self._subgraphs:
            keep = torch.isin(self.node_task, torch.tensor(key, dtype=torch.long))
            node_ids = keep.nonzero().view(-1)
            local = torch.full((self.num_nodes,), -1, dtype=torch.long)
            local[node_ids] = torch.arange(node_ids.numel())
            inside = keep[self.edge_index[0]] & keep[self.edge_index[1]]
            self._subgraphs[key] = (self.x.index_select(0, node_ids),
                                    local[self.edge_index[:, inside]], node_ids)
        return self._subgraphs[key]

    def batch(self, task: int, part: Literal["train", "val", "test"] = "train",
              seen: int | None = None, graph_tasks: Sequence[int] | None = None) -> TaskBatch:
        """The :class:`TaskBatch` of ``task``'s ``part`` nodes; in class-IL the prediction is
        among the classes of tasks ``0..seen`` (default: ``task``). With ``task_subgraphs`` the
        batch runs on the subgraph of ``graph_tasks`` (default: ``task`` alone)."""
        nodes = getattr(self.tasks[task], f"{part}_nodes")
        columns = self.columns(task, seen)
        targets = self.node_column[nodes] - int(columns[0])
        x, edge_index, node_ids = self.graph([task] if graph_tasks is None else graph_tasks)
        if self.task_subgraphs:
            nodes = torch.searchsorted(node_ids, nodes)
        return TaskBatch(x, edge_index, nodes, targets, columns)

    def joint_batches(self, task: int) -> list[TaskBatch]:
        """Training batches of tasks ``0..task`` as joint training sees them at task ``task``,
        all on one graph (with ``task_subgraphs``: the subgraph of tasks ``0..task``)."""
        seen = list(range(task + 1))
        return [self.batch(j, "train", seen=task, graph_tasks=seen) for j in seen]

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(tasks={len(self)}, classes_per_task="
                f"{self.classes_per_task}, scenario={self.scenario!r}, "
                f"edges={self.edge_index.size(1)}, task_subgraphs={self.task_subgraphs})")
