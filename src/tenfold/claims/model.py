"""A paper's claim as data: what is claimed, the paper's number and source, what measures it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["Claim", "Paper"]

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Paper:
    """The paper's number for a claim, in the claim's unit.

    Attributes:
        value: the claimed value (``value`` claims) or effect (``comparison`` claims, oriented so
            that positive, or above 1 for a ratio, favours the method); ``None`` when the paper
            gives no number (then ``source`` says so, e.g. "abstract only, no number").
        source: where the number is, e.g. "Table 2" or "README table (official code)".
        range: ``(low, high)``: the paper's reported spread around ``value`` (``value ± std``), or
            the span of several readings; ``None`` when it reports a bare number.
        detail: the paper's numbers behind an effect, e.g. "SPAGAN 83.6 ± 0.5 vs GAT 83.0 ± 0.7".
    """

    value: float | None
    source: str
    range: tuple[float, float] | None = None
    detail: str = ""


@dataclass(frozen=True)
class Claim:
    """One claim of a paper and the results that measure it.

    Attributes:
        id: short unique id (``spagan-cora``).
        method: the docs page / recipe it belongs to (``spagan``, ``gnn-baselines``).
        claim: the claim in one sentence.
        metric: the metric's key in the results files.
        higher_is_better: the metric's direction.
        kind: ``value`` (the method reaches the paper's number), ``difference`` (method minus
            baseline, paired by seed) or ``ratio`` (method over baseline, paired; inverted for a
            lower-is-better metric, so that above 1 favours the method).
        arm: the method's name in the results files.
        baseline: the compared method's name (comparisons only).
        paper: the paper's number and its source.
        protocol: the paper's protocol (dataset, backbone, budget).
        ours: our protocol where it differs (scale, budget, machine).
        results: the results sources: ``"file.json"``, ``"file.json#section"``; wildcards in
            the file name unite several files by seed (one file per seed).
        scale: factor from the files' unit to the paper's (100 for fractions vs percent).
        unit: the unit shown after numbers (``"%"``, ``"×"``, ``""``).
        not_run: why it is not measured, when ``results`` is empty or absent (e.g. "needs a
            GPU"; "CoraFull is not in the offline mirror").
        recipe: the recipe whose runs measure it, when not ``method`` (``dfad`` for the
            data-free claims on the osgan page); the report shows a run's number beside it.
        dataset: the recipe's dataset that corresponds to the claim's (``cora``); the report
            shows a run's number only for a run on it ("" = no recipe dataset corresponds).
        target: ``""`` for a paper's claim; ``"issue #N"`` for one of our own targets (the
            acceptance targets of the issue that built the method). ``paper.value`` then holds
            the target's threshold (``None``: to be reported, no threshold), ``paper.source``
            says where it is stated, and the verdict is ``met`` / ``not met`` / ... (see
            :func:`tenfold.claims.verdict.target_verdict`). Declared in ``TARGETS``.
        every_seed: a target that must hold on every seed, not only on the mean.
    """

    id: str
    method: str
    claim: str
    metric: str
    higher_is_better: bool
    kind: Literal["value", "difference", "ratio"]
    arm: str
    paper: Paper
    protocol: str
    results: tuple[str, ...] = ()
    baseline: str | None = None
    ours: str = ""
    scale: float = 1.0
    unit: str = ""
    not_run: str = ""
    recipe: str = ""
    dataset: str = ""
    target: str = ""
    every_seed: bool = False

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"claim id {self.id!r}: expected lower-case letters, digits, '-'")
        if self.kind not in ("value", "difference", "ratio"):
            raise ValueError(f"claim {self.id}: kind {self.kind!r} is not value, difference "
                             "or ratio")
        if (self.kind == "value") != (self.baseline is None):
            raise ValueError(f"claim {self.id}: a {self.kind} claim "
                             + ("has no baseline" if self.kind == "value" else "needs a baseline"))
        if not self.results and not self.not_run:
            raise ValueError(f"claim {self.id}: name the results files or say why it is not run")
        if self.paper.range is not None and self.paper.value is not None:
            lo, hi = self.paper.range
            if not lo <= self.paper.value <= hi:
                raise ValueError(f"claim {self.id}: paper range {self.paper.range} does not "
                                 f"contain its value {self.paper.value}")
        if self.every_seed and not self.target:
            raise ValueError(f"claim {self.id}: every_seed applies to targets only")
        if self.target and self.paper.range is not None:
            raise ValueError(f"claim {self.id}: a target is a threshold, not a range")
        if not self.scale > 0:
            raise ValueError(f"claim {self.id}: scale must be > 0, got {self.scale}")

    @property
    def recipe_name(self) -> str:
        """The recipe whose runs measure this claim (``recipe``, else ``method``)."""
        return self.recipe or self.method

    @property
    def null(self) -> float:
        """The "no effect" effect: 1 for a ratio, else 0."""
        return 1.0 if self.kind == "ratio" else 0.0
