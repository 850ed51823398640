"""Where data lives: explicit root → ``$TENFOLD_DATA`` mirror → cache → the loader's download.

The mirror and an explicit ``--data-root`` are read-only: anything a loader would write
(processed files, extracted archives) goes to the cache (``$TENFOLD_CACHE`` or
``~/.cache/tenfold``; a ``--data-root``'s copies under ``roots/<hash>/``). Downloads are attempted
only when ``TENFOLD_OFFLINE`` is unset; tests and CI set it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
from pathlib import Path

from tenfold.errors import ConfigError


def mirror_root() -> Path | None:
    """The read-only mirror named by ``$TENFOLD_DATA``, if set."""
    value = os.environ.get("TENFOLD_DATA")
    return Path(value).expanduser() if value else None


def cache_root() -> Path:
    """The writable cache: ``$TENFOLD_CACHE`` or ``~/.cache/tenfold``."""
    value = os.environ.get("TENFOLD_CACHE")
    return Path(value).expanduser() if value else Path.home() / ".cache" / "tenfold"


def check_cache() -> Path:
    """The cache root, refused with one clear error if it cannot be a folder."""
    root = cache_root()
    named = "TENFOLD_CACHE=" if os.environ.get("TENFOLD_CACHE") else "the cache "
    for path in (root, *root.parents):
        if path.exists():
            if not path.is_dir():
                raise ConfigError(f"{named}{root}: {path} is a file, expected a folder; point "
                                  "TENFOLD_CACHE at a writable folder")
            if not os.access(path, os.W_OK | os.X_OK):
                raise ConfigError(f"{named}{root}: {path} is not writable; point TENFOLD_CACHE "
                                  "at a writable folder")
            return root
    return root


def working_root(root: Path) -> Path:
    """Where a loader may write for data found under ``root``: ``root`` itself when it is the
    cache, else a copy in the cache (the mirror's at the cache root, a ``--data-root``'s under
    ``roots/<12 hex digits of its path's SHA-1>``), so the data root is never written."""
    cache = cache_root()
    resolved = root.resolve()
    if resolved == cache.resolve():
        return root
    mirror = mirror_root()
    if mirror is not None and resolved == mirror.resolve():
        return cache
    return cache / "roots" / hashlib.sha1(str(resolved).encode()).hexdigest()[:12]


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
    try:
        fill(tmp)
        os.replace(tmp, dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # nothing partial stays
        raise


def copy_tree(src: Path, dst: Path) -> None:
    """Copy folder ``src`` to ``dst`` (plain files, so a read-only mirror gives writable copies)."""
    _publish(dst, lambda tmp: shutil.copytree(src, tmp, copy_function=shutil.copyfile))


def extract_tar(archive: Path, dst: Path) -> None:
    """Extract ``archive`` into folder ``dst`` once."""
    def fill(tmp: Path) -> None:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
    _publish(dst, fill)
