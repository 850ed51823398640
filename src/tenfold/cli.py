"""The ``tenfold`` command: list, run, report, reproduce, data.

Every user error (unknown recipe or dataset, bad seeds or settings, missing data, a path that is
not a run directory) prints one ``error: ...`` line and exits with code 2, before anything is
written.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from pathlib import Path

import typer

from tenfold.errors import ConfigError, TenfoldError

app = typer.Typer(
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Ten published ML methods as PyTorch/PyG building blocks, with reproducible recipes.\n\n"
         "Start with `tenfold list`, then `tenfold run gnn-baselines --preset smoke`, then "
         "`tenfold report runs/gnn-baselines/<run>`.")
data_app = typer.Typer(no_args_is_help=True, help="Datasets: where they are, copy into the cache.")
app.add_typer(data_app, name="data")


@app.callback()
def _setup(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging.")) -> None:
    rank = int(os.environ.get("RANK", "0"))
    level = logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level if rank == 0 else logging.ERROR, datefmt="%H:%M:%S",
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("lightning_fabric", "lightning", "torch.distributed"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.command("list")
def list_cmd() -> None:
    """Recipes with their presets and datasets, and every dataset with where it is found now."""
    from tenfold.runtime.registry import all_recipes

    typer.echo("Recipes (tenfold run NAME --preset P --dataset D):")
    for name, recipe in all_recipes().items():
        typer.echo(f"  {name:16s} {recipe.summary}")
        typer.echo(f"  {'':16s} presets: {', '.join(recipe.presets)}; "
                   f"datasets: {', '.join(recipe.datasets)} (default {recipe.datasets[0]})")
    typer.echo("\nDatasets (found in: embedded, root, mirror = $TENFOLD_DATA, cache, "
               "download = will download, missing):")
    list_datasets(indent="  ")


def _set_threads(threads: int | None) -> None:
    """``--threads N``: torch intra-op CPU threads (one per process is fastest on a busy box)."""
    if threads is None:
        return
    from tenfold.runtime.device import set_threads

    set_threads(threads)


@app.command()
def run(
    recipe: str = typer.Argument(None, help="Recipe (see `tenfold list`); omit with --resume."),
    preset: str = typer.Option("quick", help="smoke (seconds), quick (minutes), paper (full)."),
    dataset: str = typer.Option(None, help="Dataset name; default: the recipe's embedded one."),
    seeds: str = typer.Option(None, help="Seeds: 3, 0-4 or 0,2,5; default: the preset's."),
    device: str = typer.Option("auto", help="cpu, cuda, cuda:N or auto."),
    set_: list[str] = typer.Option(None, "--set", help="Override a setting: key=value (repeat)."),
    out: Path = typer.Option(Path("runs"), help="Folder that receives runs/<recipe>/<time>/."),
    resume: Path = typer.Option(None, help="Continue this killed run directory."),
    data_root: Path = typer.Option(None, help="Look for data here before the mirror and cache."),
    threads: int = typer.Option(None, help="CPU threads for torch (default: torch's own choice)."),
) -> None:
    """Run a recipe over seeds into a new run directory (or continue one with --resume)."""
    from tenfold.runtime.config import parse_seeds
    from tenfold.runtime.launch import resume_run, start_run
    from tenfold.runtime.report import summary_line
    from tenfold.runtime.rundir import RunDir

    _set_threads(threads)
    if data_root is not None:
        os.environ["TENFOLD_DATA_ROOT"] = str(data_root)
    if resume is not None:
        stored = RunDir.open(resume).read_config()
        if recipe is not None and recipe != stored["recipe"]:
            raise ConfigError(f"--resume {resume} is a {stored['recipe']!r} run, not {recipe!r}")
        path = resume_run(resume, device=device)
    else:
        if recipe is None:
            raise ConfigError("name a recipe (see `tenfold list`) or pass --resume RUN_DIR")
        seed_list = parse_seeds(seeds) if seeds is not None else None
        path = start_run(recipe, preset=preset, dataset=dataset, seeds=seed_list,
                         overrides=list(set_ or []), out=out, device=device)
    if int(os.environ.get("RANK", "0")) == 0:
        typer.echo(summary_line(RunDir(path).read_summary()))
        typer.echo(f"run directory: {path}")


@app.command()
def report(
    run_dirs: list[Path] = typer.Argument(..., help="Finished run directories."),
    out: Path = typer.Option(Path("report.md"), help="Markdown file to write."),
) -> None:
    """Write a Markdown report (tables with mean ± std, paired differences, figures)."""
    from tenfold.runtime.report import write_report

    typer.echo(f"report: {write_report(run_dirs, out)}")


@app.command()
def reproduce(
    preset: str = typer.Option("quick", help="Preset for every recipe."),
    only: str = typer.Option(None, help="Comma list of recipes to run (default: all)."),
    device: str = typer.Option("auto", help="cpu, cuda or auto."),
    out: Path = typer.Option(Path("runs"), help="Folder for the runs and the report."),
    threads: int = typer.Option(None, help="CPU threads for torch (default: torch's own choice)."),
) -> None:
    """Run every recipe on its embedded default dataset, then write one report."""
    from tenfold.runtime.launch import plan_run, start_run
    from tenfold.runtime.registry import all_recipes
    from tenfold.runtime.report import write_report

    _set_threads(threads)

    names = list(all_recipes())
    if only:
        names = [n.strip() for n in only.split(",") if n.strip()]
    for name in names:
        plan_run(name, preset=preset)  # refuse bad input before running anything
    paths = []
    for name in names:
        typer.echo(f"== {name} ({preset})")
        paths.append(start_run(name, preset=preset, out=out, device=device))
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    path = write_report(paths, out / f"report-{stamp}.md", title=f"tenfold reproduce ({preset})")
    typer.echo(f"report: {path}")


@data_app.command("list")
def data_list() -> None:
    """Every known dataset and where it would be read from now."""
    list_datasets()


def list_datasets(indent: str = "") -> None:
    from tenfold.data import all_datasets, locate

    for name, spec in all_datasets().items():
        place, path = locate(name)
        where = place if path is None else f"{place} ({path})"
        typer.echo(f"{indent}{name:14s} {where:44s} {spec.description}")


@data_app.command("prepare")
def data_prepare(name: str = typer.Argument(..., help="Dataset name (see `tenfold data list`).")
                 ) -> None:
    """Copy or extract a dataset from the mirror into the cache (or download it)."""
    from tenfold.data import load_dataset, locate

    load_dataset(name)
    place, path = locate(name)
    typer.echo(f"{name}: ready ({place}{'' if path is None else f', {path}'})")


def main() -> None:
    """Entry point: run the app; turn tenfold's errors into one line and exit code 2."""
    warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=FutureWarning)
    try:
        app()
    except TenfoldError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
