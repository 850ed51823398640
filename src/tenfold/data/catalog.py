"""The dataset catalog: every dataset tenfold knows, where it is found now, and how to load it.

Each entry names the files that must exist under a data root (``required``); the search order is
an explicit ``root``, the ``$TENFOLD_DATA`` mirror, the cache, then the loader's own download.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenfold.data.locate import cache_root, downloads_allowed, mirror_root
from tenfold.errors import DataNotFoundError


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
    """

    name: str
    description: str
    required: tuple[str, ...]
    load: Callable[[Path | None, bool], Any]
    can_download: bool = False
    how_to_get: str = ""

    @property
    def embedded(self) -> bool:
        return not self.required

    def present_in(self, root: Path | None) -> bool:
        return root is not None and all((root / rel).exists() for rel in self.required)


_DATASETS: dict[str, DatasetSpec] = {}


def register_dataset(spec: DatasetSpec) -> DatasetSpec:
    _DATASETS[spec.name] = spec
    return spec


def all_datasets() -> dict[str, DatasetSpec]:
    import tenfold.data.graphs  # noqa: F401  (each module registers its datasets)
    import tenfold.data.images  # noqa: F401
    import tenfold.data.synthetic  # noqa: F401
    import tenfold.data.tracking  # noqa: F401

    return dict(sorted(_DATASETS.items()))


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
        if spec.present_in(path):
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
    try:
        return spec.load(path, place == "download", **kwargs)
    except (OSError, RuntimeError) as exc:
        if place != "download":
            raise
        raise DataNotFoundError(
            f"{missing_message(spec, root)}\nThe download attempt failed: {exc}"
        ) from None


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
