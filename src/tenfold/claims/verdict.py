"""The verdict rules: measured numbers and a paper's number in, one word of a fixed vocabulary out.

Numbers are first *oriented* so that larger means "in the claim's favour" (a lower-is-better
metric is negated; a ratio is taken so that above 1 favours the method).

``value`` claims ("the method reaches X"): per-seed values ``v``; the paper's value ``p`` with
its reported range ``[p_lo, p_hi]`` (``p ± std`` when the paper gives a spread, else ``[p, p]``).

* ``reproduced``: our mean reaches ``p_lo`` (the paper's value, or the low end of its spread);
* ``within noise``: our mean is below ``p_lo`` but our 95 % interval reaches it (``hi >= p_lo``:
  too few or too noisy seeds to tell);
* ``not reproduced``: our whole interval lies below ``p_lo``.

``comparison`` claims ("the method beats the baseline by d"): paired per-seed effects ``e``
(difference, or ratio) against the null ``0`` (``1`` for a ratio); the paper's effect ``d`` with
its range ``[d_lo, d_hi]``. With the paired 95 % interval ``[lo, hi]`` of the mean effect:

* ``opposite``: ``hi < null`` (the baseline is significantly better);
* ``within noise``: ``lo <= null <= hi``;
* ``no number in the paper``: ``lo > null`` but the paper states no size to compare with;
* ``reproduced``: ``lo > null`` and ``hi >= d_lo`` (the paper's effect, or more, is inside reach);
* ``direction only``: ``lo > null`` and ``hi < d_lo`` (the right sign, significantly smaller).

The interval is Student's t: ``mean ± t(0.975, n−1) · sd / sqrt(n)``. With one seed there is no
interval: it collapses to the single value and the row says "1 seed, no interval".
``not run`` (no measurement, with the claim's reason) is decided before these rules.

*Targets* (our issues' acceptance targets, e.g. "one-stage ≥ 1.40× faster", "FactorGCN ≥ GCN +
0.02") are thresholds ``t`` on the same oriented numbers (values, or paired effects), judged on
the mean, with their own words (:data:`TARGET_VERDICTS`):

* ``met``: our mean reaches ``t`` (and, for an ``every_seed`` target, every seed does);
* ``within noise``: our mean is below ``t`` but our 95 % interval reaches it (for an
  ``every_seed`` target: the mean reaches ``t`` but some seed does not);
* ``not met``: our whole interval lies below ``t``;
* ``reported``: the target asks for the number, with no threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tenfold.runtime.stats import mean_std

REPRODUCED = "reproduced"
DIRECTION_ONLY = "direction only"
WITHIN_NOISE = "within noise"
NOT_REPRODUCED = "not reproduced"
OPPOSITE = "opposite"
NOT_RUN = "not run"
NO_NUMBER = "no number in the paper"

#: the whole vocabulary, in the order the ledger sorts and counts verdicts
VERDICTS = (REPRODUCED, DIRECTION_ONLY, WITHIN_NOISE, NOT_REPRODUCED, OPPOSITE, NOT_RUN, NO_NUMBER)

MET = "met"
NOT_MET = "not met"
REPORTED = "reported"

#: the words for our own targets (see the module docstring)
TARGET_VERDICTS = (MET, WITHIN_NOISE, NOT_MET, REPORTED, NOT_RUN)

__all__ = ["TARGET_VERDICTS", "VERDICTS", "Interval", "compare_verdict", "interval",
           "target_verdict", "value_verdict"]


@dataclass(frozen=True)
class Interval:
    """Mean, sample std, count and the 95 % t-interval ``[lo, hi]`` of some per-seed numbers."""

    mean: float
    std: float
    n: int
    lo: float
    hi: float


def _t975(df: int) -> float:
    from scipy.stats import t  # lazy: keeps `import tenfold.claims` light

    return float(t.ppf(0.975, df))


def interval(values: Sequence[float]) -> Interval:
    """The 95 % Student-t interval of the mean of ``values`` (one value: ``lo = hi = value``)."""
    if len(values) == 0:
        raise ValueError("interval needs at least one value")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"interval needs finite values, got {list(values)}")
    s = mean_std(list(values))
    if s["n"] == 1:
        return Interval(s["mean"], 0.0, 1, s["mean"], s["mean"])
    half = _t975(s["n"] - 1) * s["std"] / math.sqrt(s["n"])
    return Interval(s["mean"], s["std"], s["n"], s["mean"] - half, s["mean"] + half)


def _check_range(paper: float, paper_range: tuple[float, float] | None) -> tuple[float, float]:
    lo, hi = paper_range if paper_range is not None else (paper, paper)
    if not lo <= paper <= hi:
        raise ValueError(f"the paper's range [{lo}, {hi}] should contain its value {paper}")
    return lo, hi


def value_verdict(values: Sequence[float], paper: float | None,
                  paper_range: tuple[float, float] | None = None) -> str:
    """Verdict of a value claim; ``values`` and ``paper`` already oriented (higher = better)."""
    if len(values) == 0:
        return NOT_RUN
    if paper is None:
        return NO_NUMBER
    p_lo, _ = _check_range(paper, paper_range)
    ci = interval(values)
    if ci.mean >= p_lo:
        return REPRODUCED
    return WITHIN_NOISE if ci.hi >= p_lo else NOT_REPRODUCED


def compare_verdict(effects: Sequence[float], paper: float | None,
                    paper_range: tuple[float, float] | None = None, null: float = 0.0) -> str:
    """Verdict of a comparison claim from oriented paired ``effects`` (larger favours the
    method; ``null`` is no effect: 0 for differences, 1 for ratios)."""
    if len(effects) == 0:
        return NOT_RUN
    ci = interval(effects)
    if ci.hi < null:
        return OPPOSITE
    if ci.lo <= null:
        return WITHIN_NOISE
    if paper is None:
        return NO_NUMBER
    p_lo, _ = _check_range(paper, paper_range)
    return REPRODUCED if ci.hi >= p_lo else DIRECTION_ONLY


def target_verdict(values: Sequence[float], threshold: float | None,
                   every_seed: bool = False) -> str:
    """Verdict of a target from oriented per-seed ``values`` (values or paired effects; larger
    favours the method) and the oriented ``threshold`` (``None``: report only)."""
    if len(values) == 0:
        return NOT_RUN
    if threshold is None:
        return REPORTED
    ci = interval(values)
    if ci.mean >= threshold:
        return MET if not every_seed or min(values) >= threshold else WITHIN_NOISE
    return WITHIN_NOISE if ci.hi >= threshold else NOT_MET
