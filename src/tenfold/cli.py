"""The ``tenfold`` command: list, settings, run, report, merge, compare, reproduce, data.

Every user error (unknown recipe or dataset, bad seeds or settings, missing or corrupt data, a
path that is not a run directory, an unusable ``--out``) prints one ``error: ...`` line and exits
with code 2, before anything is written (or, for corrupt data, after removing what was written).
Ctrl-C prints how to continue and exits with code 130.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sys
import warnings
from collections.abc import Iterator
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
    from tenfold.runtime.registry import recipe_index  # metadata only: no recipe imported

    typer.echo("Recipes (tenfold run NAME --preset P --dataset D):")
    for name, recipe in recipe_index().items():
        typer.echo(f"  {name:16s} {recipe.summary}")
        presets = [f"{p} (about {recipe.quick_minutes:g} min)"
                   if p == "quick" and recipe.quick_minutes else p for p in recipe.presets]
        typer.echo(f"  {'':16s} presets: {', '.join(presets)}; "
                   f"datasets: {', '.join(recipe.datasets)} (default {recipe.datasets[0]}); "
                   + ("data-parallel under torchrun" if recipe.distributed else "one process"))
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
def settings(recipe: str = typer.Argument(..., help="Recipe (see `tenfold list`).")) -> None:
    """Every setting of RECIPE: type, default, allowed range and meaning, then its presets."""
    print_settings(recipe)


def print_settings(name: str) -> None:
    from tenfold.runtime.registry import check_request, get_recipe, recipe_index, settings_class
    from tenfold.runtime.rules import settings_of

    check_request(name)
    config_cls = settings_class(name)  # from the source: no torch, no recipe import
    recipe = recipe_index()[name] if config_cls is not None else get_recipe(name)
    rows = [(s.name, s.type_name, _show(s.default), s.rule.describe() or "-", s.meaning)
            for s in settings_of(config_cls or recipe.config_cls).values()]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    typer.echo(f"Settings of {recipe.name} (tenfold run {recipe.name} --set KEY=VALUE; "
               "lists as a,b,c; none for None):")
    header = ("setting", "type", "default", "allowed")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    for row in [(*header, "meaning"), *rows]:
        typer.echo("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False))
                   + "  " + row[4])
    typer.echo("Presets (values that differ from the defaults):")
    for preset, values in recipe.presets.items():
        minutes = _quick_minutes(recipe) if preset == "quick" else None
        about = f" (about {minutes:g} min on a 2-core CPU)" if minutes else ""
        typer.echo(f"  {preset}{about}: "
                   + ", ".join(f"{k}={_show(v)}" for k, v in values.items()))


def _show(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple | list):
        return ",".join(map(str, value)) if value else "(empty)"
    if value == "":
        return '""'
    return str(value)


def _quick_minutes(recipe) -> float | None:
    return getattr(recipe, "quick_minutes", None)


@contextlib.contextmanager
def _data_root(data_root: Path | None) -> Iterator[None]:
    """``--data-root``: an existing folder, read-only like the mirror (copied into the cache)."""
    if data_root is None:
        yield
        return
    if not data_root.is_dir():
        what = "is not a folder" if data_root.exists() else "does not exist"
        raise ConfigError(f"--data-root {data_root} {what}; expected a folder laid out like the "
                          "mirror (graphs/<Name>/raw, images/..., tracking/...)")
    before = os.environ.get("TENFOLD_DATA_ROOT")
    os.environ["TENFOLD_DATA_ROOT"] = str(data_root.resolve())
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TENFOLD_DATA_ROOT", None)
        else:
            os.environ["TENFOLD_DATA_ROOT"] = before


def _stopped(where: Path | None, how: str) -> None:
    """Ctrl-C: say where the run is and how to continue, exit 130."""
    place = f" ({where})" if where is not None else ""
    typer.echo(f"\nstopped{place}; continue with: {how}", err=True)
    raise typer.Exit(130)


@app.command()
def run(
    recipe: str = typer.Argument(None, help="Recipe (see `tenfold list`); omit with --resume."),
    preset: str = typer.Option(None, help="smoke (seconds), quick (minutes; the default), "
                                          "paper (full)."),
    dataset: str = typer.Option(None, help="Dataset name; default: the recipe's embedded one."),
    seeds: str = typer.Option(None, help="Seeds: 3, 0-4 or 0,2,5; default: the preset's."),
    device: str = typer.Option("auto", help="cpu, cuda, cuda:N or auto."),
    set_: list[str] = typer.Option(None, "--set", help="Override a setting: key=value (repeat); "
                                                       "--set help=1 lists the settings."),
    out: Path = typer.Option(None, help="Folder that receives runs/<recipe>/<time>/ "
                                        "(default: runs)."),
    resume: Path = typer.Option(None, help="Continue this stopped run directory, with its "
                                           "stored settings."),
    data_root: Path = typer.Option(None, help="Read data from this folder first (read-only; "
                                              "copied into the cache where a loader writes)."),
    threads: int = typer.Option(None, help="CPU threads for torch (default: torch's own choice)."),
    max_seeds: int = typer.Option(None, help="Raise the limit of 100 seeds per run."),
    keep_checkpoints: bool = typer.Option(False, "--keep-checkpoints",
                                          help="Keep checkpoints/ once the run has finished."),
) -> None:
    """Run a recipe over seeds into a new run directory (or continue one with --resume)."""
    # argument errors come from the recipes' source, before torch or a recipe is imported
    from tenfold.runtime.config import MAX_SEEDS, parse_seeds
    from tenfold.runtime.registry import check_request, check_settings

    if recipe is not None and resume is None:
        check_request(recipe, preset, dataset)
    if threads is not None and threads < 1:
        raise ConfigError(f"--threads must be a positive integer, got {threads}")
    overrides = list(set_ or [])
    if any(o.split("=", 1)[0].strip() == "help" for o in overrides):
        if recipe is None and resume is None:
            raise ConfigError("--set help=1: name a recipe, e.g. `tenfold run twp --set help=1`")
        if recipe is None:
            from tenfold.runtime.launch import open_run

            recipe = open_run(resume)[2].name
        print_settings(recipe)
        return
    if max_seeds is not None and max_seeds < 1:
        raise ConfigError(f"--max-seeds must be a positive integer, got {max_seeds}")
    if recipe is not None and resume is None:
        if seeds is not None:
            parse_seeds(seeds, max_seeds or MAX_SEEDS)
        check_settings(recipe, preset or "quick", dataset, overrides)
    from tenfold.runtime.launch import open_run, resume_run, start_run
    from tenfold.runtime.report import summary_line
    from tenfold.runtime.rundir import RunDir

    _set_threads(threads)
    rank_zero = int(os.environ.get("RANK", "0")) == 0
    started: list[Path] = []

    def announce(path: Path) -> None:
        started.append(path)
        if rank_zero:
            typer.echo(f"run directory: {path}", err=True)

    with _data_root(data_root):
        try:
            if resume is not None:
                given = [flag for flag, value in (
                    ("--preset", preset), ("--dataset", dataset), ("--seeds", seeds),
                    ("--set", overrides or None), ("--out", out), ("--max-seeds", max_seeds),
                    ("--keep-checkpoints", keep_checkpoints or None)) if value is not None]
                if given:
                    raise ConfigError(
                        f"--resume continues {resume} with its stored settings and does not take "
                        f"{', '.join(given)}; start a new run to change them")
                stored_recipe = open_run(resume)[2].name
                if recipe is not None and recipe != stored_recipe:
                    raise ConfigError(f"--resume {resume} is a {stored_recipe!r} run, "
                                      f"not {recipe!r}")
                path = resume_run(resume, device=device, announce=announce)
            else:
                if recipe is None:
                    raise ConfigError("name a recipe (see `tenfold list`) or pass --resume "
                                      "RUN_DIR")
                seed_list = (parse_seeds(seeds, max_seeds or MAX_SEEDS)
                             if seeds is not None else None)
                path = start_run(recipe, preset=preset or "quick", dataset=dataset,
                                 seeds=seed_list, overrides=overrides, out=out or Path("runs"),
                                 device=device, keep_checkpoints=keep_checkpoints,
                                 announce=announce)
        except KeyboardInterrupt:
            if not started:
                _stopped(None, "nothing was written; run the command again")
            _stopped(started[0], f"tenfold run --resume {started[0]}")
    if rank_zero:
        typer.echo(summary_line(RunDir(path).read_summary()))
        typer.echo(f"run directory: {path}")


@app.command()
def report(
    run_dirs: list[Path] = typer.Argument(..., help="Finished run directories."),
    out: Path = typer.Option(Path("report.md"), help="Markdown file to write."),
) -> None:
    """Write a Markdown report (tables with mean ± std, paired differences, figures)."""
    from tenfold.runtime.report import write_report

    typer.echo(f"report: {write_report(run_dirs, out, check_out=True)}")


@app.command()
def merge(
    run_dirs: list[Path] = typer.Argument(..., help="Finished runs of one recipe with the same "
                                                    "settings and disjoint seeds."),
    out: Path = typer.Option(..., help="New folder for the merged run (must not exist)."),
) -> None:
    """Merge seed shards (one experiment run on several machines) into one finished run."""
    from tenfold.runtime.merge import merge_runs
    from tenfold.runtime.report import summary_line
    from tenfold.runtime.rundir import RunDir

    path = merge_runs(run_dirs, out)
    typer.echo(summary_line(RunDir(path).read_summary()))
    typer.echo(f"run directory: {path}")


@app.command()
def compare(
    run_dirs: list[Path] = typer.Argument(..., help="Finished run directories; the first is the "
                                                    "reference of the paired differences."),
    metric: str = typer.Option(None, help="Metric to compare (default: the first run's "
                                          "primary metric)."),
    markdown: bool = typer.Option(False, "--markdown", help="Print Markdown (for reports)."),
) -> None:
    """Runs side by side: the settings that differ, each method's metric, paired differences."""
    from tenfold.runtime.compare import compare_runs

    comparison = compare_runs(run_dirs, metric)
    typer.echo(comparison.to_markdown() if markdown else comparison.to_text())


@app.command()
def claims(
    method: str = typer.Argument(None, help="Only this method's claims (default: all)."),
    markdown: bool = typer.Option(False, "--markdown", help="Print Markdown (for the docs)."),
    results: Path = typer.Option(None, help="Results folder (default: benchmarks/results of "
                                            "this checkout)."),
    targets: bool = typer.Option(False, "--targets", help="Also our own targets (the issues' "
                                                          "acceptance targets) after the claims."),
) -> None:
    """The reproduction ledger: each paper's claims, our measurement, the verdict, the file
    and command behind it (rules: docs/ledger.md); with --targets also our own targets."""
    from tenfold.claims import ledger
    from tenfold.claims.render import markdown as to_markdown
    from tenfold.claims.render import text as to_text

    rows = ledger(method, results, targets=targets)
    typer.echo(to_markdown(rows) if markdown else to_text(rows))


@app.command()
def reproduce(
    preset: str = typer.Option(None, help="Preset for every recipe (default quick; smoke: a "
                                          "plumbing check in a few minutes)."),
    only: str = typer.Option(None, help="Comma list of recipes to run (default: all)."),
    device: str = typer.Option("auto", help="cpu, cuda or auto."),
    out: Path = typer.Option(Path("runs"), help="Folder for the runs and the report."),
    threads: int = typer.Option(None, help="CPU threads for torch (default: torch's own choice)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the last reproduction in "
                                                        "--out, skipping finished recipes."),
    keep_checkpoints: bool = typer.Option(False, "--keep-checkpoints",
                                          help="Keep checkpoints/ of finished runs."),
) -> None:
    """Run every recipe on its embedded default dataset, rewriting one report after each."""
    from tenfold.runtime.reproduce import Reproduction

    _set_threads(threads)
    if resume:
        if preset is not None or only is not None:
            raise ConfigError("reproduce --resume continues the last reproduction in --out with "
                              "its own preset and recipes; drop --preset/--only")
        job = Reproduction.load(out)
    else:
        job = Reproduction.plan(out, preset or "quick", only)
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        # the progress lines below say where it is; per-seed and per-task log lines need -v
        logging.getLogger("tenfold").setLevel(logging.WARNING)
    try:
        report = job.run(device=device, keep_checkpoints=keep_checkpoints, echo=typer.echo)
    except KeyboardInterrupt:
        # the unfinished run if one was under way, else the folder of the finished ones
        _stopped(job.current or out, f"tenfold reproduce --resume --out {out}")
    typer.echo(f"report: {report}")


@data_app.command("list")
def data_list(data_root: Path = typer.Option(None, help="Also look in this folder first.")
              ) -> None:
    """Every known dataset and where it would be read from now."""
    with _data_root(data_root):
        list_datasets()


def list_datasets(indent: str = "") -> None:
    from tenfold.data import all_datasets, locate

    for name, spec in all_datasets().items():
        place, path = locate(name)
        where = place if path is None else f"{place} ({path})"
        typer.echo(f"{indent}{name:14s} {where:44s} {spec.description}")


@data_app.command("prepare")
def data_prepare(name: str = typer.Argument(..., help="Dataset name (see `tenfold data list`)."),
                 data_root: Path = typer.Option(None, help="Read it from this folder "
                                                           "(read-only) instead of the mirror.")
                 ) -> None:
    """Copy or extract a dataset from the mirror (or --data-root) into the cache."""
    from tenfold.data import load_dataset, locate

    with _data_root(data_root):
        load_dataset(name)
        place, path = locate(name)
    typer.echo(f"{name}: ready ({place}{'' if path is None else f', {path}'})")


_OS_ERRORS = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded",
              errno.EROFS: "read-only file system", errno.EACCES: "permission denied",
              errno.ENOTDIR: "not a folder", errno.EISDIR: "is a folder"}


def main() -> None:
    """Entry point: run the app; tenfold's errors, usage errors and a full or read-only disk
    become one ``error:`` line and exit code 2 (never a traceback)."""
    from typer.exceptions import TyperException

    warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=FutureWarning)
    try:
        code = app(standalone_mode=False)
    except TenfoldError as exc:
        _fail(str(exc), exc.exit_code)
    except TyperException as exc:  # usage errors: bad option value, unknown option, ...
        if type(exc).__name__ == "NoArgsIsHelpError":
            typer.echo(exc.format_message(), err=True)
            sys.exit(2)
        command = getattr(getattr(exc, "ctx", None), "command_path", "tenfold")
        _fail(f"{exc.format_message()} (see `{command} --help`)", getattr(exc, "exit_code", 2))
    except OSError as exc:
        if exc.errno not in _OS_ERRORS:
            raise
        where = f": {exc.filename}" if exc.filename else ""
        _fail(f"{_OS_ERRORS[exc.errno]}{where}; free space or choose another place (a stopped "
              "run continues with `tenfold run --resume DIR`)", 2)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> None:
    """Print ``error: message`` as one line and exit (under torchrun: rank 0 prints it)."""
    if int(os.environ.get("RANK", "0")) == 0:
        typer.echo("error: " + " ".join(message.split()), err=True)
    sys.exit(code)
