"""``summary.json``: per-seed metrics, mean ± std over seeds and paired differences to the
baseline. Deterministic (no timings), so two runs with the same seeds compare bit for bit."""

from __future__ import annotations

from typing import Any

from tenfold.runtime.config import config_to_dict
from tenfold.runtime.stats import mean_std, paired_difference


def summarize(recipe, config: Any, per_seed: dict[int, dict[str, Any]]) -> dict[str, Any]:
    seeds = sorted(per_seed)
    metrics = {s: per_seed[s]["metrics"] for s in seeds}
    # the recipe's own method order, stored with each seed (JSON files sort their keys)
    methods = list(per_seed[seeds[0]].get("methods", metrics[seeds[0]])) if seeds else []
    aggregate: dict[str, dict[str, Any]] = {}
    for method in methods:
        names = metrics[seeds[0]][method]
        aggregate[method] = {
            name: mean_std([metrics[s][method][name] for s in seeds
                            if name in metrics[s].get(method, {})])
            for name in names}
    paired: dict[str, dict[str, Any]] = {}
    base = recipe.baseline
    if base in methods:
        for method in methods:
            if method == base:
                continue
            paired[method] = {}
            for name in metrics[seeds[0]][method]:
                pairs = [(metrics[s][method][name], metrics[s][base][name]) for s in seeds
                         if name in metrics[s].get(method, {}) and name in metrics[s][base]]
                if pairs:
                    a, b = zip(*pairs, strict=True)
                    paired[method][name] = paired_difference(a, b)
    return {
        "recipe": recipe.name,
        "dataset": config.dataset,
        "settings": config_to_dict(config),
        "seeds": seeds,
        "baseline": base,
        "primary_metric": recipe.primary_metric,
        "higher_is_better": recipe.higher_is_better,
        "methods": methods,
        "per_seed": {str(s): metrics[s] for s in seeds},
        "aggregate": aggregate,
        "paired_vs_baseline": paired,
    }
