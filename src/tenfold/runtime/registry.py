"""The recipe registry: each recipe module registers itself with :func:`register_recipe`.

A recipe is a paper's experiment at a chosen scale: a config dataclass (it must have a
``dataset`` field), named presets, and ``run(config, ctx) -> {method: {metric: value}}`` for one
seed. The runtime loops over seeds, stores each seed's result, and summarises.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tenfold.errors import ConfigError

PRESETS = ("smoke", "quick", "paper")


@dataclass(frozen=True)
class Recipe:
    """What the runtime needs to know about one recipe.

    Attributes:
        name: the CLI name (``tenfold run <name>``).
        config_cls: a dataclass with a ``dataset`` field; its defaults are the ``quick`` scale
            unless a preset says otherwise.
        run: ``run(config, ctx)`` trains and evaluates every method for ``ctx.seed`` and returns
            ``{method: {metric: float}}``.
        presets: preset name -> setting overrides; the special key ``seeds`` gives the preset's
            default seeds.
        datasets: accepted ``--dataset`` names; the first is the embedded default that needs no
            download (used by ``tenfold reproduce``).
        baseline: the method every other method is compared against (paired over seeds).
        primary_metric: the metric shown first in tables and bar charts.
        higher_is_better: direction of ``primary_metric``.
        summary: one line for ``tenfold list``.
    """

    name: str
    config_cls: type
    run: Callable[[Any, Any], dict[str, dict[str, float]]]
    presets: dict[str, dict[str, Any]]
    datasets: tuple[str, ...]
    baseline: str | None
    primary_metric: str
    summary: str
    higher_is_better: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def preset(self, name: str) -> tuple[dict[str, Any], list[int]]:
        """Overrides and default seeds of preset ``name``."""
        if name not in self.presets:
            raise ConfigError(
                f"recipe {self.name!r} has no preset {name!r}; presets: {', '.join(self.presets)}"
            )
        values = dict(self.presets[name])
        seeds = list(values.pop("seeds", [0]))
        return values, seeds


_RECIPES: dict[str, Recipe] = {}


def register_recipe(recipe: Recipe) -> Recipe:
    """Add ``recipe`` to the registry (called at import time by each recipe module)."""
    if not dataclasses.is_dataclass(recipe.config_cls):
        raise TypeError(f"{recipe.name}: config_cls must be a dataclass")
    if "dataset" not in {f.name for f in dataclasses.fields(recipe.config_cls)}:
        raise TypeError(f"{recipe.name}: config_cls needs a 'dataset' field")
    missing = [p for p in PRESETS if p not in recipe.presets]
    if missing:
        raise TypeError(f"{recipe.name}: missing presets {missing}")
    _RECIPES[recipe.name] = recipe
    return recipe


def all_recipes() -> dict[str, Recipe]:
    """Every registered recipe, importing the recipe modules first."""
    import tenfold.recipes  # noqa: F401  (registers on import)

    return dict(sorted(_RECIPES.items()))


def get_recipe(name: str) -> Recipe:
    recipes = all_recipes()
    if name not in recipes:
        raise ConfigError(f"unknown recipe {name!r}; known recipes: {', '.join(recipes)}")
    return recipes[name]
