"""What every benchmark shares: its arguments, its result file and fair timing.

A benchmark is ``benchmarks/<name>.py``, run as ``python benchmarks/<name>.py ...``; it writes
``benchmarks/results/<name>.json``. This module gives it

* :func:`parser` — ``argparse`` with ``--threads`` (torch CPU threads, default 1: the shared
  2-core machines) and ``--out`` (the result file), applied by :func:`parse`;
* :func:`record` — the result's header: benchmark name, the exact command, the git commit (and
  whether the tree had local changes), the machine (``machine_info()``), the UTC date;
* :func:`write_result` — an atomic write (a stopped benchmark never leaves half a file; rewrite
  it after every seed so that a cut-off run keeps what it measured);
* :func:`interleaved_times` / :func:`interleaved_timer` — round-robin timing in one process
  (from :mod:`tenfold.runtime.timing`), so that compared methods see the same machine load.

Benchmarks import the library and the runtime, never recipe internals.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tenfold.runtime.io import read_json, write_json
from tenfold.runtime.timing import interleaved_timer, interleaved_times, synchronize

RESULTS = Path(__file__).resolve().parent / "results"

__all__ = ["RESULTS", "interleaved_timer", "interleaved_times", "parse", "parser", "read_json",
           "record", "synchronize", "write_result"]


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


def write_result(path: str | Path, result: Any) -> Path:
    """Write ``result`` as JSON atomically (write, then rename); returns the path."""
    write_json(path, result)
    return Path(path)
