"""Finding the damaged file of a dataset that failed to load, by the format of each file.

Used only after a loader has failed, to name the file in the error: Planetoid pickles
(``ind.<name>.<part>``), IDX files (MNIST), tar archives, TU text files, ``.npz`` archives and
extracted image folders are each read the way their loader reads them.
"""

from __future__ import annotations

import pickle
import tarfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np


def damaged_file(paths: Iterable[Path]) -> tuple[Path, str] | None:
    """The first of ``paths`` that cannot be read as its format, with what is wrong."""
    for path in paths:
        problem = file_problem(path)
        if problem is not None:
            return path, problem
    return None


def file_problem(path: Path) -> str | None:
    """What is wrong with ``path`` (``None`` if it reads, or its format is not known here)."""
    try:
        if not path.exists():
            return "missing"
        if path.is_dir():
            return None if any(path.iterdir()) else "empty folder"
        if path.stat().st_size == 0:
            return "empty file"
        name = path.name
        if name.startswith("ind.") and not name.endswith(".test.index"):
            return _pickle_problem(path)
        if name.endswith(".test.index"):
            np.loadtxt(path, dtype=np.int64, ndmin=1)
            return None
        if "-idx" in name and name.endswith("-ubyte"):
            return _idx_problem(path)
        if name.endswith(".tar"):
            with tarfile.open(path) as tar:
                for _ in tar:  # reads every header to the end of the archive
                    pass
            return None
        if name.endswith(".npz"):
            with np.load(path, allow_pickle=False) as archive:
                for key in archive.files:
                    archive[key]
            return None
        if name.endswith(".txt"):
            return _csv_numbers_problem(path)
    except Exception as exc:  # noqa: BLE001 - any failure to read is the answer
        return f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    return None


def _pickle_problem(path: Path) -> str | None:
    with open(path, "rb") as fh:
        obj = pickle.load(fh, encoding="latin1")  # noqa: S301 - the loader reads it the same way
    if path.name.endswith(".graph") and not isinstance(obj, dict):
        return f"expected a dict of adjacency lists, found {type(obj).__name__}"
    return None


def _idx_problem(path: Path) -> str | None:
    """IDX: 2 zero bytes, a type code, the number of dimensions, big-endian int32 sizes, data."""
    data = path.read_bytes()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        return "not an IDX file of unsigned bytes"
    dims = data[3]
    if len(data) < 4 + 4 * dims:
        return "truncated header"
    sizes = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    expected = 4 + 4 * dims + int(np.prod(sizes))
    if len(data) != expected:
        return f"{len(data)} bytes, expected {expected} for shape {tuple(sizes)} (truncated?)"
    return None


def _csv_numbers_problem(path: Path) -> str | None:
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            for item in line.replace(",", " ").split():
                try:
                    float(item)
                except ValueError:
                    return f"line {number}: {line.strip()[:40]!r} is not a list of numbers"
    return None
