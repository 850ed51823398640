"""Atomic file writes: write to a temporary file in the same folder, fsync, then rename.

The file gets the permissions a plain ``open(path, "w")`` would give it (``0o666`` minus the
umask), not the owner-only ``0o600`` of :func:`tempfile.mkstemp`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.chmod(tmp, _FILE_MODE)
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


def cached_torch(folder: str, name: str, settings: dict[str, Any],
                 build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A trained artefact built once per ``settings`` and kept in the cache.

    The file is ``cache_root()/<folder>/<name>-<key>.pt`` with ``key`` the first 12 hex digits of
    the SHA-1 of ``settings`` as key-sorted JSON. If it exists it is loaded (tensors only, on the
    CPU); otherwise ``build()`` makes the dict, which is saved atomically with ``settings`` added.
    """
    from tenfold.data.locate import cache_root

    key = hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    path = cache_root() / folder / f"{name}-{key}.pt"
    if path.exists():
        return torch.load(path, map_location="cpu", weights_only=True)
    blob = {**build(), "settings": settings}
    save_torch(path, blob)
    return blob
