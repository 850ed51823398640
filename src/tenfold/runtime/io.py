"""Atomic file writes: write to a temporary file in the same folder, fsync, then rename."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: str | Path, data: Any) -> None:
    """Atomically write ``data`` as indented, key-sorted JSON."""
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    _atomic(Path(path), lambda fh: fh.write(text.encode()))


def read_json(path: str | Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def write_text(path: str | Path, text: str) -> None:
    """Atomically write a text file."""
    _atomic(Path(path), lambda fh: fh.write(text.encode()))


def save_torch(path: str | Path, obj: Any) -> None:
    """Atomically ``torch.save`` an object (checkpoints)."""
    _atomic(Path(path), lambda fh: torch.save(obj, fh))
