"""The reproduction ledger: each paper's claims beside our measurements, with a verdict.

::

    from tenfold.claims import ledger
    for row in ledger("twp"):
        print(row.claim.id, row.verdict)

* :mod:`tenfold.claims.papers` — the claims as data, one module per method;
* :mod:`tenfold.claims.schema` — the results-file schema (version 1), validated when read;
* :mod:`tenfold.claims.adapters` — readers for the results files written before the schema;
* :mod:`tenfold.claims.verdict` — the verdict rules (docs/ledger.md);
* :mod:`tenfold.claims.render` — terminal text, Markdown, generated blocks in the docs.

``tenfold claims [METHOD] [--markdown]`` prints the ledger; ``python -m tenfold.claims --update``
rewrites the generated blocks of README.md and docs/, ``--check`` exits 1 when they drift. No
torch is imported.
"""

from __future__ import annotations

from pathlib import Path

from tenfold.claims.ledger import Row, build_ledger
from tenfold.claims.model import Claim, Paper
from tenfold.claims.papers import MODULES, all_claims, all_targets
from tenfold.claims.verdict import VERDICTS

__all__ = ["MODULES", "VERDICTS", "Claim", "Paper", "Row", "all_claims", "all_targets",
           "build_ledger", "default_results_dir", "ledger"]


def default_results_dir() -> Path:
    """``benchmarks/results`` of the checkout: the nearest one above the current folder, else
    the one beside this installed source tree."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        candidate = folder / "benchmarks" / "results"
        if candidate.is_dir():
            return candidate
    return Path(__file__).resolve().parents[3] / "benchmarks" / "results"


def ledger(method: str | None = None, results_dir: str | Path | None = None,
           targets: bool = False) -> list[Row]:
    """The ledger rows of every claim (or ``method``'s) from ``results_dir`` (default:
    :func:`default_results_dir`); with ``targets``, the issue targets' rows follow."""
    claims = all_claims(method) + (all_targets(method) if targets else [])
    return build_ledger(claims, results_dir or default_results_dir())
