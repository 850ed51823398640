"""The claims of each implemented paper, one module per docs page.

To add a method: write ``papers/<method>.py`` with ``CLAIMS = (Claim(...), ...)`` and add its
name to :data:`MODULES`; ``tenfold claims <method>`` then lists it, and a
``<!-- ledger:start <method> -->`` block in its docs page shows it (see docs/ledger.md).
A module may also declare ``TARGETS``: our issue's acceptance targets for the method (claims
with ``target="issue #N"``), shown by a ``<!-- ledger:start <method> targets -->`` block and
not counted among the paper's claims.
"""

from __future__ import annotations

import importlib

from tenfold.claims.model import Claim
from tenfold.errors import ConfigError

#: the docs pages (= modules here) with declared claims, in the README's order
MODULES = ("gnn-baselines", "osgan", "spagan", "factorgcn", "twp", "netgraft", "snapmix",
           "attribution", "tracking", "impression", "udor")

#: declared, but their results files are not committed yet: registered in :data:`MODULES` once
#: they are (else a fresh checkout's ledger would say "not run" where the docs show numbers)
PENDING: tuple[str, ...] = ()


def claims_of(method: str) -> tuple[Claim, ...]:
    """The claims declared for ``method`` (a name of :data:`MODULES`)."""
    if method not in MODULES + PENDING:
        raise ConfigError(f"no claims declared for {method!r}; known: {', '.join(MODULES)}")
    module = importlib.import_module(f"tenfold.claims.papers.{method.replace('-', '_')}")
    return tuple(module.CLAIMS)


def targets_of(method: str) -> tuple[Claim, ...]:
    """The issue targets declared for ``method`` (its module's ``TARGETS``; ``()`` if none)."""
    if method not in MODULES + PENDING:
        raise ConfigError(f"no claims declared for {method!r}; known: {', '.join(MODULES)}")
    module = importlib.import_module(f"tenfold.claims.papers.{method.replace('-', '_')}")
    targets = tuple(getattr(module, "TARGETS", ()))
    for t in targets:
        if not t.target:
            raise ValueError(f"{method}: TARGETS entry {t.id} has no target='issue #N'")
    return targets


def all_targets(method: str | None = None) -> list[Claim]:
    """Every declared issue target (or only ``method``'s), ids checked unique with the
    claims'."""
    targets = [t for m in ([method] if method else MODULES) for t in targets_of(m)]
    _unique(all_claims() + targets)
    return targets


def all_claims(method: str | None = None) -> list[Claim]:
    """Every declared claim (or only ``method``'s), ids checked unique."""
    claims = [c for m in ([method] if method else MODULES) for c in claims_of(m)]
    for c in claims:
        if c.target:
            raise ValueError(f"claim {c.id} is a target: declare it in TARGETS")
    return _unique(claims)


def _unique(claims: list[Claim]) -> list[Claim]:
    seen: set[str] = set()
    for c in claims:
        if c.id in seen:
            raise ValueError(f"claim id {c.id!r} is declared twice")
        seen.add(c.id)
    return claims
