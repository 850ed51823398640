"""The claims of each implemented paper, one module per docs page.

To add a method: write ``papers/<method>.py`` with ``CLAIMS = (Claim(...), ...)`` and add its
name to :data:`MODULES`; ``tenfold claims <method>`` then lists it, and a
``<!-- ledger:start <method> -->`` block in its docs page shows it (see docs/ledger.md).
"""

from __future__ import annotations

import importlib

from tenfold.claims.model import Claim
from tenfold.errors import ConfigError

#: the docs pages (= modules here) with declared claims, in the README's order
MODULES = ("gnn-baselines", "osgan", "spagan", "factorgcn", "twp", "netgraft", "snapmix",
           "tracking", "impression")

#: declared, but their results files are not committed yet: registered in :data:`MODULES` once
#: they are (else a fresh checkout's ledger would say "not run" where the docs show numbers)
PENDING: tuple[str, ...] = ()


def claims_of(method: str) -> tuple[Claim, ...]:
    """The claims declared for ``method`` (a name of :data:`MODULES`)."""
    if method not in MODULES + PENDING:
        raise ConfigError(f"no claims declared for {method!r}; known: {', '.join(MODULES)}")
    module = importlib.import_module(f"tenfold.claims.papers.{method.replace('-', '_')}")
    return tuple(module.CLAIMS)


def all_claims(method: str | None = None) -> list[Claim]:
    """Every declared claim (or only ``method``'s), ids checked unique."""
    claims = [c for m in ([method] if method else MODULES) for c in claims_of(m)]
    seen: set[str] = set()
    for c in claims:
        if c.id in seen:
            raise ValueError(f"claim id {c.id!r} is declared twice")
        seen.add(c.id)
    return claims
