"""Summary statistics over seeds: mean ± sample standard deviation, paired differences."""

from __future__ import annotations

import math
from collections.abc import Sequence


def mean_std(values: Sequence[float]) -> dict[str, float]:
    """``{"mean", "std", "n"}`` with the sample standard deviation (ddof = 1; 0 for one value)."""
    n = len(values)
    if n == 0:
        return {"mean": math.nan, "std": math.nan, "n": 0}
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    return {"mean": mean, "std": math.sqrt(var), "n": n}


def paired_difference(a: Sequence[float], b: Sequence[float]) -> dict[str, float]:
    """Mean ± std of ``a[i] - b[i]`` over paired seeds, and how many of them ``a`` wins."""
    if len(a) != len(b):
        raise ValueError("paired difference needs the same number of values on both sides")
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    out = mean_std(diffs)
    out["wins"] = sum(d > 0 for d in diffs)
    return out


def format_mean_std(stats: dict[str, float], scale: float = 1.0, digits: int = 2) -> str:
    """``"83.02 ± 0.33"`` (``scale=100`` turns fractions into percent)."""
    if stats["n"] == 0:
        return "n/a"
    return f"{stats['mean'] * scale:.{digits}f} ± {stats['std'] * scale:.{digits}f}"
