"""The object a recipe receives for one seed: device, Fabric, logging, checkpoints, timings."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import torch
from lightning_fabric import Fabric
from tqdm.auto import tqdm

from tenfold.loops import Stepper
from tenfold.runtime.io import read_json, save_torch, write_json
from tenfold.runtime.rundir import RunDir
from tenfold.runtime.seeding import (
    capture_rng_state,
    make_generator,
    restore_rng_state,
    stream_seed,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Test hook: ``TENFOLD_FAULT_AFTER_STEPS=k`` makes :meth:`RunContext.fit` save a checkpoint and
#: raise :class:`InjectedFault` after the k-th step driven in one seed, ``KEY:k`` after the k-th
#: step of the loop fitted under ``KEY`` (a kill right after a checkpoint, inside a method), so
#: tests can check that resuming gives the uninterrupted result.
FAULT_ENV = "TENFOLD_FAULT_AFTER_STEPS"

__all__ = ["FAULT_ENV", "InjectedFault", "RunContext", "Stepper"]


class InjectedFault(RuntimeError):
    """Raised by :meth:`RunContext.fit` when the ``TENFOLD_FAULT_AFTER_STEPS`` hook fires."""


class RunContext:
    """Everything a recipe needs for one seed, so that recipes never touch files themselves.

    Only rank 0 writes; on other ranks every write is a no-op and reads see rank 0's files.
    """

    def __init__(self, run_dir: RunDir, seed: int, fabric: Fabric):
        self.run_dir = run_dir
        self.seed = seed
        self.fabric = fabric
        self.timings: dict[str, dict[str, float]] = {}
        self.steps_driven = 0          # steps run through fit() in this seed (all methods)
        fault = os.environ.get(FAULT_ENV, "").strip()
        key, _, steps = fault.rpartition(":")
        self._fault = (key or None, int(steps)) if fault else None

    @property
    def device(self) -> torch.device:
        return self.fabric.device

    @property
    def is_rank_zero(self) -> bool:
        return self.fabric.global_rank == 0

    @property
    def figures_dir(self) -> Path:
        path = self.run_dir.figures_dir
        if self.is_rank_zero:
            path.mkdir(parents=True, exist_ok=True)
        return path

    def generator(self, offset: int = 0, device: str | torch.device = "cpu") -> torch.Generator:
        """A ``torch.Generator`` seeded from this run's seed (``offset`` separates streams)."""
        return make_generator(stream_seed(self.seed, offset), device)

    # -- metrics and timings ------------------------------------------------------------------
    def log(self, method: str, step: int, **metrics: float) -> None:
        """Append one record to ``metrics.jsonl`` (learning curves in the report read these)."""
        if self.is_rank_zero:
            record = {"seed": self.seed, "method": method, "step": int(step)}
            record.update({k: float(v) for k, v in metrics.items()})
            self.run_dir.append_metrics(record)

    def record_timing(self, method: str, name: str, seconds: float) -> None:
        """Store a wall-clock measurement (kept out of ``summary.json``)."""
        self.timings.setdefault(method, {})[name] = float(seconds)

    @contextmanager
    def timed(self, method: str, name: str) -> Iterator[None]:
        """``with ctx.timed("gat", "train_s"): ...`` records the block's wall time."""
        start = time.perf_counter()
        yield
        self.record_timing(method, name, time.perf_counter() - start)

    def progress(self, iterable: Iterable[T], desc: str, total: int | None = None) -> Iterable[T]:
        """A progress bar on rank 0 when attached to a terminal; the bare iterable otherwise."""
        return tqdm(iterable, desc=desc, total=total, leave=False,
                    disable=None if self.is_rank_zero else True)

    # -- checkpoints --------------------------------------------------------------------------
    def _ckpt_path(self, key: str, suffix: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in key)
        return self.run_dir.checkpoint_dir(self.seed) / f"{safe}{suffix}"

    def save_checkpoint(self, key: str, state: dict[str, Any]) -> None:
        """Atomically save ``state`` plus every global random state under ``key``."""
        if self.is_rank_zero:
            save_torch(self._ckpt_path(key, ".pt"), {"state": state, "rng": capture_rng_state()})
        self.fabric.barrier()

    def _exists(self, path: Path) -> bool:
        """Whether ``path`` exists as rank 0 sees it, the same answer on every rank.

        Under torchrun a rank that lags behind (replicated work has no collective to hold the
        ranks together) could otherwise find a file that rank 0 wrote in this very run, resume
        from it or skip its computation, and so call fewer collectives than the others: the run
        would deadlock. The broadcast also holds rank 0 until every rank has asked."""
        exists = path.exists()
        if self.fabric.world_size > 1:
            exists = bool(self.fabric.broadcast(exists, src=0))
        return exists

    def load_checkpoint(self, key: str) -> dict[str, Any] | None:
        """The last state saved under ``key`` (restoring the random streams), or ``None``."""
        path = self._ckpt_path(key, ".pt")
        if not self._exists(path):
            return None
        blob = torch.load(path, map_location=self.device, weights_only=False)
        restore_rng_state(blob["rng"])
        log.info("resumed %s (seed %d) from %s", key, self.seed, path)
        return blob["state"]

    def fit(self, key: str, trainer: Stepper, checkpoint_every: int = 25,
            log: bool = True) -> Stepper:
        """Drive ``trainer.step()`` to the end, logging every step's metrics under method ``key``
        (unless ``log=False`` or a step returns none) and checkpointing every
        ``checkpoint_every`` steps; a resumed run continues from the last checkpoint with the
        same random stream, so its result equals an uninterrupted run's.

        The one training-loop protocol of tenfold: build the model, optimiser and data, wrap the
        loop body in a :class:`~tenfold.loops.Stepper` (its backward pass through
        ``ctx.fabric.backward``), ``ctx.fit`` it, then read the result from the stepper."""
        state = self.load_checkpoint(key)
        if state is not None:
            trainer.load_state_dict(state)
        bar = self.progress(range(trainer.epoch, trainer.max_epochs), desc=key)
        steps_here = 0
        for step in bar:
            if trainer.stopped:
                break
            metrics = trainer.step()
            if log and metrics:
                self.log(key, step, **metrics)
            self.steps_driven += 1
            steps_here += 1
            if checkpoint_every and (step + 1) % checkpoint_every == 0:
                self.save_checkpoint(key, trainer.state_dict())
            if self._fault is not None and (
                    (self._fault[0] is None and self.steps_driven >= self._fault[1])
                    or (self._fault[0] == key and steps_here >= self._fault[1])):
                self.save_checkpoint(key, trainer.state_dict())
                raise InjectedFault(f"{FAULT_ENV}: stopped after step {trainer.epoch} of "
                                    f"{key!r} (seed {self.seed})")
        return trainer

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """Run ``compute()`` once per seed: its JSON-able result is stored and reused on resume."""
        path = self._ckpt_path(key, ".json")
        if self._exists(path):
            return read_json(path)
        result = compute()
        if self.is_rank_zero:
            write_json(path, result)
        return result
