"""Fast mini-batches of graphs held in one collated ``InMemoryDataset``.

:class:`GraphBatcher` slices batches straight from the dataset's collated storage (on any device)
instead of building one ``Data`` object per graph, with exactly the order and random draws of
``torch_geometric.loader.DataLoader``; :func:`materialize` applies a dataset's ``transform`` once
so that the batcher can slice the transformed graphs.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch_geometric.data import Batch, InMemoryDataset

__all__ = ["GraphBatcher", "materialize"]


class GraphBatcher:
    """Fast mini-batches of an ``InMemoryDataset``, sliced from its collated storage on ``device``.

    Yields the same batches, in the same order, as ``torch_geometric.loader.DataLoader(dataset,
    batch_size, shuffle, generator=generator, drop_last=drop_last)`` (it draws from ``generator``
    exactly as the DataLoader does: a 64-bit base seed and two ``randperm`` per epoch), without
    building a ``Data`` object per graph — the per-graph collation would dominate the step time.
    The dataset's ``transform`` is not applied (see :func:`materialize`).
    """

    def __init__(self, dataset, batch_size: int, shuffle: bool = False,
                 generator: torch.Generator | None = None, device: str | torch.device = "cpu",
                 keys: tuple[str, ...] = ("x", "edge_index", "y", "gt_edge_factor"),
                 drop_last: bool = False):
        store, slices = dataset._data, dataset.slices
        idx = torch.as_tensor(dataset._indices if dataset._indices is not None
                              else range(len(dataset)), dtype=torch.long)
        self.keys = [k for k in keys if k in slices]
        self.store = {k: store[k].to(device) for k in self.keys}
        self.starts = {k: slices[k][idx].to(device) for k in self.keys}
        self.counts = {k: (slices[k][idx + 1] - slices[k][idx]).to(device) for k in self.keys}
        self.num_graphs, self.batch_size = len(idx), batch_size
        self.shuffle, self.generator, self.device = shuffle, generator, device
        self.drop_last = drop_last

    def __len__(self) -> int:
        if self.drop_last:
            return self.num_graphs // self.batch_size
        return math.ceil(self.num_graphs / self.batch_size)

    @staticmethod
    def _ranges(starts: Tensor, counts: Tensor) -> Tensor:
        total = int(counts.sum())
        offsets = torch.cumsum(counts, 0) - counts
        return torch.repeat_interleave(starts - offsets, counts) + torch.arange(
            total, device=counts.device)

    def batch(self, ids: Tensor) -> Batch:
        ids = ids.to(self.device)
        out = {}
        n_cnt = self.counts["x"][ids]
        for k in self.keys:
            cat_dim = -1 if k == "edge_index" else 0
            rows = self._ranges(self.starts[k][ids], self.counts[k][ids])
            out[k] = self.store[k].index_select(cat_dim, rows)
        if "edge_index" in out:
            node_off = torch.cumsum(n_cnt, 0) - n_cnt
            out["edge_index"] = out["edge_index"] + torch.repeat_interleave(
                node_off, self.counts["edge_index"][ids])
        graph = torch.repeat_interleave(torch.arange(len(ids), device=self.device), n_cnt)
        ptr = torch.cat([n_cnt.new_zeros(1), torch.cumsum(n_cnt, 0)])
        return Batch(batch=graph, ptr=ptr, **out, _num_graphs=len(ids))

    def __iter__(self):
        if self.shuffle:
            torch.empty((), dtype=torch.int64).random_(generator=self.generator)  # base seed
            order = torch.randperm(self.num_graphs, generator=self.generator)
        else:
            order = torch.arange(self.num_graphs)
        for i in range(0, len(self) * self.batch_size, self.batch_size):
            yield self.batch(order[i:i + self.batch_size])
        if self.shuffle:   # RandomSampler draws one more (empty) permutation when exhausted
            torch.randperm(self.num_graphs, generator=self.generator)


class _Collated(InMemoryDataset):
    """An in-memory dataset holding already transformed graphs (no root, no files)."""

    def __init__(self, graphs: list):
        super().__init__()
        self._data, self.slices = self.collate(graphs)


def materialize(dataset) -> InMemoryDataset:
    """``dataset`` with its ``transform`` applied once to every graph, collated in memory.

    Lets :class:`GraphBatcher` slice the transformed graphs instead of transforming every graph
    again each time a loader touches it.
    """
    return _Collated([dataset[i] for i in range(len(dataset))])
