from dataclasses import dataclass
from typing import Annotated, Literal

import pytest

from tenfold.errors import ConfigError
from tenfold.runtime.config import (
    build_config,
    check_config,
    config_from_dict,
    config_to_dict,
    parse_overrides,
    parse_seeds,
)
from tenfold.runtime.rules import Rule, settings_of


@dataclass
class Cfg:
    dataset: str = "a"
    lr: float = 0.1
    epochs: int = 3
    flag: bool = False
    dims: tuple[int, ...] = (1, 2)
    mode: Literal["x", "y"] = "x"
    cap: int | None = None


@pytest.mark.parametrize("text, seeds", [("3", [3]), ("0-4", [0, 1, 2, 3, 4]),
                                         ("0,2,5", [0, 2, 5]), ("1-2,7", [1, 2, 7])])
def test_parse_seeds(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["x-y", "", "4-1", "-1", "1,1", "a"])
def test_parse_seeds_refuses(text):
    with pytest.raises(ConfigError, match="seed"):
        parse_seeds(text)


def test_overrides_are_typed():
    got = parse_overrides(Cfg, ["lr=0.5", "epochs=7", "flag=yes", "dims=4,5,6", "mode=y",
                                "cap=none"])
    assert got == {"lr": 0.5, "epochs": 7, "flag": True, "dims": (4, 5, 6), "mode": "y",
                   "cap": None}
    assert parse_overrides(Cfg, ["cap=3"]) == {"cap": 3}


@pytest.mark.parametrize("pair, message", [
    ("lr=abc", "float"), ("nosuchkey=1", "unknown setting"), ("epochs=1.5", "int"),
    ("flag=maybe", "bool"), ("mode=z", "one of"), ("novalue", "key=value")])
def test_overrides_refused_with_reason(pair, message):
    with pytest.raises(ConfigError, match=message):
        parse_overrides(Cfg, [pair])


def test_preset_then_override_order_and_roundtrip():
    cfg = build_config(Cfg, {"lr": 0.2, "epochs": 9}, {"lr": 0.3})
    assert (cfg.lr, cfg.epochs) == (0.3, 9)
    assert config_from_dict(Cfg, config_to_dict(cfg)) == cfg


# -- rules: one declarative table checked before anything is written ------------------------------
@dataclass
class Ruled:
    dataset: str = "a"
    lr: float = 0.1
    dropout: float = 0.5
    epochs: int = 3
    methods: tuple[str, ...] = ("x", "y")
    widths: tuple[int, ...] = (4, 4)
    warm: Annotated[int, Rule(low=2, special=((0, "auto"),), meaning="warm-up")] = 0
    note: Annotated[str, "free text"] = ""
    scale: float | None = None


@pytest.mark.parametrize("override, message", [
    ({"lr": -0.01}, "lr=-0.01: must be > 0"), ({"lr": 0.0}, "must be > 0"),
    ({"lr": float("nan")}, "finite"), ({"lr": float("inf")}, "finite"),
    ({"dropout": 1.0}, "in [0, 1)"), ({"dropout": -0.1}, "in [0, 1)"),
    ({"epochs": 0}, "≥ 1"), ({"methods": ()}, "must not be empty"),
    ({"methods": ("x", "x")}, "repeats x"), ({"widths": (4, 0)}, "≥ 1"),
    ({"warm": 1}, "≥ 2, 0 = auto"), ({"scale": float("-inf")}, "finite"),
    ({"epochs": "3"}, "expected int"), ({"lr": True}, "expected float"),
    ({"dataset": ""}, "must not be empty"),
])
def test_rules_refuse_out_of_range_values(override, message):
    with pytest.raises(ConfigError) as info:
        build_config(Ruled, {}, override)
    assert message in str(info.value)


@pytest.mark.parametrize("override", [
    {"lr": 1e-9}, {"dropout": 0.0}, {"warm": 0}, {"warm": 2}, {"widths": (4, 4)},
    {"scale": None}, {"scale": -3.0}, {"lr": 2}])
def test_rules_accept_values_in_range(override):
    cfg = build_config(Ruled, {}, override)
    key, value = next(iter(override.items()))
    assert getattr(cfg, key) == value


def test_settings_table_has_type_default_range_meaning():
    table = settings_of(Ruled)
    assert (table["lr"].type_name, table["lr"].default, table["lr"].rule.describe(),
            table["lr"].meaning) == ("float", 0.1, "> 0", "learning rate")
    assert table["warm"].rule.describe() == "≥ 2, 0 = auto" and table["warm"].meaning == "warm-up"
    assert table["note"].meaning == "free text" and table["scale"].type_name == "float | None"


def test_every_preset_of_every_recipe_obeys_the_rules():
    """The name table must not refuse any shipped preset (a wrong convention would)."""
    from tenfold.runtime.registry import all_recipes

    for recipe in all_recipes().values():
        for preset in recipe.presets:
            values, seeds = recipe.preset(preset)
            check_config(build_config(recipe.config_cls, values, {}))
            assert seeds and len(set(seeds)) == len(seeds)


def test_stored_config_of_the_wrong_type_is_refused():
    data = config_to_dict(Cfg())
    data["epochs"] = "three"
    with pytest.raises(ConfigError, match="epochs=three: expected int"):
        config_from_dict(Cfg, data)


def test_seed_count_is_bounded_before_the_list_is_built():
    with pytest.raises(ConfigError, match="asks for 4294967296 seeds.*--max-seeds 4294967296"):
        parse_seeds("0-4294967295")
    assert len(parse_seeds("0-199", max_count=200)) == 200
    with pytest.raises(ConfigError, match="0..4294967295"):
        parse_seeds("4294967296")
