"""The dataset catalog: every dataset tenfold knows, where it is found now, and how to load it.

Each entry names the files that must exist under a data root (``required``); the search order is
an explicit ``root``, the ``$TENFOLD_DATA`` mirror, the cache, then the loader's own download.
A load that fails on damaged files raises :class:`DataCorruptError` naming the file, after
removing whatever the attempt wrote into the cache.

The catalog itself is torch-free: the dataset modules import torch, torchvision and
torch_geometric inside their loaders, and the generated datasets of :mod:`tenfold.data.synthetic`
are listed from their modules' source (their ``@register_generator("name", "description")``
lines) and imported when one is loaded, so ``tenfold list`` starts in well under a second.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenfold.data.locate import (
    cache_root,
    check_cache,
    downloads_allowed,
    mirror_root,
    working_root,
)
from tenfold.errors import DataCorruptError, DataNotFoundError, TenfoldError


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset.

    Attributes:
        name: the ``--dataset`` name (lower case).
        description: one line for ``tenfold list``.
        required: paths relative to a data root that must exist for the data to count as present
            (empty for embedded data).
        load: ``load(root, download, **kwargs)`` returns the dataset object; ``root`` is where
            the files were found (``None`` for embedded data); ``download`` says whether it may
            download.
        can_download: whether the standard loader knows how to download it.
        how_to_get: what to tell a user when it is missing.
        prepared: paths that also count as present in the cache (what ``tenfold data prepare``
            extracted there, e.g. image folders from the mirror's tars).
    """

    name: str
    description: str
    required: tuple[str, ...]
    load: Callable[[Path | None, bool], Any]
    can_download: bool = False
    how_to_get: str = ""
    prepared: tuple[str, ...] = ()

    @property
    def embedded(self) -> bool:
        return not self.required

    @property
    def folder(self) -> str:
        """The dataset's own folder under a root (``graphs/Cora``, ``images/flowers12``)."""
        return "/".join(Path(self.required[0]).parts[:2]) if self.required else ""

    def present_in(self, root: Path | None) -> bool:
        return root is not None and all((root / rel).exists() for rel in self.required)

    def prepared_in(self, root: Path | None) -> bool:
        return root is not None and bool(self.prepared) and all(
            (root / rel).is_dir() for rel in self.prepared)


_DATASETS: dict[str, DatasetSpec] = {}


def register_dataset(spec: DatasetSpec) -> DatasetSpec:
    _DATASETS[spec.name] = spec
    return spec


def all_datasets() -> dict[str, DatasetSpec]:
    import tenfold.data.graphs  # noqa: F401  (each module registers its datasets)
    import tenfold.data.images  # noqa: F401
    import tenfold.data.tracking  # noqa: F401

    _register_generated()
    return dict(sorted(_DATASETS.items()))


SYNTHETIC = "tenfold.data.synthetic"


def _register_generated() -> None:
    """Register every generated dataset of :mod:`tenfold.data.synthetic` without importing it.

    Each generator module is read as source for its ``register_generator("name",
    "description")`` calls; the entry's loader imports the package when the dataset is loaded.
    If a call cannot be read that way (a computed name) or the package is already imported, the
    package is imported and registers its datasets itself."""
    if SYNTHETIC in sys.modules:
        return
    found = _generated_in_source()
    if found is None:
        importlib.import_module(SYNTHETIC)
        return
    for name, description in found:
        if name not in _DATASETS:
            register_dataset(DatasetSpec(name=name, description=description, required=(),
                                         load=_generate(name)))


def _generated_in_source() -> list[tuple[str, str]] | None:
    """``(name, description)`` of every ``register_generator`` call in the modules of the
    synthetic package, or ``None`` if one of them is not made of string literals (read once
    per version of the files)."""
    spec = importlib.util.find_spec(SYNTHETIC)
    if spec is None or not spec.submodule_search_locations:
        return None
    paths = [path for folder in spec.submodule_search_locations
             for path in sorted(Path(folder).glob("*.py")) if path.name != "__init__.py"]
    try:
        stamps = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
    except OSError:
        return None
    return _read_generators(stamps)


@functools.lru_cache(maxsize=4)
def _read_generators(stamps: tuple[tuple[str, int, int], ...]) -> list[tuple[str, str]] | None:
    """The ``register_generator`` calls of the files named in ``stamps`` (path, mtime, size)."""
    found = []
    for name, _, _ in stamps:
        path = Path(name)
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (OSError, SyntaxError, ValueError):
            return None
        for node in ast.walk(tree):
            func = node.func if isinstance(node, ast.Call) else None
            called = getattr(func, "id", None) or getattr(func, "attr", None)
            if called != "register_generator":
                continue
            args = dict(zip(("name", "description"), node.args, strict=False))
            args.update((k.arg, k.value) for k in node.keywords)
            if set(args) != {"name", "description"} or not all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str)
                    for a in args.values()):
                return None
            found.append((args["name"].value, args["description"].value))
    return found


def _generate(name: str) -> Callable[..., Any]:
    """The loader of generated dataset ``name``: its generator with the given keyword
    arguments (the package is imported on first use)."""
    def load(root: Path | None, download: bool, **kwargs: Any) -> Any:
        from tenfold.data.synthetic import generate

        return generate(name, **kwargs)
    return load


def get_dataset(name: str) -> DatasetSpec:
    datasets = all_datasets()
    key = name.lower()
    if key not in datasets:
        raise DataNotFoundError(
            f"unknown dataset {name!r}; known datasets: {', '.join(datasets)}"
        )
    return datasets[key]


def locate(name: str, root: str | Path | None = None) -> tuple[str, Path | None]:
    """Where ``name`` would be read from now: ``(place, root)``.

    ``place`` is one of ``embedded``, ``root``, ``mirror``, ``cache``, ``download`` or ``missing``.
    ``root`` defaults to ``$TENFOLD_DATA_ROOT`` (set by ``tenfold run --data-root``).
    """
    spec = get_dataset(name)
    if spec.embedded:
        return "embedded", None
    root = root or os.environ.get("TENFOLD_DATA_ROOT")
    candidates = [("root", Path(root).expanduser() if root else None),
                  ("mirror", mirror_root()), ("cache", cache_root())]
    for place, path in candidates:
        if spec.present_in(path) or (place == "cache" and spec.prepared_in(path)):
            return place, path
    if spec.can_download and downloads_allowed():
        return "download", cache_root()
    return "missing", None


def load_dataset(name: str, root: str | Path | None = None, **kwargs: Any) -> Any:
    """Load dataset ``name`` from the first place that has it (see :func:`locate`).

    ``kwargs`` go to the loader (for example ``transform=`` for image and graph datasets).
    """
    spec = get_dataset(name)
    place, path = locate(name, root)
    if place == "missing":
        raise DataNotFoundError(missing_message(spec, root))
    if place == "embedded":
        return spec.load(path, False, **kwargs)
    cache = check_cache()
    cache_existed = cache.exists()
    work = working_root(path) / spec.folder
    before = _entries(work)
    try:
        return spec.load(path, place == "download", **kwargs)
    except TenfoldError:
        _remove_new(work, before, cache_existed)
        raise
    except Exception as exc:  # noqa: BLE001 - a loader fails in its own ways on damaged files
        _remove_new(work, before, cache_existed)
        if place == "download":
            raise DataNotFoundError(
                f"{missing_message(spec, root)} The download attempt failed: {exc}") from None
        raise corrupt_error(spec, place, path, exc) from None


def corrupt_error(spec: DatasetSpec, place: str, root: Path, exc: Exception) -> DataCorruptError:
    """The error for a dataset whose files are present but unreadable, naming the damaged file
    (found by :func:`tenfold.data.verify.damaged_file`) and what to do."""
    from tenfold.data.verify import damaged_file

    rels = spec.prepared if place == "cache" and spec.prepared_in(root) \
        and not spec.present_in(root) else spec.required
    found = damaged_file([root / rel for rel in rels])
    remedy = {"root": "replace it in the --data-root folder",
              "mirror": "restore it in the data mirror ($TENFOLD_DATA)",
              "cache": f"delete {root / spec.folder} from the cache so it is made again"
              }.get(place, "replace it")
    if found is not None:
        path, problem = found
        return DataCorruptError(f"dataset {spec.name!r}: {path} is damaged ({problem}); {remedy}")
    return DataCorruptError(
        f"dataset {spec.name!r} in {root / spec.folder} could not be read "
        f"({type(exc).__name__}: {exc}); check its files ({', '.join(rels)}) and {remedy}")


def _entries(folder: Path) -> set[Path]:
    """Paths up to two levels under ``folder`` (where loaders put processed/extracted files)."""
    if not folder.is_dir():
        return set()
    found = {folder}
    for child in folder.iterdir():
        found.add(child)
        if child.is_dir():
            found.update(child.iterdir())
    return found


def _remove_new(folder: Path, before: set[Path], cache_existed: bool) -> None:
    """Remove what a failed load added under ``folder`` (and ``folder`` itself if it is new,
    with the empty folders above it up to the cache, and the cache if the load made it)."""
    if not before:
        shutil.rmtree(folder, ignore_errors=True)
        cache = cache_root()
        for parent in folder.parents:  # empty folders the attempt made on the way
            if (parent == cache and cache_existed) or not parent.is_dir() \
                    or any(parent.iterdir()):
                break
            parent.rmdir()
            if parent == cache:
                break
        return
    for path in sorted(_entries(folder) - before, key=lambda p: -len(p.parts)):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def missing_message(spec: DatasetSpec, root: str | Path | None) -> str:
    looked = []
    root = root or os.environ.get("TENFOLD_DATA_ROOT")
    if root:
        looked.append(f"--data-root {root}")
    mirror = mirror_root()
    looked.append(f"$TENFOLD_DATA={mirror}" if mirror else "$TENFOLD_DATA (not set)")
    looked.append(f"cache {cache_root()}")
    files = ", ".join(spec.required)
    hint = spec.how_to_get or "point TENFOLD_DATA at a data mirror that holds it"
    online = "" if downloads_allowed() or not spec.can_download else (
        " (downloads are off: TENFOLD_OFFLINE is set)")
    return (f"dataset {spec.name!r} not found{online}. Looked for {files} in: "
            f"{'; '.join(looked)}. To get it: {hint}.")
