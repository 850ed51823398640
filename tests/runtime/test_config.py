from dataclasses import dataclass
from typing import Literal

import pytest

from tenfold.errors import ConfigError
from tenfold.runtime.config import (
    build_config,
    config_from_dict,
    config_to_dict,
    parse_overrides,
    parse_seeds,
)


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
