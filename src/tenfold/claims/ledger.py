"""The ledger: every claim beside what the results files measured, with its verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from tenfold.claims import verdict as V
from tenfold.claims.adapters import load_source, merge_records
from tenfold.claims.model import Claim
from tenfold.claims.schema import Record, ResultsSchemaError

__all__ = ["Row", "build_ledger", "measure"]


@dataclass(frozen=True)
class Row:
    """One claim with its measurement and verdict.

    ``effects`` are the oriented per-seed numbers the verdict was computed from (values for a
    ``value`` claim, paired effects for a comparison), in the claim's unit; ``method_mean`` and
    ``baseline_mean`` are the plain means (claim's unit) over the paired seeds.
    """

    claim: Claim
    verdict: str
    reason: str = ""
    record: Record | None = None
    seeds: list[int] = field(default_factory=list)
    effects: list[float] = field(default_factory=list)
    interval: V.Interval | None = None
    method_mean: float | None = None
    baseline_mean: float | None = None
    wins: int | None = None


def _orient(claim: Claim, x: float) -> float:
    return x if claim.higher_is_better else -x


def measure(claim: Claim, record: Record) -> Row:
    """The row of ``claim`` measured by ``record`` (already merged over its files)."""
    arm = record.values(claim.arm, claim.metric)
    if not arm:
        raise ResultsSchemaError(f"claim {claim.id}: {record.source} has no "
                                 f"{claim.arm}/{claim.metric} (methods: "
                                 f"{sorted({m for a in record.per_seed.values() for m in a})})")
    if claim.kind == "value":
        seeds = sorted(arm)
        raw = [arm[s] * claim.scale for s in seeds]
        effects = [_orient(claim, v) for v in raw]
        paper = claim.paper.value
        rng = claim.paper.range
        if paper is not None and not claim.higher_is_better:
            paper = -paper
            rng = None if rng is None else (-rng[1], -rng[0])
        verdict = (V.target_verdict(effects, paper, claim.every_seed) if claim.target
                   else V.value_verdict(effects, paper, rng))
        return Row(claim, verdict, record=record, seeds=seeds, effects=effects,
                   interval=V.interval(effects), method_mean=sum(raw) / len(raw))
    base = record.values(claim.baseline, claim.metric)
    seeds = sorted(set(arm) & set(base))
    if not seeds:
        raise ResultsSchemaError(f"claim {claim.id}: {record.source} has no seed with both "
                                 f"{claim.arm} and {claim.baseline} ({claim.metric})")
    m = [arm[s] * claim.scale for s in seeds]
    b = [base[s] * claim.scale for s in seeds]
    if claim.kind == "difference":
        effects = [_orient(claim, x - y) for x, y in zip(m, b, strict=True)]
    else:
        if any(y == 0 or x == 0 for x, y in zip(m, b, strict=True)):
            raise ResultsSchemaError(f"claim {claim.id}: a ratio of a zero value")
        effects = [(x / y) if claim.higher_is_better else (y / x)
                   for x, y in zip(m, b, strict=True)]
    if claim.target:
        verdict = V.target_verdict(effects, claim.paper.value, claim.every_seed)
    else:
        verdict = V.compare_verdict(effects, claim.paper.value, claim.paper.range, claim.null)
    return Row(claim, verdict, record=record, seeds=seeds, effects=effects,
               interval=V.interval(effects), method_mean=sum(m) / len(m),
               baseline_mean=sum(b) / len(b),
               wins=sum(e > claim.null for e in effects))


def _row(claim: Claim, results_dir: Path) -> Row:
    if not claim.results:
        return Row(claim, V.NOT_RUN, reason=claim.not_run)
    records = [r for source in claim.results for r in load_source(results_dir, source)]
    if not records:
        reason = claim.not_run or f"no results file matches {', '.join(claim.results)}"
        return Row(claim, V.NOT_RUN, reason=reason)
    row = measure(claim, merge_records(records))
    if not all(math.isfinite(e) for e in row.effects):
        raise ResultsSchemaError(f"claim {claim.id}: non-finite measurement")
    return row


def build_ledger(claims: list[Claim], results_dir: str | Path) -> list[Row]:
    """One :class:`Row` per claim, in the order given, from ``results_dir``'s files."""
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise ResultsSchemaError(f"{results_dir}: results folder not found (expected "
                                 "benchmarks/results of a tenfold checkout; see --results)")
    return [_row(c, results_dir) for c in claims]
