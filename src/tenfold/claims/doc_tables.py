"""Reading the measured tables typed by hand on the docs pages, so that a test can hold each
number to the results file it quotes (the generated ledger blocks are checked by ``--check``;
these are the tables a block cannot express)."""

from __future__ import annotations

__all__ = ["rounds_to", "table_after"]


def table_after(text: str, anchor: str, head: str = "| ") -> tuple[list[str], list[list[str]]]:
    """Header and body cells of the first Markdown table after ``anchor`` in ``text`` whose
    header line starts with ``head``; cells are stripped of spaces and bold markers.

    Raises ``ValueError`` (from ``str.index``) when the anchor or the header is missing."""
    lines = text[text.index(anchor):].splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith(head)), None)
    if first is None:
        raise ValueError(f"no table whose header starts with {head!r} after {anchor!r}")
    rows = []
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip().strip("*").strip() for c in line.strip("|").split("|")])
    return rows[0], rows[2:]


def rounds_to(shown: str, exact: float) -> bool:
    """Whether the page's number ``shown`` is ``exact`` rounded to its own decimals
    (``|shown - exact| <= 0.5 * 10^-decimals``, so either way at an exact tie; a Unicode
    minus is read as ``-``)."""
    shown = shown.strip().replace("−", "-")
    half = 0.5 * 10 ** -len(shown.split(".")[1]) if "." in shown else 0.5
    return abs(float(shown) - exact) <= half + 1e-9
