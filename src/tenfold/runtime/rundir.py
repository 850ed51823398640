"""Run directories: ``runs/<recipe>/<timestamp>/`` with config, metrics, results and checkpoints.

Layout::

    config.json        recipe, preset, dataset, seeds and every setting (written first)
    metrics.jsonl      one JSON object per logged step: {"seed", "method", "step", ...metrics}
    seeds/seed-N.json  the finished result of one seed (what --resume skips)
    summary.json       mean ± std over seeds and paired differences (deterministic: no timings)
    timings.json       wall-clock measurements, kept apart so summaries compare bit for bit
    figures/*.png      figures of the run
    checkpoints/       resumable state, per seed

Every file except the append-only ``metrics.jsonl`` is written atomically.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tenfold.errors import ConfigError
from tenfold.runtime.io import read_json, write_json


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
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: config.json is unreadable ({exc})") from None
        if not isinstance(config, dict) or "recipe" not in config or "settings" not in config:
            raise ConfigError(f"{path}: config.json was not written by `tenfold run`")
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
        path = self.seed_path(seed)
        return read_json(path) if path.exists() else None

    def write_seed_result(self, seed: int, result: dict[str, Any]) -> None:
        write_json(self.seed_path(seed), result)

    def read_summary(self) -> dict[str, Any]:
        return read_json(self.summary_path)

    @property
    def finished(self) -> bool:
        return self.summary_path.exists()
