"""Wall-clock timing that is fair between methods run side by side on a shared machine.

Methods compared on time (one-stage against two-stage GAN training, SnapMix against CutMix) are
run *interleaved*: one step of each in turn, in one process, so that every method sees the same
machine load; each timed block is bracketed by a device synchronisation so that GPU work is
counted where it happens.

* :func:`synchronize` — wait for the device (a no-op on CPU).
* :func:`interleaved_timer` — ``with interleaved_timer(device) as elapsed: ...; elapsed()``.
* :func:`interleaved_times` — time several callables round-robin; seconds per call of each.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import torch

__all__ = ["interleaved_timer", "interleaved_times", "synchronize"]


def synchronize(device: torch.device | str | None) -> None:
    """Wait until ``device`` has finished its queued work (CUDA); nothing on CPU."""
    device = torch.device(device) if device is not None else None
    if device is not None and device.type == "cuda":
        torch.cuda.synchronize(device)


@contextmanager
def interleaved_timer(device: torch.device | str | None = None) -> Iterator[Callable[[], float]]:
    """Time a block between two synchronisations of ``device``; the yielded function returns the
    seconds once the block has ended."""
    seconds: list[float] = []
    synchronize(device)
    start = time.perf_counter()
    try:
        yield lambda: seconds[0]
    finally:
        synchronize(device)
        seconds.append(time.perf_counter() - start)


def interleaved_times(calls: Mapping[str, Callable[[], object]], repeats: int,
                      warmup: int = 1, device: torch.device | str | None = None
                      ) -> dict[str, list[float]]:
    """Seconds of each of ``calls`` over ``repeats`` rounds, run round-robin (``a b c a b c
    ...``) after ``warmup`` untimed rounds, so that every call sees the same machine load."""
    if repeats < 1 or warmup < 0:
        raise ValueError(f"repeats must be >= 1 and warmup >= 0, got {repeats}, {warmup}")
    for _ in range(warmup):
        for fn in calls.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, fn in calls.items():
            with interleaved_timer(device) as elapsed:
                fn()
            times[name].append(elapsed())
    return times
