"""Endless mini-batches of images from a tensor, a dataset or a loader (labels are dropped)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from tenfold.loops import rank_share


def _images_only(batch: Any) -> torch.Tensor:
    if isinstance(batch, list | tuple):
        batch = batch[0]
    if not isinstance(batch, torch.Tensor):
        raise TypeError(f"expected image tensors from the data, got {type(batch).__name__}")
    return batch


def as_image_tensor(data: torch.Tensor | Dataset) -> torch.Tensor:
    """Stack a (small, few-shot) dataset's images into one ``(N, C, H, W)`` tensor; any label
    an item carries is ignored."""
    if isinstance(data, torch.Tensor):
        images = data
    else:
        images = torch.stack([_images_only(data[i]) for i in range(len(data))])
    if images.dim() != 4:
        raise ValueError(f"expected images of shape (N, C, H, W), got {tuple(images.shape)}")
    return images


class ShuffledBatches:
    """Endless mini-batches of rows of ``items`` (a tensor), reshuffled with ``generator`` every
    pass; the last, short batch of a pass is kept (``DataLoader(drop_last=False)``).

    ``transform(batch, generator)`` (an augmentation) is applied to every batch, drawing from the
    same generator after the pass's permutation, exactly like a generator function that
    yields ``items[order[start:start + batch_size]]``. Unlike such a function its position can be
    saved and restored (:meth:`state_dict`), so a training loop that uses it can be resumed.

    Data-parallel use: with ``world > 1`` every rank draws (and transforms) the same global batch
    of ``batch_size × world`` items and returns its :func:`rank_share`.
    """

    def __init__(self, items: torch.Tensor, batch_size: int,
                 generator: torch.Generator | None = None,
                 transform: Callable[..., torch.Tensor] | None = None,
                 device: torch.device | str | None = None, rank: int = 0, world: int = 1):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if len(items) == 0:
            raise ValueError("cannot draw batches from an empty set")
        self.items, self.batch_size, self.generator = items, batch_size, generator
        self.transform, self.device = transform, device
        rank_share(items[:0], rank, world)          # checks the rank
        self.rank, self.world, self.global_batch = rank, world, batch_size * world
        self.order: torch.Tensor | None = None
        self.position = 0

    def __iter__(self) -> ShuffledBatches:
        return self

    def __next__(self) -> torch.Tensor:
        if self.order is None or self.position >= len(self.items):
            self.order = torch.randperm(len(self.items), generator=self.generator)
            self.position = 0
        x = self.items[self.order[self.position:self.position + self.global_batch]]
        self.position += self.global_batch
        if self.transform is not None:
            x = self.transform(x, self.generator)
        x = rank_share(x, self.rank, self.world)
        return x if self.device is None else x.to(self.device)

    def state_dict(self) -> dict[str, Any]:
        return {"order": self.order, "position": self.position,
                "generator": None if self.generator is None else self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.order, self.position = state["order"], int(state["position"])
        if self.generator is not None and state["generator"] is not None:
            self.generator.set_state(state["generator"])


def image_batches(data: torch.Tensor | Dataset | DataLoader, batch_size: int,
                  generator: torch.Generator | None = None,
                  augment: Callable[..., torch.Tensor] | None = None,
                  device: torch.device | str = "cpu", rank: int = 0,
                  world: int = 1) -> Iterator[torch.Tensor]:
    """Yield augmented image batches forever.

    A tensor or a map-style dataset is reshuffled with ``generator`` every pass (the last, short
    batch is kept, as in ``DataLoader(drop_last=False)``) by a resumable
    :class:`ShuffledBatches`; a ``DataLoader`` is iterated as is (not resumable).
    ``augment(x, generator)`` is applied to every batch. ``rank``/``world``: each rank gets its
    share of a global batch of ``batch_size × world`` (tensors and datasets only).
    """
    if not isinstance(data, DataLoader):
        images = as_image_tensor(data)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        return ShuffledBatches(images, batch_size, generator, augment, device, rank, world)
    if world > 1:
        raise ValueError("a DataLoader cannot be split across ranks here; pass a tensor")

    def loader_batches() -> Iterator[torch.Tensor]:
        while True:
            for batch in data:
                x = _images_only(batch)
                if augment is not None:
                    x = augment(x, generator)
                yield x.to(device)
    return loader_batches()
