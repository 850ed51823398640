"""Generated datasets: the embedded defaults that need no download.

Each generator module registers itself here with :func:`register_generator`; a generator is a
function of keyword arguments (always including ``seed``) returning a dataset object. Every
generator is also listed as an embedded dataset in the catalog under the same name, built with
its default arguments.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from tenfold.data.catalog import DatasetSpec, register_dataset

_GENERATORS: dict[str, Callable[..., Any]] = {}


def register_generator(name: str, description: str) -> Callable[[Callable], Callable]:
    """Decorator: register ``fn`` as generator ``name`` and as an embedded catalog dataset."""
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        _GENERATORS[name] = fn
        register_dataset(DatasetSpec(
            name=name, description=description, required=(),
            load=lambda root, download, **kwargs: fn(**kwargs),
        ))
        return fn
    return wrap


def generate(name: str, **kwargs: Any) -> Any:
    """Run generator ``name`` with ``kwargs``."""
    if name not in _GENERATORS:
        raise KeyError(f"unknown generator {name!r}; known: {', '.join(sorted(_GENERATORS))}")
    return _GENERATORS[name](**kwargs)


def generators() -> dict[str, Callable[..., Any]]:
    return dict(sorted(_GENERATORS.items()))


for _mod in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_mod.name}")
