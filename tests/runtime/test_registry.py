"""Lazy recipe registration: metadata read from source equals the registered recipes', without
importing torch_geometric or any recipe module; a module whose call is not constant is imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tenfold.errors import ConfigError
from tenfold.runtime.registry import INFO_FIELDS, _read_infos, all_recipes, recipe_index


def test_index_read_from_source_equals_the_imported_recipes():
    index = recipe_index()
    recipes = all_recipes()
    assert list(index) == list(recipes)
    for name, recipe in recipes.items():
        for field in INFO_FIELDS:
            want = getattr(recipe, field)
            got = getattr(index[name], field)
            assert got == (tuple(want) if field == "datasets" else want), (name, field)
        assert index[name].module == recipe.run.__module__


def test_listing_recipes_imports_no_recipe_and_no_torch_geometric():
    code = textwrap.dedent("""
        import sys
        from tenfold.runtime.registry import recipe_index, get_recipe
        names = list(recipe_index())
        assert "snapmix" in names and "twp" in names, names
        loaded = sorted(m for m in sys.modules
                        if m.startswith("tenfold.recipes.") or m.startswith("torch_geometric"))
        assert not loaded, loaded
        assert "torch" not in sys.modules
        try:
            get_recipe("no-such-recipe")
        except Exception as exc:
            assert "known recipes" in str(exc)
        assert "torch" not in sys.modules
        get_recipe("snapmix")
        assert "tenfold.recipes.snapmix" in sys.modules
        assert "tenfold.recipes.twp" not in sys.modules
        print("ok")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_reader_follows_constants_and_refuses_computed_values(tmp_path):
    good = tmp_path / "good.py"
    good.write_text(textwrap.dedent('''
        BASE = ("a", "b")
        DATASETS = (*BASE, "c")
        register_recipe(Recipe(name="x", config_cls=C, run=run, summary="one " "line",
                               presets={"smoke": {"seeds": [0]},
                                        "paper": {"seeds": list(range(3))}},
                               datasets=DATASETS, baseline=None, primary_metric="acc",
                               quick_minutes=1.5, distributed=True))
    '''))
    (info,) = _read_infos(good, "m.good")
    assert info.datasets == ("a", "b", "c") and info.summary == "one line"
    assert info.presets["paper"] == {"seeds": [0, 1, 2]}
    assert info.quick_minutes == 1.5 and info.distributed and info.baseline is None
    computed = tmp_path / "computed.py"
    computed.write_text('register_recipe(Recipe(name=make_name(), summary="s", presets={}, '
                        'datasets=("a",), primary_metric="m"))\n')
    assert _read_infos(computed, "m.computed") is None      # -> imported instead
    imported = tmp_path / "imported.py"                     # a constant of another module
    imported.write_text('from tenfold.runtime.registry import PRESETS as P, Recipe\n'
                        'register_recipe(Recipe(name="y", summary="s", presets={}, datasets=P, '
                        'primary_metric="m"))\n')
    assert _read_infos(imported, "m.imported")[0].datasets == ("smoke", "quick", "paper")
    imported.write_text(imported.read_text().replace("datasets=P", "datasets=Recipe"))
    assert _read_infos(imported, "m.imported") is None      # a class, not a constant


def test_unknown_recipe_lists_the_known_ones():
    from tenfold.runtime.registry import get_recipe

    with pytest.raises(ConfigError, match="known recipes: .*snapmix"):
        get_recipe("snapmixx")


def test_settings_class_read_from_source_equals_the_recipes_config():
    """``settings_class`` (torch-free, for argument errors) gives every recipe's settings with
    the same names, types, defaults, rules and meanings as the imported config class."""
    from tenfold.runtime.registry import _RECIPES, settings_class
    from tenfold.runtime.rules import settings_of

    index = recipe_index()
    saved = dict(_RECIPES)
    _RECIPES.clear()                     # read from source even where a test imported a recipe
    try:
        light = {}
        for name, info in index.items():
            module = info.module
            hidden = sys.modules.pop(module, None)
            try:
                light[name] = settings_class(name)
            finally:
                if hidden is not None:
                    sys.modules[module] = hidden
    finally:
        _RECIPES.update(saved)
    recipes = all_recipes()
    for name, cls in light.items():
        assert cls is not None, f"{name}: its config class needs an import beyond typing/rules"
        assert cls is not recipes[name].config_cls
        assert settings_of(cls) == settings_of(recipes[name].config_cls), name


def test_argument_errors_come_from_source_before_torch():
    code = textwrap.dedent("""
        import sys
        from tenfold.errors import ConfigError
        from tenfold.runtime.registry import check_settings
        bad = [("gnn-baselines", ["lr=-1"]), ("twp", ["epochs=0"]),
               ("twp", ["task_subgraphs=true"]), ("gnn-baselines", ["methods=gcn,gcn"])]
        for name, overrides in bad:
            try:
                check_settings(name, "smoke", None, overrides)
            except ConfigError as exc:
                print(name, exc)
            else:
                raise SystemExit(f"{name} {overrides} accepted")
        check_settings("twp", "quick", "cora", ["epochs=3"])
        assert "torch" not in sys.modules and not any(
            m.startswith("tenfold.recipes.") for m in sys.modules), "imported torch/a recipe"
        print("ok")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert "lr=-1.0: must be > 0" in lines[0] and "epochs=0: must be ≥ 1" in lines[1]
    assert "needs inter_task_edges=false" in lines[2] and "repeats gcn" in lines[3]
