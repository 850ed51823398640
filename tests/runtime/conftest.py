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
    """``base`` and ``better`` (``base`` + 0.1 + shift) on a seed-dependent score; ``better``
    always beats ``base``. Logs ``steps`` points of a learning curve per method."""
    gen = ctx.generator(0)
    score = float(torch.rand((), generator=gen))
    out = {"base": {"score": score, "loss": 1.0 - score},
           "better": {"score": score + 0.1 + config.shift, "loss": 0.9 - score}}
    for method, metrics in out.items():
        for step in range(config.steps):
            ctx.log(method, step, loss=metrics["loss"] + 1.0 / (step + 1))
    return out


def make_toy(name: str) -> Recipe:
    return Recipe(name=name, config_cls=ToyConfig, run=toy_run,
                  presets={"smoke": {"seeds": [0]}, "quick": {"seeds": [0, 1]},
                           "paper": {"seeds": [0, 1, 2]}},
                  datasets=("synthetic-sbm", "synthetic-two-hop"), baseline="base",
                  primary_metric="score", summary="toy recipe of the merge tests")


@pytest.fixture
def toy(monkeypatch) -> str:
    """Register the recipes ``toy`` and ``toy-other`` (same settings) for one test."""
    registry.all_recipes()  # import the real recipes first, so they do not replace ours
    for name in ("toy", "toy-other"):
        monkeypatch.setitem(registry._RECIPES, name, make_toy(name))
    return "toy"
