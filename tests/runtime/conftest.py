"""A toy recipe for the merge and compare tests: a run takes milliseconds, its numbers depend on
the seed and on its settings, and it is registered only for the test that asks for it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch

from tenfold.runtime import registry
from tenfold.runtime.registry import Recipe


@dataclass
class ToyConfig:
    dataset: str = "synthetic-sbm"
    shift: float = 0.0
    steps: int = 3


def toy_run(config: ToyConfig, ctx) -> dict[str, dict[str, float]]:
    """``base`` and ``better`` on a seed-dependent score (``better``: + 0.1 + shift) and loss
    (``better``: - 0.1 - shift); ``better`` always beats ``base``. Logs ``steps`` points of a
    learning curve per method."""
    gen = ctx.generator(0)
    score = float(torch.rand((), generator=gen))
    out = {"base": {"score": score, "loss": 1.0 - score},
           "better": {"score": score + 0.1 + config.shift, "loss": 0.9 - score - config.shift}}
    for method, metrics in out.items():
        for step in range(config.steps):
            ctx.log(method, step, loss=metrics["loss"] + 1.0 / (step + 1))
    return out


def make_toy(name: str, primary: str = "score") -> Recipe:
    return Recipe(name=name, config_cls=ToyConfig, run=toy_run,
                  presets={"smoke": {"seeds": [0]}, "quick": {"seeds": [0, 1]},
                           "paper": {"seeds": [0, 1, 2]}},
                  datasets=("synthetic-sbm", "synthetic-two-hop"), baseline="base",
                  primary_metric=primary, higher_is_better=primary == "score",
                  summary="toy recipe of the merge tests")


@pytest.fixture
def toy(monkeypatch) -> str:
    """Register the recipes ``toy`` and ``toy-other`` (same settings) and ``toy-loss`` (primary
    metric ``loss``, lower is better) for one test."""
    registry.all_recipes()  # import the real recipes first, so they do not replace ours
    for name in ("toy", "toy-other"):
        monkeypatch.setitem(registry._RECIPES, name, make_toy(name))
    monkeypatch.setitem(registry._RECIPES, "toy-loss", make_toy("toy-loss", "loss"))
    return "toy"
