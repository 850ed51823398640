"""Finished runs as data: read a run directory from Python, as a table or a CSV file.

::

    from tenfold.results import load_run
    run = load_run("runs/gnn-baselines/20261203-101500")
    run.to_frame().query("metric == 'test_acc'").groupby("method").value.agg(["mean", "std"])

:func:`load_run` returns a :class:`Run` with the run's ``config`` (``config.json``), the
``per_seed`` metrics (``seeds/seed-N.json``), the learning ``curves`` (``metrics.jsonl``) and the
``summary`` (``summary.json``; ``None`` while the run is unfinished). :meth:`Run.to_frame` is a
long pandas table with one row per (seed, method, metric) — pandas is the optional extra
``results`` (``pip install 'tenfold[results]'``) — and :meth:`Run.to_csv` writes the same table
without pandas. A missing or damaged file is one :class:`tenfold.errors.TenfoldError` that names
it.

Merging seed shards and comparing runs: :func:`merge_runs` (``tenfold merge``) and
:func:`compare_runs` (``tenfold compare``).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenfold.runtime.compare import Comparison, compare_runs
from tenfold.runtime.io import read_json, write_text
from tenfold.runtime.merge import merge_runs
from tenfold.runtime.rundir import DamagedFileError, RunDir

__all__ = ["Comparison", "Run", "compare_runs", "load_run", "merge_runs"]

#: the columns of :meth:`Run.to_frame` and :meth:`Run.to_csv`
COLUMNS = ("seed", "method", "metric", "value")
#: the columns of :meth:`Run.curves_frame`
CURVE_COLUMNS = ("seed", "method", "step", "metric", "value")


@dataclass(frozen=True)
class Run:
    """One run directory, read once (see :func:`load_run`).

    Attributes:
        path: the run directory.
        config: ``config.json``: recipe, preset, dataset, seeds, settings, machine, ...
        per_seed: ``{seed: {method: {metric: value}}}`` of every finished seed.
        methods: the methods in the recipe's order.
        curves: the records of ``metrics.jsonl``: ``{"seed", "method", "step", metric: value}``.
        summary: ``summary.json`` (mean ± std, paired differences), or ``None`` if unfinished.
        timings: ``timings.json`` (``{seed: {method: {name: seconds}}}``), or ``{}``.
    """

    path: Path
    config: dict[str, Any]
    per_seed: dict[int, dict[str, dict[str, float]]]
    methods: list[str]
    curves: list[dict[str, Any]]
    summary: dict[str, Any] | None
    timings: dict[str, Any]

    @property
    def recipe(self) -> str:
        return self.config["recipe"]

    @property
    def dataset(self) -> str | None:
        return self.config.get("dataset")

    @property
    def settings(self) -> dict[str, Any]:
        return self.config["settings"]

    @property
    def seeds(self) -> list[int]:
        """The seeds with a stored result (all of ``config["seeds"]`` once finished)."""
        return sorted(self.per_seed)

    @property
    def finished(self) -> bool:
        return self.summary is not None

    def rows(self) -> list[tuple[int, str, str, float]]:
        """``(seed, method, metric, value)`` for every stored number: seeds ascending, methods
        in the recipe's order, metrics in the order the recipe returned them."""
        return [(seed, method, metric, value)
                for seed in self.seeds
                for method in self.methods if method in self.per_seed[seed]
                for metric, value in self.per_seed[seed][method].items()]

    def to_frame(self):
        """A long ``pandas.DataFrame`` with columns ``seed, method, metric, value`` (one row per
        seed × method × metric). Needs pandas (the ``results`` extra)."""
        pd = _pandas("to_frame")
        return pd.DataFrame(self.rows(), columns=list(COLUMNS))

    def curves_frame(self):
        """The learning curves as a long ``pandas.DataFrame``: ``seed, method, step, metric,
        value`` (one row per logged number). Needs pandas (the ``results`` extra)."""
        pd = _pandas("curves_frame")
        rows = [(rec["seed"], rec["method"], rec["step"], key, value)
                for rec in self.curves for key, value in rec.items()
                if key not in {"seed", "method", "step"}]
        return pd.DataFrame(rows, columns=list(CURVE_COLUMNS))

    def to_csv(self, path: str | Path) -> Path:
        """Write :meth:`rows` as CSV with a header (``seed,method,metric,value``; the values as
        Python's ``repr``, so they read back exactly). Works without pandas; written atomically."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows((s, m, k, repr(float(v))) for s, m, k, v in self.rows())
        path = Path(path)
        write_text(path, buffer.getvalue())
        return path


def _pandas(what: str):
    try:
        import pandas
    except ImportError:
        raise ImportError(f"Run.{what}() needs pandas, which is not installed: pip install "
                          "'tenfold[results]' (Run.to_csv() and Run.rows() work without it)"
                          ) from None
    return pandas


def load_run(path: str | Path) -> Run:
    """Read the run directory ``path`` (finished or not).

    Raises :class:`tenfold.errors.TenfoldError` (a ``ConfigError``) naming the file when
    ``path`` is not a run directory or one of its files cannot be read.
    """
    run_dir = RunDir.open(path)
    config = run_dir.read_config()
    per_seed: dict[int, dict[str, dict[str, float]]] = {}
    methods: list[str] = []
    for seed in config["seeds"]:
        result = run_dir.seed_result(seed)  # damaged -> DamagedFileError naming the file
        if result is None:
            continue
        metrics = result["metrics"]
        if not all(isinstance(m, dict) for m in metrics.values()):
            raise DamagedFileError(f"{run_dir.seed_path(seed)} is damaged (expected "
                                   "{method: {metric: number}})")
        per_seed[seed] = metrics
        for method in result.get("methods", metrics):
            if method not in methods:
                methods.append(method)
    summary = run_dir.read_summary() if run_dir.finished else None
    if summary is not None:
        methods = list(summary["methods"]) + [m for m in methods if m not in summary["methods"]]
    try:
        curves = run_dir.read_metrics()
    except (OSError, UnicodeDecodeError) as exc:
        raise DamagedFileError(f"{run_dir.metrics_path} cannot be read ({exc})") from None
    timings: dict[str, Any] = {}
    if run_dir.timings_path.exists():
        try:
            timings = read_json(run_dir.timings_path)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DamagedFileError(f"{run_dir.timings_path} is damaged ({exc})") from None
    return Run(run_dir.path, config, per_seed, methods, curves, summary, timings)
