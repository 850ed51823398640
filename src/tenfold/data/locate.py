"""Where data lives: explicit root → ``$TENFOLD_DATA`` mirror → cache → the loader's download.

The mirror is read-only: anything a loader would write (processed files, extracted archives) goes
to the cache (``$TENFOLD_CACHE`` or ``~/.cache/tenfold``). Downloads are attempted only when
``TENFOLD_OFFLINE`` is unset; tests and CI set it.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path


def mirror_root() -> Path | None:
    """The read-only mirror named by ``$TENFOLD_DATA``, if set."""
    value = os.environ.get("TENFOLD_DATA")
    return Path(value).expanduser() if value else None


def cache_root() -> Path:
    """The writable cache: ``$TENFOLD_CACHE`` or ``~/.cache/tenfold``."""
    value = os.environ.get("TENFOLD_CACHE")
    return Path(value).expanduser() if value else Path.home() / ".cache" / "tenfold"


def downloads_allowed() -> bool:
    """False when ``TENFOLD_OFFLINE`` is set to anything but 0/false."""
    return os.environ.get("TENFOLD_OFFLINE", "0").lower() in {"", "0", "false", "no"}


def _publish(dst: Path, fill) -> None:
    """Build ``dst`` once: ``fill(tmp)`` writes a temporary sibling, which is then renamed, so a
    killed copy never leaves a half-filled ``dst`` behind. An empty ``dst`` (a loader such as
    PyG's makes its ``raw/`` folder before a download that then failed) counts as absent."""
    if dst.is_dir() and any(dst.iterdir()):
        return
    if dst.is_dir():
        dst.rmdir()
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    fill(tmp)
    os.replace(tmp, dst)


def copy_tree(src: Path, dst: Path) -> None:
    """Copy folder ``src`` to ``dst`` (plain files, so a read-only mirror gives writable copies)."""
    _publish(dst, lambda tmp: shutil.copytree(src, tmp, copy_function=shutil.copyfile))


def extract_tar(archive: Path, dst: Path) -> None:
    """Extract ``archive`` into folder ``dst`` once."""
    def fill(tmp: Path) -> None:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
    _publish(dst, fill)
