"""Running a recipe: validate everything, create the run directory, loop over seeds, summarise.

``start_run`` and ``resume_run`` are what ``tenfold run`` calls; tests call them directly.
Under ``torchrun`` every process runs the same seeds through Lightning Fabric (DDP); only rank 0
writes, and the run directory's path is broadcast from rank 0.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import platform
import shutil
import time
from pathlib import Path
from typing import Any

import torch

from tenfold.data.catalog import all_datasets, locate, missing_message
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
from tenfold.runtime.io import write_json
from tenfold.runtime.registry import Recipe, get_recipe
from tenfold.runtime.rundir import RunDir
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
              out: str | Path = "runs", device: str = "auto") -> Path:
    """Run a recipe in a new run directory and return its path."""
    recipe, config, seed_list = plan_run(recipe_name, preset, dataset, seeds, overrides)
    fabric = make_fabric(resolve_device(device))
    path = None
    if fabric.global_rank == 0:
        run_dir = RunDir.create(out, recipe.name)
        run_dir.write_config({
            "recipe": recipe.name, "preset": preset, "dataset": config.dataset,
            "seeds": seed_list, "settings": config_to_dict(config),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": machine_info(), "world_size": fabric.world_size,
        })
        path = str(run_dir.path)
    path = fabric.broadcast(path, src=0)
    run_dir = RunDir(path)
    try:
        return _execute(recipe, config, seed_list, run_dir, fabric)
    except TenfoldError:
        # e.g. a download that failed: a run that finished no seed leaves nothing behind
        if fabric.global_rank == 0 and not any(run_dir.seed_result(s) for s in seed_list):
            shutil.rmtree(run_dir.path, ignore_errors=True)
            with contextlib.suppress(OSError):
                run_dir.path.parent.rmdir()  # the recipe's folder, if this run was its first
        raise


def resume_run(path: str | Path, device: str = "auto") -> Path:
    """Continue a killed run from its stored config, finished seeds and last checkpoints."""
    run_dir = RunDir.open(path)
    stored = run_dir.read_config()
    recipe = get_recipe(stored["recipe"])
    config = config_from_dict(recipe.config_cls, stored["settings"])
    if run_dir.finished:
        log.info("%s is already finished; nothing to do", run_dir.path)
        return run_dir.path
    fabric = make_fabric(resolve_device(device))
    return _execute(recipe, config, list(stored["seeds"]), run_dir, fabric)


def _execute(recipe: Recipe, config: Any, seeds: list[int], run_dir: RunDir, fabric) -> Path:
    rank_zero = fabric.global_rank == 0
    per_seed: dict[int, dict[str, Any]] = {}
    for seed in seeds:
        done = run_dir.seed_result(seed)
        if done is not None:
            per_seed[seed] = done
            continue
        log.info("%s on %s, seed %d", recipe.name, config.dataset, seed)
        ctx = RunContext(run_dir, seed, fabric)
        seed_everything(seed)
        metrics = recipe.run(dataclasses.replace(config), ctx)
        _check_result(recipe, metrics)
        result = {"metrics": metrics, "timings": ctx.timings}
        if rank_zero:
            run_dir.write_seed_result(seed, result)
        per_seed[seed] = result
    if rank_zero:
        summary = summarize(recipe, config, per_seed)
        timings = {str(s): r["timings"] for s, r in per_seed.items()}
        write_json(run_dir.timings_path, timings)
        write_run_figures(run_dir, summary)
        write_json(run_dir.summary_path, summary)
        log.info("finished %s", run_dir.path)
    fabric.barrier()
    return run_dir.path


def _check_result(recipe: Recipe, metrics: Any) -> None:
    ok = isinstance(metrics, dict) and all(
        isinstance(m, dict) and all(isinstance(v, int | float) for v in m.values())
        for m in metrics.values())
    if not ok:
        raise TypeError(f"recipe {recipe.name} must return {{method: {{metric: number}}}}")
