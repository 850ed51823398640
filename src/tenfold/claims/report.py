"""The report's opening section: the ledger rows of the recipes a report covers, with each
run's own number beside the stored benchmark number and its verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tenfold.claims.ledger import build_ledger, measure
from tenfold.claims.papers import all_claims
from tenfold.claims.render import _cell, measured_text, paper_text, verdict_text
from tenfold.claims.schema import validate_record
from tenfold.errors import TenfoldError

__all__ = ["ledger_section"]


def _run_record(summary: dict[str, Any], path: str):
    """A run's ``summary.json`` as a results record (the same unit as the results files, so the
    claim's ``scale`` shows both alike)."""
    per_seed = {str(s): {m: {k: v for k, v in metrics.items()
                             if isinstance(v, (int, float)) and not isinstance(v, bool)}
                         for m, metrics in arms.items() if isinstance(metrics, dict)}
                for s, arms in summary.get("per_seed", {}).items()}
    return validate_record({"benchmark": summary["recipe"], "command": f"run {path}",
                            "commit": "unknown", "machine": {}, "date": "", "settings": {},
                            "seeds": sorted(int(s) for s in per_seed),
                            "per_seed": per_seed}, str(path))


def _this_run(claim, runs: list[tuple[str, dict[str, Any]]]) -> str:
    cells = []
    for path, summary in runs:
        if (summary.get("recipe") != claim.recipe_name or not claim.dataset
                or summary.get("dataset") != claim.dataset):
            continue
        try:
            row = measure(claim, _run_record(summary, path))
        except TenfoldError:
            continue  # this run does not measure the claim's methods or metric
        cells.append(f"{measured_text(row)} (`{summary.get('dataset')}`)")
    return "; ".join(cells) or "– (not measured by this run)"


def ledger_section(runs: list[tuple[str | Path, dict[str, Any]]],
                   results_dir: str | Path | None = None) -> str:
    """Markdown: the claims of the recipes in ``runs`` (``(run path, summary.json)`` pairs), the
    stored benchmark measurement and verdict, and each run's own number. ``""`` when no run's
    recipe declares claims; a note instead of the table when the results folder is missing."""
    from tenfold.claims import default_results_dir

    recipes = {s.get("recipe") for _, s in runs}
    claims = [c for c in all_claims() if c.recipe_name in recipes]
    if not claims:
        return ""
    runs = [(str(p), s) for p, s in runs]
    head = ["## The papers' claims (reproduction ledger)", "",
            "The stored benchmark measurement and its verdict (`tenfold claims`, rules in "
            "docs/ledger.md) beside this report's runs. A run at the `smoke` or `quick` preset "
            "is not the paper's protocol: its number is shown, not judged.", ""]
    try:
        rows = build_ledger(claims, results_dir or default_results_dir())
    except TenfoldError as exc:
        return "\n".join(head + [f"(ledger unavailable: {exc})", ""]) + "\n"
    lines = head + ["| claim | paper | stored benchmark | verdict | this run |",
                    "|---|---|---|---|---|"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(x) for x in (
            f"**{row.claim.id}**: {row.claim.claim}", paper_text(row), measured_text(row),
            verdict_text(row), _this_run(row.claim, runs))) + " |")
    return "\n".join(lines) + "\n\n"
