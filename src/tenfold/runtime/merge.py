"""``tenfold merge``: seed shards of one experiment, run in different places, become one run.

Seeds 0–4 on one machine and 5–9 on another (or one seed per GPU) are two finished run
directories of the same recipe with the same settings. :func:`merge_runs` checks that they are
(recipe, dataset, every setting and the tenfold version equal; seeds disjoint; every shard
finished) and writes one finished run directory holding all their seeds. Its ``summary.json`` is
computed by the same :func:`tenfold.runtime.summary.summarize` from the same per-seed files, so
it is byte-identical to the summary of a single run over the union of the seeds.

The sources are only read. The merged folder is built under a temporary name next to ``out``
and renamed into place at the end, so ``out`` either does not exist or holds a complete run; an
existing ``out`` is never written into.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenfold.errors import ConfigError
from tenfold.runtime.figures import write_run_figures
from tenfold.runtime.io import write_json, write_text
from tenfold.runtime.launch import open_run
from tenfold.runtime.registry import Recipe
from tenfold.runtime.rundir import RunDir
from tenfold.runtime.summary import summarize

log = logging.getLogger(__name__)

#: the key of ``config.json`` that records the tenfold version that wrote a run
VERSION_KEY = "tenfold_version"


@dataclass
class Shard:
    """One finished source run: its folder, stored ``config.json``, recipe, parsed config and
    the stored result of each of its seeds."""

    run_dir: RunDir
    stored: dict[str, Any]
    recipe: Recipe
    config: Any
    results: dict[int, dict[str, Any]]

    @property
    def seeds(self) -> list[int]:
        return list(self.stored["seeds"])


def open_finished(path: str | Path) -> Shard:
    """Open a finished run directory and read every seed result (``ConfigError`` naming the file
    or the run when it is not a run, is damaged or is not finished)."""
    run_dir, stored, recipe, config = open_run(path)
    if not run_dir.finished:
        raise ConfigError(f"{run_dir.path}: run is not finished (no summary.json); continue it "
                          f"with `tenfold run --resume {run_dir.path}`")
    run_dir.read_summary()  # damaged -> DamagedFileError naming summary.json
    results: dict[int, dict[str, Any]] = {}
    for seed in stored["seeds"]:
        result = run_dir.seed_result(seed)
        if result is None:
            raise ConfigError(f"{run_dir.path}: seed {seed} has no result "
                              f"({run_dir.seed_path(seed)} is missing); continue the run with "
                              f"`tenfold run --resume {run_dir.path}`")
        results[seed] = result
    return Shard(run_dir, stored, recipe, config, results)


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def differing_settings(settings: list[dict[str, Any]]) -> list[str]:
    """The keys whose values are not the same in every dict (a missing key counts as differing),
    in sorted order."""
    keys = sorted(set().union(*settings)) if settings else []
    return [k for k in keys
            if len({_show(s[k]) if k in s else "<unset>" for s in settings}) > 1]


def check_compatible(shards: list[Shard]) -> None:
    """Refuse shards that are not parts of one experiment: different recipe, dataset, settings
    or tenfold version, or seeds that appear in more than one shard. One ``ConfigError`` that
    names what differs and where."""
    def names(values: list[Any]) -> str:
        return "; ".join(f"{s.run_dir.path}: {v}" for s, v in zip(shards, values, strict=True))

    for what, get in (("recipes", lambda s: s.recipe.name),
                      ("datasets", lambda s: s.config.dataset),
                      ("tenfold versions", lambda s: s.stored.get(VERSION_KEY, "unrecorded"))):
        values = [get(s) for s in shards]
        if len(set(values)) > 1:
            raise ConfigError(f"cannot merge runs of different {what} ({names(values)}); only "
                              "seed shards of one experiment can be merged")
    settings = [s.stored["settings"] for s in shards]
    keys = differing_settings(settings)
    if keys:
        detail = ", ".join(
            f"{k} = " + " vs ".join(_show(s[k]) if k in s else "unset" for s in settings)
            for k in keys)
        raise ConfigError(f"cannot merge runs with different settings: {detail} (runs: "
                          + ", ".join(str(s.run_dir.path) for s in shards) + ")")
    owner: dict[int, Path] = {}
    for shard in shards:
        for seed in shard.seeds:
            if seed in owner:
                raise ConfigError(f"cannot merge: seed {seed} is in both {owner[seed]} and "
                                  f"{shard.run_dir.path}; shards must have disjoint seeds")
            owner[seed] = shard.run_dir.path


def _check_out(out: Path, shards: list[Shard]) -> None:
    if str(out).strip() == "":
        raise ConfigError("--out: expected a folder name for the merged run, got an empty string")
    if out.exists() or out.is_symlink():
        raise ConfigError(f"--out {out} already exists; the merged run goes into a new folder "
                          "(choose a name that does not exist)")
    target = out.resolve()
    for shard in shards:
        source = shard.run_dir.path.resolve()
        if target == source or source in target.parents:
            raise ConfigError(f"--out {out} is inside the source run {shard.run_dir.path}; "
                              "sources are never modified, choose a folder outside them")


def merge_runs(sources: list[str | Path], out: str | Path) -> Path:
    """Merge finished seed shards into the new run directory ``out`` and return its path.

    ``config.json`` of the result holds the union of the seeds (sorted) and, under
    ``merged_from``, each source's path, seeds, machine and creation time; ``seeds/``,
    ``metrics.jsonl`` and ``timings.json`` hold every source's records; ``summary.json`` and the
    standard figures are computed again over all the seeds. Figures a recipe wrote itself are
    copied. Nothing in the sources changes.
    """
    if len(sources) < 2:
        raise ConfigError(f"merge needs at least two run directories, got {len(sources)}")
    shards = [open_finished(p) for p in sources]
    check_compatible(shards)
    out = Path(out)
    _check_out(out, shards)
    shards.sort(key=lambda s: min(s.seeds, default=-1))
    first = shards[0]
    per_seed = {seed: result for s in shards for seed, result in s.results.items()}
    seeds = sorted(per_seed)
    summary = summarize(first.recipe, first.config, per_seed)

    out.parent.mkdir(parents=True, exist_ok=True)
    # a hidden sibling of ``out`` (same file system, so the final rename is atomic)
    tmp = out.parent / f".{out.name}.merging-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        run = RunDir(tmp)
        presets = sorted({str(s.stored.get("preset")) for s in shards})
        run.write_config({
            "recipe": first.recipe.name, "preset": "+".join(presets),
            "dataset": first.config.dataset, "seeds": seeds,
            "settings": first.stored["settings"], "keep_checkpoints": False,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": first.stored.get("machine"),
            "world_size": first.stored.get("world_size"),
            **({VERSION_KEY: first.stored[VERSION_KEY]} if VERSION_KEY in first.stored else {}),
            "merged_from": [{"path": str(s.run_dir.path.resolve()), "seeds": s.seeds,
                             "created": s.stored.get("created"),
                             "machine": s.stored.get("machine"),
                             "world_size": s.stored.get("world_size")} for s in shards],
        })
        for shard in shards:
            for seed in shard.seeds:
                # the source's bytes, so that the seed files stay exactly what the run wrote
                run.seed_path(seed).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shard.run_dir.seed_path(seed), run.seed_path(seed))
        lines = [json.dumps(rec, sort_keys=True)
                 for s in shards for rec in s.run_dir.read_metrics()
                 if rec.get("seed") in s.results]
        write_text(run.metrics_path, "".join(line + "\n" for line in lines))
        write_json(run.timings_path,
                   {str(seed): per_seed[seed].get("timings", {}) for seed in seeds})
        _copy_recipe_figures(shards, run, summary)
        write_run_figures(run, summary)
        write_json(run.summary_path, summary)
        if out.exists() or out.is_symlink():  # appeared while we were writing
            raise ConfigError(f"--out {out} was created by someone else while merging; "
                              "nothing was written there")
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("merged %d runs (seeds %s) into %s", len(shards), seeds, out)
    return out


def _copy_recipe_figures(shards: list[Shard], run: RunDir, summary: dict[str, Any]) -> None:
    """Copy the figures a recipe wrote per seed; the run's own figures are drawn again."""
    standard = {f"{summary['primary_metric']}.png", "curves.png"}
    for shard in shards:
        folder = shard.run_dir.figures_dir
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.name in standard:
                continue
            target = run.figures_dir / path.name
            if target.exists():
                log.warning("%s: a figure of that name came from an earlier shard; kept that one",
                            path)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
