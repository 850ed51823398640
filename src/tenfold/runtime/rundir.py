"""Run directories: ``runs/<recipe>/<timestamp>/`` with config, metrics, results and checkpoints.

Layout::

    config.json        recipe, preset, dataset, seeds and every setting (written first)
    metrics.jsonl      one JSON object per logged step: {"seed", "method", "step", ...metrics}
    seeds/seed-N.json  the finished result of one seed (what --resume skips)
    summary.json       mean ± std over seeds and paired differences (deterministic: no timings)
    timings.json       wall-clock measurements, kept apart so summaries compare bit for bit
    figures/*.png      figures of the run
    checkpoints/       resumable state, per seed (dropped when the run finishes, unless kept)
    run.lock           held (``flock``) by the one process running the folder; gone when done

Every file except the append-only ``metrics.jsonl`` is written atomically. A damaged file is
reported by name with the way to recover (``tenfold run --resume`` recomputes what it can).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tenfold.errors import ConfigError
from tenfold.runtime.io import read_json, write_json

log = logging.getLogger(__name__)


class DamagedFileError(ConfigError):
    """A run file exists but cannot be read (truncated, not JSON, wrong content)."""


class RunDir:
    """One run's folder. Only the writing process (rank 0) should call the ``write_*`` methods."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    # -- creation and opening ----------------------------------------------------------------
    @classmethod
    def create(cls, out_root: str | Path, recipe: str) -> RunDir:
        """A fresh, never-used folder ``<out_root>/<recipe>/<UTC timestamp>[-k]``."""
        base = Path(out_root) / recipe
        base.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        for k in range(1000):
            path = base / (stamp if k == 0 else f"{stamp}-{k}")
            try:
                path.mkdir()
            except FileExistsError:
                continue
            return cls(path)
        raise ConfigError(f"could not create a new run folder under {base}")

    @classmethod
    def open(cls, path: str | Path) -> RunDir:
        """Open an existing run folder; refuse anything that is not one."""
        run = cls(path)
        if not run.path.is_dir():
            raise ConfigError(f"{path}: not a run directory (no such folder)")
        if not run.config_path.is_file():
            raise ConfigError(f"{path}: not a run directory (no config.json; expected a folder "
                              "written by `tenfold run`)")
        try:
            config = run.read_config()
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DamagedFileError(
                f"{run.config_path} is damaged ({exc}); it holds the run's settings and cannot "
                "be recomputed: start the run again with `tenfold run`") from None
        if not isinstance(config, dict) or not isinstance(config.get("recipe"), str) \
                or not isinstance(config.get("settings"), dict) \
                or not isinstance(config.get("seeds"), list) \
                or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                           for s in config["seeds"]):
            raise DamagedFileError(
                f"{run.config_path} was not written by `tenfold run` (expected recipe, seeds and "
                "settings): start the run again with `tenfold run`")
        return run

    # -- paths --------------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def summary_path(self) -> Path:
        return self.path / "summary.json"

    @property
    def timings_path(self) -> Path:
        return self.path / "timings.json"

    @property
    def figures_dir(self) -> Path:
        return self.path / "figures"

    def checkpoint_dir(self, seed: int) -> Path:
        return self.path / "checkpoints" / f"seed-{seed}"

    def seed_path(self, seed: int) -> Path:
        return self.path / "seeds" / f"seed-{seed}.json"

    # -- reading and writing ------------------------------------------------------------------
    def read_config(self) -> dict[str, Any]:
        return read_json(self.config_path)

    def write_config(self, config: dict[str, Any]) -> None:
        write_json(self.config_path, config)

    def append_metrics(self, record: dict[str, Any]) -> None:
        with open(self.metrics_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, sort_keys=True) + "\n")
            fh.flush()

    def read_metrics(self) -> list[dict[str, Any]]:
        """Logged records; a line cut by a killed process is skipped, and a step logged again
        after a resume replaces the earlier record of the same (seed, method, step)."""
        if not self.metrics_path.exists():
            return []
        latest: dict[tuple, dict[str, Any]] = {}
        for line in self.metrics_path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            latest[(rec.get("seed"), rec.get("method"), rec.get("step"))] = rec
        return list(latest.values())

    def seed_result(self, seed: int) -> dict[str, Any] | None:
        """The stored result of ``seed``, or ``None``; :class:`DamagedFileError` if unreadable."""
        path = self.seed_path(seed)
        if not path.exists():
            return None
        data = self._read_json(path, "run `tenfold run --resume {run}` to recompute that seed")
        if not (isinstance(data, dict) and isinstance(data.get("metrics"), dict)):
            raise DamagedFileError(f"{path} is damaged (no metrics); run `tenfold run --resume "
                                   f"{self.path}` to recompute that seed")
        return data

    def _read_json(self, path: Path, remedy: str) -> Any:
        try:
            return read_json(path)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DamagedFileError(f"{path} is damaged ({exc}); "
                                   + remedy.format(run=self.path)) from None

    def write_seed_result(self, seed: int, result: dict[str, Any]) -> None:
        write_json(self.seed_path(seed), result)

    def read_summary(self) -> dict[str, Any]:
        data = self._read_json(self.summary_path,
                               "run `tenfold run --resume {run}` to rebuild it from the seeds")
        keys = ("recipe", "dataset", "seeds", "methods", "aggregate", "primary_metric",
                "baseline", "paired_vs_baseline")
        if not isinstance(data, dict) or any(k not in data for k in keys):
            raise DamagedFileError(f"{self.summary_path} is damaged (not a run summary); run "
                                   f"`tenfold run --resume {self.path}` to rebuild it")
        return data

    @property
    def finished(self) -> bool:
        return self.summary_path.exists()

    # -- the lock -----------------------------------------------------------------------------
    @property
    def lock_path(self) -> Path:
        return self.path / "run.lock"

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold ``run.lock`` while running: a second process on the same folder is refused with
        the holder's pid and host. The lock is an ``flock``, so the kernel frees it when its
        process dies: a lock file left by a killed run is taken over (and said so)."""
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
                os.close(fd)
                raise ConfigError(f"{self.path} is being run by {holder} (lock {self.lock_path}); "
                                  "wait for it to finish or stop that process") from None
            try:  # the holder may have removed the file between our open and flock: retry
                same = os.path.samestat(os.fstat(fd), os.stat(self.lock_path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        stale = os.read(fd, 200).decode(errors="replace").strip()
        if stale:
            log.warning("taking over %s from %s, which is no longer running", self.lock_path,
                        stale)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                self.lock_path.unlink()
            os.close(fd)
