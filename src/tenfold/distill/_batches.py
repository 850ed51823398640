"""Endless mini-batches of images from a tensor, a dataset or a loader (labels are dropped)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset


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


def image_batches(data: torch.Tensor | Dataset | DataLoader, batch_size: int,
                  generator: torch.Generator | None = None,
                  augment: Callable[..., torch.Tensor] | None = None,
                  device: torch.device | str = "cpu") -> Iterator[torch.Tensor]:
    """Yield augmented image batches forever.

    A tensor or a map-style dataset is reshuffled with ``generator`` every pass (the last, short
    batch is kept, as in ``DataLoader(drop_last=False)``); a ``DataLoader`` is iterated as is.
    ``augment(x, generator)`` is applied to every batch.
    """
    if isinstance(data, DataLoader):
        def raw() -> Iterator[torch.Tensor]:
            while True:
                for batch in data:
                    yield _images_only(batch)
    else:
        images = as_image_tensor(data)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")

        def raw() -> Iterator[torch.Tensor]:
            while True:
                order = torch.randperm(len(images), generator=generator)
                for start in range(0, len(images), batch_size):
                    yield images[order[start:start + batch_size]]
    for x in raw():
        if augment is not None:
            x = augment(x, generator)
        yield x.to(device)
