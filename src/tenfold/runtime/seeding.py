"""Seeding and random-state capture (python, numpy, torch), for reproducible and resumable runs."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed python's ``random``, numpy's global generator and torch (CPU and all CUDA devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def make_generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A fresh ``torch.Generator`` on ``device`` seeded with ``seed`` (library code takes these)."""
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    return gen


def stream_seed(seed: int, offset: int = 0) -> int:
    """The seed of random stream ``offset`` of run seed ``seed``: ``seed * 1_000_003 + offset``
    (a prime stride, so the streams of different run seeds do not meet for offsets below it).
    :meth:`tenfold.runtime.context.RunContext.generator` draws from these; code that must
    rebuild a recipe's stream outside a run (a benchmark) uses the same function."""
    return seed * 1_000_003 + offset


def worker_init_fn(worker_id: int) -> None:
    """``DataLoader`` worker initialiser: derive python/numpy seeds from torch's per-worker seed."""
    seed = torch.initial_seed() % 2**32
    random.seed(seed + worker_id)
    np.random.seed((seed + worker_id) % 2**32)


def capture_rng_state() -> dict[str, Any]:
    """Snapshot every global random state, so a resumed run continues the same random stream."""
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Inverse of :func:`capture_rng_state`."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
