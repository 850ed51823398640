"""Classification accuracy: the one top-1 accuracy every recipe and library module uses.

Top-1 accuracy of class scores ``s`` (``[N, C]`` logits or probabilities) against labels ``y``::

    acc = (1 / N) * sum_i [ argmax_c s[i, c] == y[i] ]

computed from integer counts and divided once in double precision, so that the same predictions
give the same number whichever way they are batched (a float32 ``.mean()`` would round
differently from one batching to another). ``argmax`` takes the first maximum on ties, as
:func:`torch.argmax` does.

* :func:`accuracy` — from scores and labels you already have (tensors);
* :func:`count_correct` — the ``(correct, total)`` counts, to accumulate over batches yourself;
* :func:`model_accuracy` — runs a model (in eval mode, without gradients, restoring its mode)
  over an input tensor in slices of ``batch_size``, or over any iterable of batches (``(x, y)``
  pairs, or PyG ``Batch`` objects with ``.y`` and a ``forward(model, batch)`` of your choice).

An empty input has no accuracy: :func:`accuracy` and :func:`model_accuracy` return ``nan``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["accuracy", "count_correct", "model_accuracy"]


def count_correct(scores: Tensor, target: Tensor) -> tuple[int, int]:
    """``(number of rows whose argmax equals the label, number of rows)``.

    ``scores``: ``[N, C]`` (or ``[C]`` for one sample); ``target``: ``[N]`` integer labels (on
    any device: compared on ``scores``' device).
    """
    if scores.dim() == 1:
        scores = scores.unsqueeze(0)
    if scores.dim() != 2:
        raise ValueError(f"scores: expected [N, C] class scores, got shape {tuple(scores.shape)}")
    target = target.reshape(-1)
    if target.numel() != scores.size(0):
        raise ValueError(f"target: expected {scores.size(0)} labels (one per row of scores), "
                         f"got {target.numel()}")
    if target.is_floating_point() or target.dtype == torch.bool:
        raise ValueError(f"target: expected integer class labels, got dtype {target.dtype}")
    correct = int((scores.argmax(dim=1) == target.to(scores.device)).sum())
    return correct, int(target.numel())


def accuracy(scores: Tensor, target: Tensor) -> float:
    """Top-1 accuracy (a fraction in ``[0, 1]``) of ``scores [N, C]`` against ``target [N]``;
    ``nan`` when ``N == 0``."""
    correct, total = count_correct(scores, target)
    return correct / total if total else math.nan


def _xy(batch: Any) -> tuple[Any, Tensor]:
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    if hasattr(batch, "y"):
        return batch, batch.y
    raise ValueError("batches: expected (x, y) pairs or objects with a .y attribute (PyG "
                     f"Batch), got {type(batch).__name__}")


@torch.no_grad()
def model_accuracy(model: nn.Module, data: Tensor | Iterable[Any], labels: Tensor | None = None,
                   *, batch_size: int = 1000, device: torch.device | str | None = None,
                   forward: Callable[[nn.Module, Any], Tensor] | None = None) -> float:
    """Top-1 accuracy of ``model`` in eval mode (its training mode is restored afterwards).

    ``data`` is either an input tensor ``[N, ...]`` with ``labels [N]`` (fed in slices of
    ``batch_size``), or an iterable of batches — ``(x, y)`` pairs or objects with ``.y`` such as
    PyG ``Batch`` — with ``labels=None``. Inputs are moved to ``device`` (when given) before
    ``forward(model, x)`` (default ``model(x)``) gives the ``[B, C]`` scores. The result is
    ``sum(correct) / sum(count)`` over all batches (``nan`` for no samples).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size: expected >= 1, got {batch_size}")
    call = forward if forward is not None else (lambda m, x: m(x))
    if isinstance(data, Tensor):
        if labels is None:
            raise ValueError("labels: expected a label tensor when data is an input tensor")
        if len(labels) != len(data):
            raise ValueError(f"labels: expected {len(data)} labels (one per input), "
                             f"got {len(labels)}")
        batches: Iterable[Any] = ((data[i:i + batch_size], labels[i:i + batch_size])
                                  for i in range(0, len(data), batch_size))
    elif labels is not None:
        raise ValueError("labels: give labels only with an input tensor (batches carry their own)")
    else:
        batches = data
    was_training = model.training
    model.eval()
    try:
        correct = total = 0
        for batch in batches:
            x, y = _xy(batch)
            if device is not None:
                x = x.to(device)
            c, n = count_correct(call(model, x), y)
            correct += c
            total += n
    finally:
        model.train(was_training)
    return correct / total if total else math.nan
