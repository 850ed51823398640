"""Running a recipe: validate everything, create the run directory, loop over seeds, summarise.

``start_run`` and ``resume_run`` are what ``tenfold run`` calls; tests call them directly.
Under ``torchrun`` every process runs the same seeds through Lightning Fabric (DDP); only rank 0
writes, and the run directory's path is broadcast from rank 0.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import platform
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from tenfold import __version__
from tenfold.data.catalog import all_datasets, locate, missing_message
from tenfold.data.locate import check_cache
from tenfold.errors import ConfigError, DataNotFoundError, TenfoldError
from tenfold.runtime.config import (
    build_config,
    config_from_dict,
    config_to_dict,
    parse_overrides,
)
from tenfold.runtime.context import RunContext
from tenfold.runtime.device import make_fabric, resolve_device
from tenfold.runtime.figures import write_run_figures
from tenfold.runtime.io import read_json, write_json
from tenfold.runtime.registry import Recipe, get_recipe
from tenfold.runtime.rundir import DamagedFileError, RunDir
from tenfold.runtime.seeding import seed_everything
from tenfold.runtime.summary import summarize

log = logging.getLogger(__name__)


def plan_run(recipe_name: str, preset: str = "quick", dataset: str | None = None,
             seeds: list[int] | None = None, overrides: list[str] | None = None
             ) -> tuple[Recipe, Any, list[int]]:
    """Check a run request and return ``(recipe, config, seeds)``; raises before any write."""
    recipe = get_recipe(recipe_name)
    preset_values, preset_seeds = recipe.preset(preset)
    values = parse_overrides(recipe.config_cls, overrides or [])
    if dataset is not None:
        if dataset.lower() not in recipe.datasets:
            raise ConfigError(f"recipe {recipe.name!r} does not run on dataset {dataset!r}; "
                              f"its datasets: {', '.join(recipe.datasets)}")
        values["dataset"] = dataset.lower()
    elif "dataset" not in preset_values:
        values.setdefault("dataset", recipe.datasets[0])
    config = build_config(recipe.config_cls, preset_values, values)
    if config.dataset not in recipe.datasets:
        raise ConfigError(f"recipe {recipe.name!r} does not run on dataset {config.dataset!r}; "
                          f"its datasets: {', '.join(recipe.datasets)}")
    check = getattr(config, "validate", None)
    if callable(check):
        check()
    check_cache()
    _check_data_available(config)
    return recipe, config, list(seeds if seeds is not None else preset_seeds)


def _check_data_available(config: Any) -> None:
    """Refuse a run whose data is in none of the places searched, before anything is written.

    Every non-empty string setting whose name ends in ``dataset`` (``dataset``,
    ``pretrain_dataset``, ...) is checked; a name the catalog does not know is the recipe's own
    business."""
    datasets = all_datasets()
    for field in dataclasses.fields(config):
        name = getattr(config, field.name)
        if (field.name.endswith("dataset") and isinstance(name, str) and name in datasets
                and locate(name)[0] == "missing"):
            raise DataNotFoundError(missing_message(datasets[name], None))


def machine_info() -> dict[str, Any]:
    """The machine a run or benchmark used (recorded in config.json and benchmark results)."""
    info = {"platform": platform.platform(), "processor": _cpu_model(),
            "python": platform.python_version(), "torch": torch.__version__,
            "cpu_threads": torch.get_num_threads()}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def start_run(recipe_name: str, preset: str = "quick", dataset: str | None = None,
              seeds: list[int] | None = None, overrides: list[str] | None = None,
              out: str | Path = "runs", device: str = "auto", keep_checkpoints: bool = True,
              announce: Callable[[Path], None] | None = None,
              on_seed: Callable[[int, int], None] | None = None) -> Path:
    """Run a recipe in a new run directory and return its path.

    ``announce(path)`` is called once the folder exists (the CLI prints it), ``on_seed(i, n)``
    before the i-th of n seeds runs (progress); with ``keep_checkpoints=False`` the finished
    run drops ``checkpoints/``."""
    recipe, config, seed_list = plan_run(recipe_name, preset, dataset, seeds, overrides)
    fabric = make_fabric(resolve_device(device))
    path = None
    out_existed = Path(out).exists()
    if fabric.global_rank == 0:
        run_dir = _create(out, recipe.name)
        try:
            run_dir.write_config({
                "recipe": recipe.name, "preset": preset, "dataset": config.dataset,
                "seeds": seed_list, "settings": config_to_dict(config),
                "keep_checkpoints": keep_checkpoints,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "machine": machine_info(), "world_size": fabric.world_size,
                "tenfold_version": __version__,  # tenfold merge refuses mixed versions
            })
        except OSError as exc:
            _remove_unfinished(run_dir, None if out_existed else Path(out))
            raise ConfigError(f"cannot write the run directory {run_dir.path}: "
                              f"{exc.strerror or exc}") from None
        path = str(run_dir.path)
        if announce is not None:
            announce(run_dir.path)
    path = fabric.broadcast(path, src=0)
    run_dir = RunDir(path)
    try:
        with run_dir.lock() if fabric.global_rank == 0 else contextlib.nullcontext():
            return _execute(recipe, config, seed_list, run_dir, fabric, keep_checkpoints,
                            on_seed)
    except TenfoldError:
        # e.g. corrupt or missing data: a run that finished no seed leaves nothing behind
        if fabric.global_rank == 0 and not any(run_dir.seed_path(s).exists() for s in seed_list):
            _remove_unfinished(run_dir, None if out_existed else Path(out))
        raise


def _create(out: str | Path, recipe: str) -> RunDir:
    """``RunDir.create`` with one clear error for an unusable ``--out``."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is a file, expected a folder for the runs")
    existed = out.exists()
    try:
        return RunDir.create(out, recipe)
    except OSError as exc:
        if not existed:
            with contextlib.suppress(OSError):
                shutil.rmtree(out)
        raise ConfigError(f"--out {out}: cannot create a run folder there "
                          f"({exc.strerror or exc})") from None


def _remove_unfinished(run_dir: RunDir, new_out: Path | None) -> None:
    """Remove a run folder that finished nothing, its recipe's folder if now empty, and the
    ``--out`` folder if this run created it and it is now empty."""
    shutil.rmtree(run_dir.path, ignore_errors=True)
    with contextlib.suppress(OSError):
        run_dir.path.parent.rmdir()
        if new_out is not None:
            new_out.rmdir()


def open_run(path: str | Path) -> tuple[RunDir, dict[str, Any], Recipe, Any]:
    """Open a run directory and check its stored config: ``(run_dir, stored, recipe, config)``.

    A damaged ``config.json`` (unreadable, wrong keys, a value of the wrong type) is one
    :class:`ConfigError` naming the file."""
    run_dir = RunDir.open(path)
    stored = run_dir.read_config()
    recipe = get_recipe(stored["recipe"])
    config = config_from_dict(recipe.config_cls, stored["settings"],
                              where=f"{run_dir.config_path}: ")
    return run_dir, stored, recipe, config


def resume_run(path: str | Path, device: str = "auto",
               announce: Callable[[Path], None] | None = None,
               on_seed: Callable[[int, int], None] | None = None) -> Path:
    """Continue a killed run from its stored config, finished seeds and last checkpoints.

    Damaged files are recomputed where they can be: an unreadable seed result or checkpoint is
    dropped (that seed or method runs again), an unreadable ``summary.json`` is rebuilt."""
    run_dir, stored, recipe, config = open_run(path)
    fabric = make_fabric(resolve_device(device))
    with run_dir.lock() if fabric.global_rank == 0 else contextlib.nullcontext():
        if announce is not None:
            announce(run_dir.path)
        if run_dir.finished:
            try:
                run_dir.read_summary()
                log.info("%s is already finished; nothing to do", run_dir.path)
                return run_dir.path
            except DamagedFileError as exc:
                log.warning("%s; rebuilding it", exc)
        return _execute(recipe, config, list(stored["seeds"]), run_dir, fabric,
                        bool(stored.get("keep_checkpoints", True)), on_seed)


class _Context(RunContext):
    """A :class:`RunContext` whose timings survive a kill: every ``record_timing`` also
    rewrites ``checkpoints/seed-N/timings.json``, read back on resume, so ``timings.json`` of a
    resumed run has the same entries as an uninterrupted run's (a method interrupted mid-way
    times only its resumed part)."""

    def __init__(self, run_dir: RunDir, seed: int, fabric):
        super().__init__(run_dir, seed, fabric)
        path = self._timings_path
        if path.exists():
            try:
                self.timings.update(read_json(path))
            except (OSError, ValueError, TypeError):
                log.warning("%s is damaged; timings of this seed restart", path)

    @property
    def _timings_path(self) -> Path:
        return self.run_dir.checkpoint_dir(self.seed) / "timings.json"

    def record_timing(self, method: str, name: str, seconds: float) -> None:
        super().record_timing(method, name, seconds)
        if self.is_rank_zero:
            write_json(self._timings_path, self.timings)


def _drop_damaged(run_dir: RunDir, seed: int) -> None:
    """Before a seed resumes: drop a seed result or checkpoint file that cannot be read (the
    seed, or the method, is then recomputed), saying which file."""
    with contextlib.suppress(DamagedFileError):
        run_dir.seed_result(seed)
        return
    log.warning("%s is damaged; seed %d is recomputed", run_dir.seed_path(seed), seed)
    run_dir.seed_path(seed).unlink()


def _check_checkpoints(run_dir: RunDir, seed: int) -> None:
    folder = run_dir.checkpoint_dir(seed)
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        try:
            if path.suffix == ".json":
                read_json(path)
            elif path.suffix == ".pt":
                torch.load(path, map_location="cpu", weights_only=False)
        except Exception as exc:  # noqa: BLE001 - any unreadable checkpoint is recomputed
            log.warning("%s is damaged (%s); recomputing what it held", path,
                        type(exc).__name__)
            path.unlink()


def _execute(recipe: Recipe, config: Any, seeds: list[int], run_dir: RunDir, fabric,
             keep_checkpoints: bool = True,
             on_seed: Callable[[int, int], None] | None = None) -> Path:
    rank_zero = fabric.global_rank == 0
    # the caller holds the run's lock (rank 0)
    per_seed: dict[int, dict[str, Any]] = {}
    for index, seed in enumerate(seeds):
        if rank_zero:
            _drop_damaged(run_dir, seed)
        fabric.barrier()
        done = run_dir.seed_result(seed)
        if done is not None:
            per_seed[seed] = done
            continue
        if rank_zero:
            _check_checkpoints(run_dir, seed)
        fabric.barrier()
        log.info("%s on %s, seed %d", recipe.name, config.dataset, seed)
        if on_seed is not None and rank_zero:
            on_seed(index, len(seeds))
        ctx = _Context(run_dir, seed, fabric)
        seed_everything(seed)
        metrics = recipe.run(dataclasses.replace(config), ctx)
        _check_result(recipe, metrics)
        # exactly what the file holds (JSON round trip, method order kept), so that a run
        # resumed from the files summarises byte for byte like an uninterrupted one
        result = json.loads(json.dumps({"metrics": metrics, "methods": list(metrics),
                                        "timings": ctx.timings}))
        if rank_zero:
            run_dir.write_seed_result(seed, result)
        per_seed[seed] = result
    if rank_zero:
        summary = summarize(recipe, config, per_seed)
        timings = {str(s): r["timings"] for s, r in per_seed.items()}
        write_json(run_dir.timings_path, timings)
        write_run_figures(run_dir, summary)
        write_json(run_dir.summary_path, summary)
        if not keep_checkpoints:
            shutil.rmtree(run_dir.path / "checkpoints", ignore_errors=True)
        log.info("finished %s", run_dir.path)
    fabric.barrier()
    return run_dir.path


def _check_result(recipe: Recipe, metrics: Any) -> None:
    ok = isinstance(metrics, dict) and all(
        isinstance(m, dict) and all(isinstance(v, int | float) for v in m.values())
        for m in metrics.values())
    if not ok:
        raise TypeError(f"recipe {recipe.name} must return {{method: {{metric: number}}}}")
