"""The recipe registry: each recipe module registers itself with :func:`register_recipe`.

A recipe is a paper's experiment at a chosen scale: a config dataclass (it must have a
``dataset`` field), named presets, and ``run(config, ctx) -> {method: {metric: value}}`` for one
seed. The runtime loops over seeds, stores each seed's result, and summarises.

Registration is lazy: :func:`recipe_index` reads every module of ``tenfold.recipes`` as source
text (its ``register_recipe(Recipe(...))`` call, with the module's constants) without importing
it, so ``tenfold list`` and argument errors need neither torch nor torch_geometric;
:func:`get_recipe` imports the one module it needs. A module whose call cannot be read that way
(for example a value computed by a function) is imported instead, so a new recipe module is
always found.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import importlib
import logging
import os
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenfold.errors import ConfigError

log = logging.getLogger(__name__)

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
        quick_minutes: about how many minutes the ``quick`` preset takes on a 2-core CPU
            (``None``: not measured).
        distributed: ``True`` when ``run`` trains data-parallel under several processes
            (``torchrun``: ``fabric.setup``, ``fabric.backward``, per-rank batches, metrics
            reduced over ranks). ``False`` (full-batch graph recipes): under more than one
            process the run stops with one error before it trains.
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
    quick_minutes: float | None = None
    distributed: bool = False

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

#: The fields of :class:`Recipe` that :func:`recipe_index` reads without importing a module.
INFO_FIELDS = ("name", "summary", "presets", "datasets", "baseline", "primary_metric",
               "higher_is_better", "quick_minutes", "distributed")


@dataclass(frozen=True)
class RecipeInfo:
    """A recipe's metadata, read from its module's source without importing it."""

    name: str
    module: str
    summary: str
    presets: dict[str, dict[str, Any]]
    datasets: tuple[str, ...]
    baseline: str | None
    primary_metric: str
    higher_is_better: bool = True
    quick_minutes: float | None = None
    distributed: bool = False


class _NotLiteral(Exception):
    """A value in a ``Recipe(...)`` call that cannot be read without running the module."""


class _Reader:
    """Evaluates constant expressions of one module: literals, tuples/lists/dicts/sets (with
    ``*`` and ``**``), names bound once at module level to such values, ``list``/``tuple``/
    ``range``/``dict`` of those, unary minus and ``+``/``*`` of numbers and sequences."""

    _CALLS = {"list": list, "tuple": tuple, "range": range, "dict": dict, "set": set}

    def __init__(self, tree: ast.Module):
        self.names: dict[str, ast.expr] = {}
        self.imported: dict[str, tuple[str, str]] = {}   # local name -> (tenfold module, name)
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name):
                self.names[node.targets[0].id] = node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                    and node.value is not None:
                self.names[node.target.id] = node.value
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                    and node.module.startswith("tenfold."):
                for alias in node.names:
                    self.imported[alias.asname or alias.name] = (node.module, alias.name)

    def imported_value(self, name: str, depth: int = 0) -> Any:
        """The constant ``name`` imported from another tenfold module, read from its source."""
        module, attr = self.imported[name]
        path = _tenfold_source(module)
        tree = None if path is None else _source_tree(path)
        if tree is None:
            raise _NotLiteral(f"{module}.{attr}")
        other = _Reader(tree)
        if attr in other.names:
            return other.value(other.names[attr], depth + 1)
        if attr in other.imported:
            return other.imported_value(attr, depth + 1)
        raise _NotLiteral(f"{module}.{attr}")

    def value(self, node: ast.expr, depth: int = 0) -> Any:
        if depth > 20:
            raise _NotLiteral("too deep")
        ev = lambda n: self.value(n, depth + 1)  # noqa: E731
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name) and node.id in self.names:
            return ev(self.names[node.id])
        if isinstance(node, ast.Name) and node.id in self.imported:
            return self.imported_value(node.id, depth + 1)
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            items: list[Any] = []
            for elt in node.elts:
                items.extend(ev(elt.value) if isinstance(elt, ast.Starred) else [ev(elt)])
            kind = {ast.Tuple: tuple, ast.List: list, ast.Set: set}[type(node)]
            return kind(items)
        if isinstance(node, ast.Dict):
            out: dict[Any, Any] = {}
            for key, val in zip(node.keys, node.values, strict=True):
                if key is None:
                    out.update(ev(val))
                else:
                    out[ev(key)] = ev(val)
            return out
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in self._CALLS and not node.keywords:
            return self._CALLS[node.func.id](*[ev(a) for a in node.args])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mult):
            left, right = ev(node.left), ev(node.right)
            return left + right if isinstance(node.op, ast.Add) else left * right
        raise _NotLiteral(ast.dump(node)[:80])


@functools.lru_cache(maxsize=64)
def _parse(path: Path, stamp: tuple[int, int]) -> ast.Module | None:
    """The syntax tree of ``path`` (cached per modification time and size: ``stamp``)."""
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None


def _source_tree(path: Path) -> ast.Module | None:
    stamp = _stamp(path)
    return None if stamp is None else _parse(path, stamp)


def _tenfold_source(module: str) -> Path | None:
    """The source file of ``tenfold.<...>`` module ``module``, found without importing it."""
    base = Path(__file__).resolve().parent.parent
    parts = module.split(".")[1:]
    for candidate in (base.joinpath(*parts).with_suffix(".py"),
                      base.joinpath(*parts, "__init__.py")):
        if parts and candidate.is_file():
            return candidate
    return None


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _read_infos(path: Path, module: str) -> list[RecipeInfo] | None:
    """The ``Recipe(...)`` calls of one module's source, or ``None`` if one cannot be read."""
    stamp = _stamp(path)
    return None if stamp is None else _read_infos_at(path, module, stamp)


@functools.lru_cache(maxsize=64)
def _read_infos_at(path: Path, module: str, stamp: tuple[int, int]) -> list[RecipeInfo] | None:
    tree = _parse(path, stamp)
    if tree is None:
        return None
    reader = _Reader(tree)
    infos = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "Recipe"):
            continue
        if node.args or any(k.arg is None for k in node.keywords):
            return None
        keywords = {k.arg: k.value for k in node.keywords if k.arg in INFO_FIELDS}
        try:
            values = {k: reader.value(v) for k, v in keywords.items()}
        except (_NotLiteral, TypeError, ValueError, KeyError):
            return None
        if not {"name", "summary", "presets", "datasets", "primary_metric"} <= set(values):
            return None
        values["datasets"] = tuple(values["datasets"])
        values.setdefault("baseline", None)
        infos.append(RecipeInfo(module=module, **values))
    return infos


def _info_of(recipe: Recipe) -> RecipeInfo:
    module = getattr(recipe.run, "__module__", "") or ""
    return RecipeInfo(module=module, **{k: getattr(recipe, k) for k in INFO_FIELDS})


def _recipe_modules() -> list[tuple[str, Path]]:
    """``(module name, file)`` of every public module of the ``tenfold.recipes`` package."""
    import tenfold.recipes as package

    found = []
    for folder in package.__path__:
        for path in sorted(Path(folder).glob("*.py")):
            if not path.stem.startswith("_"):
                found.append((f"{package.__name__}.{path.stem}", path))
    return found


def recipe_index() -> dict[str, RecipeInfo]:
    """Every recipe's metadata by name, sorted, importing only modules whose ``Recipe(...)``
    call is not made of constants (and none that is already imported is read again)."""
    infos: dict[str, RecipeInfo] = {}
    for module, path in _recipe_modules():
        read = None if module in sys.modules or os.environ.get("TENFOLD_EAGER_RECIPES") \
            else _read_infos(path, module)
        if read is None:
            before = set(_RECIPES)
            importlib.import_module(module)
            read = [_info_of(r) for n, r in _RECIPES.items()
                    if n not in before or r.run.__module__ == module]
        for info in read:
            infos[info.name] = info
    for name, recipe in _RECIPES.items():      # registered from elsewhere (tests, plug-ins)
        infos.setdefault(name, _info_of(recipe))
    return dict(sorted(infos.items()))


#: Imports a recipe module may make that :func:`settings_class` keeps (torch-free, cheap).
_LIGHT_IMPORTS = ("__future__", "collections", "dataclasses", "enum", "functools", "logging",
                  "math", "typing", "tenfold.errors", "tenfold.runtime.rules")


def settings_class(name: str) -> type | None:
    """The config dataclass of recipe ``name`` for checking settings, without importing the
    recipe (so without torch): its module's source with only the torch-free imports, the
    module-level constants, functions and classes that run without the rest (the others are
    left out one by one), executed in a module of its own. ``None`` when the config class
    cannot be made that way (it needs an import that was left out). An imported recipe gives
    its own class. The class has the same fields, types, defaults, rules and meanings
    (``tests/runtime/test_registry.py`` compares them for every recipe)."""
    if name in _RECIPES:
        return _RECIPES[name].config_cls
    info = recipe_index().get(name)
    if info is None:
        return None
    if info.module in sys.modules:
        return get_recipe(name).config_cls
    path = next((p for m, p in _recipe_modules() if m == info.module), None)
    tree = None if path is None else _source_tree(path)
    if tree is None:
        return None
    cls_name = next((k.value.id for node in ast.walk(tree) if isinstance(node, ast.Call)
                     and isinstance(node.func, ast.Name) and node.func.id == "Recipe"
                     for k in node.keywords
                     if k.arg == "config_cls" and isinstance(k.value, ast.Name)), None)
    if cls_name is None:
        return None
    module = types.ModuleType(f"_tenfold_settings.{path.stem}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module  # dataclasses and typing resolve names through it
    reader = _Reader(tree)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and not _light_statement(node):
            for alias in node.names:     # constants of other tenfold modules, from source
                local = alias.asname or alias.name
                if local in reader.imported:
                    with contextlib.suppress(_NotLiteral, TypeError, ValueError, KeyError,
                                             RecursionError):
                        module.__dict__[local] = reader.imported_value(local)
            continue
        if not _light_statement(node):
            continue
        code = compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec")
        try:
            exec(code, module.__dict__)  # noqa: S102 - this package's own recipe source
        except Exception:  # noqa: BLE001, S112 - a statement that needs a left-out import
            continue
    cls = module.__dict__.get(cls_name)
    return cls if isinstance(cls, type) and dataclasses.is_dataclass(cls) else None


def _light_statement(node: ast.stmt) -> bool:
    """Whether :func:`settings_class` runs this top-level statement: torch-free imports,
    assignments, function and class definitions; never a registration."""
    if isinstance(node, ast.Import):
        return all(a.name.split(".")[0] in _LIGHT_IMPORTS for a in node.names)
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and node.module is not None and (
            node.module in _LIGHT_IMPORTS or node.module.split(".")[0] in _LIGHT_IMPORTS)
    if not isinstance(node, ast.Assign | ast.AnnAssign | ast.FunctionDef | ast.ClassDef):
        return False
    return not any(isinstance(n, ast.Name) and n.id in {"register_recipe", "Recipe"}
                   for n in ast.walk(node))


def recipe_names() -> list[str]:
    """The names of every recipe (no recipe module is imported when their calls are constant)."""
    return list(recipe_index())


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
    """Every registered recipe, importing every recipe module."""
    for module, _ in _recipe_modules():
        importlib.import_module(module)
    return dict(sorted(_RECIPES.items()))


def get_recipe(name: str) -> Recipe:
    """The recipe ``name``, importing only its own module.

    Under several processes (``WORLD_SIZE > 1``, set by ``torchrun``) a recipe that is not
    ``distributed`` is refused here, before anything is written or trained."""
    if name not in _RECIPES:
        index = recipe_index()
        if name not in index:
            raise ConfigError(f"unknown recipe {name!r}; known recipes: {', '.join(index)}")
        importlib.import_module(index[name].module)
        if name not in _RECIPES:
            raise ConfigError(f"recipe module {index[name].module} did not register {name!r}")
    recipe = _RECIPES[name]
    check_world_size(recipe, int(os.environ.get("WORLD_SIZE", "1")))
    return recipe


def check_world_size(recipe: Recipe | RecipeInfo, world_size: int) -> None:
    """Refuse to run a recipe that cannot train data-parallel in ``world_size > 1`` processes
    (it would train identical copies)."""
    if world_size > 1 and not recipe.distributed:
        raise ConfigError(
            f"recipe {recipe.name!r} trains full-batch on one device and cannot use "
            f"{world_size} processes; run it without torchrun (data-parallel recipes: "
            f"{', '.join(n for n, i in recipe_index().items() if i.distributed) or 'none'})")


def check_request(name: str, preset: str | None = None, dataset: str | None = None) -> None:
    """Refuse an unknown recipe, preset or dataset, or a single-process recipe under torchrun,
    from the metadata alone (no recipe, no torch imported), with the messages of
    :func:`get_recipe`, :meth:`Recipe.preset` and ``plan_run``."""
    index = recipe_index()
    if name not in index:
        raise ConfigError(f"unknown recipe {name!r}; known recipes: {', '.join(index)}")
    info = index[name]
    if preset is not None and preset not in info.presets:
        raise ConfigError(f"recipe {name!r} has no preset {preset!r}; presets: "
                          f"{', '.join(info.presets)}")
    if dataset is not None and dataset.lower() not in info.datasets:
        raise ConfigError(f"recipe {name!r} does not run on dataset {dataset!r}; its datasets: "
                          f"{', '.join(info.datasets)}")
    check_world_size(info, int(os.environ.get("WORLD_SIZE", "1")))


def check_settings(name: str, preset: str = "quick", dataset: str | None = None,
                   overrides: list[str] | tuple[str, ...] = ()) -> None:
    """Refuse bad ``--set`` values (and a preset or dataset that breaks a rule) from the
    recipe's source alone, before torch or the recipe is imported: the checks of ``plan_run``
    (parse, rules, dataset, ``validate()``) on :func:`settings_class`. A ``validate()`` that
    needs what the settings class left out is skipped here; ``plan_run`` runs it again anyway."""
    from tenfold.runtime.config import build_config, parse_overrides

    check_request(name, preset, dataset)
    cls = settings_class(name)
    if cls is None:
        return
    info = recipe_index()[name]
    preset_values = {k: v for k, v in info.presets[preset].items() if k != "seeds"}
    values = parse_overrides(cls, list(overrides))
    if dataset is not None:
        values["dataset"] = dataset.lower()
    elif "dataset" not in preset_values:
        values.setdefault("dataset", info.datasets[0])
    config = build_config(cls, preset_values, values)
    if config.dataset not in info.datasets:
        raise ConfigError(f"recipe {name!r} does not run on dataset {config.dataset!r}; "
                          f"its datasets: {', '.join(info.datasets)}")
    check = getattr(config, "validate", None)
    if callable(check):
        try:
            check()
        except ConfigError:
            raise
        except Exception:  # noqa: BLE001 - needs a left-out import: plan_run checks it
            log.debug("%s: validate() needs the recipe module; checked when the run starts",
                      name)
