"""What every benchmark shares: its arguments, its result file and fair timing.

A benchmark is ``benchmarks/<name>.py``, run as ``python benchmarks/<name>.py ...``; it writes
``benchmarks/results/<name>.json``. This module gives it

* :func:`parser` — ``argparse`` with ``--threads`` (torch CPU threads, default 1: the shared
  2-core machines) and ``--out`` (the result file), applied by :func:`parse`;
* :func:`result` — a complete result in the results schema, version 1
  (:mod:`tenfold.claims.schema`): :func:`record`'s header plus ``schema``, ``settings``,
  ``seeds`` and ``per_seed = {seed: {method: {metric: number}}}``, validated at once;
* :func:`sections` — several such results (one per dataset, say) as one schema-1 file with
  ``"sections"``; a claim names one as ``file.json#<section>``;
* :func:`per_seed_of` — that ``per_seed`` from a run's ``summary.json`` (numbers only, nested
  metrics as ``"outer.inner"``), for benchmarks that call ``start_run``;
* :func:`record` — the result's header: benchmark name, the exact command, the git commit (and
  whether the tree had local changes), the machine (``machine_info()``), the UTC date;
* :func:`write_result` — an atomic write (a stopped benchmark never leaves half a file; rewrite
  it after every seed so that a cut-off run keeps what it measured); a result that carries
  ``"schema"`` is validated first, so a malformed file is never written;
* :func:`read_result` — any results file, old shapes included (through
  :mod:`tenfold.claims.adapters`), as ``{section: Record}``;
* :func:`interleaved_times` / :func:`interleaved_timer` — round-robin timing in one process
  (from :mod:`tenfold.runtime.timing`), so that compared methods see the same machine load.

A new benchmark writes schema 1, which the ledger (``tenfold claims``) reads without an adapter::

    p = parser("toy", "what it measures")
    p.add_argument("--seeds", default="0-2")
    args = parse(p)
    per_seed = {}
    for seed in parse_seeds(args.seeds):
        per_seed[seed] = {"method": {"test_acc": 0.91}, "baseline": {"test_acc": 0.88}}
        write_result(args.out, result("toy", args, per_seed=per_seed))   # after every seed

A benchmark with several experiments writes ``write_result(args.out, sections({"cora":
result("toy", args, per_seed=..., settings={"dataset": "cora"}), ...}))``.

Extra figures (curves, timings, notes) go in as keyword arguments of :func:`result` and are
kept beside the schema's fields; only ``per_seed`` is read by the ledger. Older benchmarks pass
their figures to :func:`record` and write files in their own shape; :func:`record` and
:func:`write_result` keep doing that unchanged (the adapters read those files).

Benchmarks import the library and the runtime, never recipe internals.
"""

from __future__ import annotations

import argparse
import copy
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tenfold.claims.adapters import read_results
from tenfold.claims.schema import (
    SCHEMA,
    Record,
    ResultsSchemaError,
    numeric_metrics,
    validate_file,
    validate_record,
)
from tenfold.runtime.io import read_json, write_json
from tenfold.runtime.timing import interleaved_timer, interleaved_times, synchronize

RESULTS = Path(__file__).resolve().parent / "results"

__all__ = ["RESULTS", "SCHEMA", "ResultsSchemaError", "interleaved_timer", "interleaved_times",
           "parse", "parser", "per_seed_of", "read_json", "read_result", "record", "result",
           "sections", "synchronize", "write_result"]


def parser(name: str, description: str | None = None) -> argparse.ArgumentParser:
    """An argument parser with ``--threads`` and ``--out`` (default ``results/<name>.json``)."""
    p = argparse.ArgumentParser(prog=f"benchmarks/{name}.py", description=description)
    p.add_argument("--threads", type=int, default=1,
                   help="torch intra-op CPU threads (default 1: the machine is shared)")
    p.add_argument("--out", type=Path, default=RESULTS / f"{name}.json",
                   help="the result file (default: benchmarks/results/<name>.json)")
    return p


def parse(p: argparse.ArgumentParser, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse ``argv`` and apply ``--threads``; remembers ``argv`` for :func:`record`."""
    import torch

    args = p.parse_args(argv)
    if args.threads < 1:
        p.error(f"--threads must be >= 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    args._argv = list(sys.argv[1:] if argv is None else argv)
    return args


def _commit() -> str:
    """``git describe``-like: the HEAD commit, ``+local changes`` when the tree is dirty."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" +local changes" if dirty else "")


def record(name: str, args: argparse.Namespace | None = None, **fields: Any) -> dict[str, Any]:
    """The header every result file starts with, followed by ``fields``."""
    from tenfold.runtime.launch import machine_info

    argv = getattr(args, "_argv", sys.argv[1:]) if args is not None else sys.argv[1:]
    command = " ".join(shlex.quote(a) for a in ["python", f"benchmarks/{name}.py", *argv])
    header = {"benchmark": name, "command": command, "commit": _commit(),
              "machine": machine_info(),
              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if args is not None:
        header["settings"] = {k: (str(v) if isinstance(v, Path) else v)
                              for k, v in vars(args).items() if not k.startswith("_")}
    return {**header, **fields}


def result(name: str, args: argparse.Namespace | None = None, *,
           per_seed: dict[Any, dict[str, dict[str, float]]], seeds: list[int] | None = None,
           settings: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A result in the results schema, version 1, validated (see the module docstring).

    Args:
        name: the benchmark (``benchmarks/<name>.py``).
        args: the parsed arguments; their values become ``settings`` (as in :func:`record`).
        per_seed: ``{seed: {method: {metric: number}}}`` measured so far (int or str seeds).
        seeds: every seed of the run (default: those in ``per_seed``); a cut-off run lists
            all it was asked for while ``per_seed`` holds the finished ones.
        settings: further settings (e.g. a recipe's resolved config), merged over ``args``'.
        fields: further figures kept beside the schema's fields (curves, timings, notes).

    Raises :class:`ResultsSchemaError` naming the benchmark and the first wrong field (a value
    that is not a finite number, a seed of ``per_seed`` not in ``seeds``, ...).
    """
    reserved = {"schema", "benchmark", "command", "commit", "machine", "date", "seeds",
                "per_seed", "settings"} & set(fields)
    if reserved:
        raise ResultsSchemaError(f"{name}: {sorted(reserved)} are set by result(), not passed "
                                 "as extra fields")
    if not isinstance(per_seed, dict):
        raise ResultsSchemaError(f"{name}: per_seed should be {{seed: {{method: {{metric: "
                                 f"number}}}}}}, got {type(per_seed).__name__}")
    out = record(name, args)
    out["settings"] = {**out.get("settings", {}), **(settings or {})}
    out["schema"] = SCHEMA
    out["per_seed"] = {str(s): copy.deepcopy(arms) for s, arms in per_seed.items()}
    if seeds is None:  # a key that is no seed number is left out here and named by the check
        seeds = sorted({int(s) for s in per_seed if str(s).lstrip("-").isdigit()})
    out["seeds"] = list(seeds)
    out.update(fields)
    validate_record(out, f"{name} (result)")
    return out


def sections(parts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One schema-1 file holding several results of :func:`result` (``{section: result}``),
    validated; a claim names a section as ``file.json#<section>``."""
    out = {"schema": SCHEMA, "sections": {str(k): v for k, v in parts.items()}}
    validate_file(json.loads(json.dumps(out)), "sections")
    return out


def per_seed_of(summary: dict[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    """``per_seed`` of a run's ``summary.json``: each method's finite numbers (nested metrics
    flattened to ``"outer.inner"``; text, lists and booleans dropped)."""
    if not isinstance(summary.get("per_seed"), dict):
        raise ResultsSchemaError("summary has no per_seed table (expected a run's summary.json)")
    return {str(s): {m: numeric_metrics(v) for m, v in arms.items() if isinstance(v, dict)}
            for s, arms in summary["per_seed"].items()}


def write_result(path: str | Path, result: Any) -> Path:
    """Write ``result`` as JSON atomically (write, then rename); returns the path.

    A result with a ``"schema"`` key (from :func:`result`) is validated first: a malformed one
    raises :class:`ResultsSchemaError` naming ``path`` and the field, and nothing is written.
    Results without it (the older benchmarks' own shapes) are written as given.
    """
    if isinstance(result, dict) and "schema" in result:
        validate_file(json.loads(json.dumps(result)), str(path))
    write_json(path, result)
    return Path(path)


def read_result(path: str | Path) -> dict[str, Record]:
    """Read any results file as ``{section: Record}`` (``""`` for a one-experiment file):
    schema 1 directly, the older shapes through :mod:`tenfold.claims.adapters`."""
    return read_results(path)
