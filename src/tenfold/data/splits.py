"""Node splits for graphs that ship without one (and for generated graphs)."""

from __future__ import annotations

import torch
from torch_geometric.data import Data


def planetoid_style_masks(y: torch.Tensor, per_class: int, num_val: int, num_test: int,
                          generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor,
                                                               torch.Tensor]:
    """Boolean train/val/test masks: ``per_class`` training nodes of every class, then
    ``num_val`` validation and ``num_test`` test nodes drawn at random from the rest."""
    n = y.numel()
    train = torch.zeros(n, dtype=torch.bool)
    for c in y.unique():
        idx = (y == c).nonzero().view(-1)
        train[idx[torch.randperm(idx.numel(), generator=generator)[:per_class]]] = True
    rest = (~train).nonzero().view(-1)
    rest = rest[torch.randperm(rest.numel(), generator=generator)]
    if num_val + num_test > rest.numel():
        raise ValueError(f"asked for {num_val} validation + {num_test} test nodes but only "
                         f"{rest.numel()} nodes remain after the training nodes")
    val = torch.zeros(n, dtype=torch.bool)
    test = torch.zeros(n, dtype=torch.bool)
    val[rest[:num_val]] = True
    test[rest[num_val:num_val + num_test]] = True
    return train, val, test


def ensure_node_split(data: Data, per_class: int = 20, num_val: int = 500, num_test: int = 1000,
                      seed: int = 0) -> Data:
    """Return ``data`` with train/val/test masks; an existing split is kept as is.

    Amazon and Coauthor graphs have no public split: a fixed (``seed``) Planetoid-style split is
    drawn, as in Shchur et al. 2018, so every method and training seed sees the same nodes.
    """
    if all(hasattr(data, k) and data[k] is not None
           for k in ("train_mask", "val_mask", "test_mask")):
        return data
    gen = torch.Generator().manual_seed(seed)
    data = data.clone()
    data.train_mask, data.val_mask, data.test_mask = planetoid_style_masks(
        data.y, per_class, num_val, num_test, gen)
    return data
