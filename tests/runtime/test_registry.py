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


def test_unknown_recipe_lists_the_known_ones():
    from tenfold.runtime.registry import get_recipe

    with pytest.raises(ConfigError, match="known recipes: .*snapmix"):
        get_recipe("snapmixx")
