"""A paired tie (``a[i] == b[i]``) is not a win: wins count the seeds where a method is strictly
better than the baseline, in ``paired_difference`` and in every ``summary.json``."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from tenfold.runtime.stats import paired_difference
from tenfold.runtime.summary import summarize


def test_ties_are_not_wins():
    a = [0.5, 0.7, 0.2, 0.9, 0.4]
    b = [0.5, 0.6, 0.3, 0.9, 0.4]  # ties on seeds 0, 3 and 4; a wins seed 1, loses seed 2
    expected = sum(x > y for x, y in zip(a, b, strict=True))
    assert expected == 1
    assert paired_difference(a, b)["wins"] == 1
    assert paired_difference(b, a)["wins"] == 1
    assert paired_difference(a, a)["wins"] == 0


@dataclass
class Config:
    dataset: str = "synthetic-sbm"


def test_a_method_equal_to_the_baseline_wins_no_seed_in_the_summary():
    recipe = SimpleNamespace(name="toy", baseline="base", primary_metric="acc",
                             higher_is_better=True)
    scores = {0: 0.61, 1: 0.72, 2: 0.55}
    per_seed = {s: {"metrics": {"base": {"acc": v}, "same": {"acc": v},
                                "better": {"acc": v + (0.1 if s != 1 else 0.0)}},
                    "methods": ["base", "same", "better"]} for s, v in scores.items()}
    paired = summarize(recipe, Config(), per_seed)["paired_vs_baseline"]
    assert paired["same"]["acc"]["wins"] == 0 and paired["same"]["acc"]["n"] == 3
    assert paired["same"]["acc"]["mean"] == 0
    assert paired["better"]["acc"]["wins"] == 2  # seed 1 is a tie
