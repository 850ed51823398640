"""The ledger as terminal text, as Markdown, and as generated blocks inside the docs.

A Markdown file carries generated blocks between marker comments::

    <!-- ledger:start KEY -->
    ...generated, never edited by hand...
    <!-- ledger:end -->

``KEY`` is a method (``osgan``: its claims as a table), ``METHOD targets`` (the method's issue
targets as a table: threshold, measurement, met or not), ``METHOD status`` (a one-line verdict
count of the paper's claims, e.g. for a README table cell), ``summary`` (verdict counts of every
method), ``targets`` (target verdict counts of every method), ``all`` (every claim, grouped
by method) or ``results SOURCE METRIC [xSCALE]`` (every
arm's mean ± std of ``METRIC`` in a results file or section, e.g. ``results
gnn_baselines.json#cora-paper test_acc x100``, with its command and machine: a page's measured
table generated rather than typed). Targets are not counted among the claims.
:func:`update_text` regenerates them; :func:`drift` lists the
blocks that differ from what the results files say now.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from tenfold.claims.ledger import Row
from tenfold.claims.papers import MODULES
from tenfold.claims.verdict import NOT_RUN, TARGET_VERDICTS, VERDICTS
from tenfold.errors import ConfigError

__all__ = ["BLOCK", "drift", "ledger_files", "markdown", "results_table", "status_line",
           "target_text", "text", "update_text"]

BLOCK = re.compile(r"<!-- ledger:start (?P<key>[^>]*?) -->(?P<body>.*?)<!-- ledger:end -->",
                   re.DOTALL)


def _fmt(x: float, unit: str) -> str:
    digits = 3 if unit == "" and abs(x) < 1 else 2
    return f"{x:.{digits}f}"


def _signed(x: float, unit: str) -> str:
    return ("+" if x >= 0 else "−") + _fmt(abs(x), unit)


def target_text(row: Row) -> str:
    """The threshold of a target row: ``"≥ 1.40× [issue #4]"``."""
    c, p = row.claim, row.claim.paper
    if p.value is None:
        return f"the number, reported [{c.target}: {p.source}]" if p.source else (
            f"the number, reported [{c.target}]")
    if c.kind == "value":
        op = "≥" if c.higher_is_better else "≤"
        num = f"{op} {_fmt(p.value, c.unit)}{c.unit}"
    elif c.kind == "ratio":
        num = (f"{c.arm} / {c.baseline} ≥ {_fmt(p.value, c.unit)}{c.unit}" if c.higher_is_better
               else f"{c.baseline} / {c.arm} ≥ {_fmt(p.value, c.unit)}{c.unit} (lower is better)")
    else:
        better, worse = ("above", "below") if c.higher_is_better else ("below", "above")
        if p.value > 0:
            num = f"{c.arm} {better} {c.baseline} by ≥ {_fmt(p.value, c.unit)}{c.unit}"
        elif p.value < 0:
            num = (f"{c.arm} at most {_fmt(-p.value, c.unit)}{c.unit} {worse} "
                   f"{c.baseline}")
        else:
            num = f"{c.arm} {better} {c.baseline} (or equal)"
    if c.every_seed:
        num += ", on every seed"
    detail = f"; {p.detail}" if p.detail else ""
    return f"{num}{detail} [{c.target}" + (f": {p.source}]" if p.source else "]")


def paper_text(row: Row) -> str:
    c, p = row.claim, row.claim.paper
    if c.target:
        return target_text(row)
    if p.value is None:
        return p.source
    if c.kind == "ratio":
        num = f"{_fmt(p.value, c.unit)}{c.unit}"
    elif c.kind == "difference":
        num = f"{_signed(p.value, c.unit)}{c.unit}"
    else:
        num = f"{_fmt(p.value, c.unit)}{c.unit}"
    if p.range is not None:
        num += f" (range {_fmt(p.range[0], c.unit)} to {_fmt(p.range[1], c.unit)})"
    detail = f"; {p.detail}" if p.detail else ""
    return f"{num}{detail} [{p.source}]"


def measured_text(row: Row) -> str:
    c, iv = row.claim, row.interval
    if iv is None:
        return "–"
    n = len(row.seeds)
    lo, hi = iv.lo, iv.hi
    if c.kind == "value" and not c.higher_is_better:  # values were negated to orient them
        lo, hi = -iv.hi, -iv.lo
    ci = ("1 seed, no interval" if n == 1
          else f"95 % CI {_fmt(lo, c.unit)} to {_fmt(hi, c.unit)}, {n} seeds")
    if c.kind == "value":
        return f"{_fmt(row.method_mean, c.unit)}{c.unit} ({ci})"
    sign = "" if c.higher_is_better or c.kind == "ratio" else " (lower is better)"
    head = (f"{c.arm} {_fmt(row.method_mean, '' if c.unit == '×' else c.unit)} vs {c.baseline} "
            f"{_fmt(row.baseline_mean, '' if c.unit == '×' else c.unit)}{sign}: ")
    effect = (f"{_fmt(iv.mean, c.unit)}{c.unit}" if c.kind == "ratio"
              else f"{_signed(iv.mean, c.unit)}{c.unit}")
    wins = f", better on {row.wins} of {n}" if n > 1 else ""
    return f"{head}{effect} ({ci}{wins})"


def verdict_text(row: Row) -> str:
    return f"{row.verdict}: {row.reason}" if row.verdict == NOT_RUN else row.verdict


def _where(row: Row) -> tuple[str, str, str]:
    """File(s), command and machine of a row; several files' commands as the first one and a
    count (the files, one per seed, hold the others)."""
    if row.record is None:
        return "–", "–", "–"
    commands = row.record.command.split(" ; ")
    command = commands[0] + (f" (and {len(commands) - 1} more like it, one per file)"
                             if len(commands) > 1 else "")
    sources = row.record.source.split(", ")
    source = (row.record.source if len(sources) == 1
              else f"{', '.join(row.claim.results)} ({len(sources)} files)")
    return source, command, row.record.machine_label


def text(rows: list[Row]) -> str:
    """The ledger for a terminal: one block of lines per claim."""
    out = []
    for row in rows:
        c = row.claim
        source, command, machine = _where(row)
        out.append(f"{c.id}  [{verdict_text(row)}]")
        out.append(f"  claim:    {c.claim}")
        out.append(f"  paper:    {paper_text(row)}")
        out.append(f"  protocol: {c.protocol}" + (f"; ours: {c.ours}" if c.ours else ""))
        if row.record is not None:
            out.append(f"  measured: {measured_text(row)} on {machine}")
            out.append(f"  file:     benchmarks/results/{source}")
            out.append(f"  command:  {command}")
        out.append("")
    claims = [r for r in rows if not r.claim.target]
    targets = [r for r in rows if r.claim.target]
    out += [status_line(part) for part in (claims, targets) if part]
    return "\n".join(out)


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def markdown(rows: list[Row]) -> str:
    """The ledger as one Markdown table (claim, paper, measured, verdict, file and command);
    target rows (all of ``rows``) get the header "target | threshold"."""
    head = ("| target | threshold | measured here | verdict | results file · command |"
            if rows and all(r.claim.target for r in rows)
            else "| claim | paper | measured here | verdict | results file · command |")
    lines = [head, "|---|---|---|---|---|"]
    for row in rows:
        c = row.claim
        source, command, machine = _where(row)
        measured = measured_text(row) + ("" if row.record is None else f"; {machine}")
        where = "–" if row.record is None else f"`{source}` · `{command}`"
        about = (f"({c.ours or c.protocol})" if c.target
                 else f"({c.protocol}" + (f"; ours: {c.ours})" if c.ours else ")"))
        lines.append("| " + " | ".join(_cell(x) for x in (
            f"**{c.id}**: {c.claim} {about}",
            paper_text(row), measured, f"**{verdict_text(row)}**", where)) + " |")
    return "\n".join(lines)


def status_line(rows: list[Row]) -> str:
    """``"5 claims: 2 reproduced, 1 within noise, 2 not run"`` (``"4 targets: 3 met, ..."`` for
    target rows)."""
    counts = Counter(r.verdict for r in rows)
    if rows and all(r.claim.target for r in rows):
        return f"{len(rows)} targets: " + ", ".join(f"{counts[v]} {v}" for v in TARGET_VERDICTS
                                                   if counts[v])
    return f"{len(rows)} claims: " + ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts[v])


def results_table(results_dir: str | Path, source: str, metric: str, scale: float = 1.0) -> str:
    """Markdown: each arm's mean ± sample std of ``metric`` (times ``scale``) over the seeds of
    ``source`` (``file.json``, ``file.json#section``, wildcards united by seed), then the file,
    its command and machine."""
    from tenfold.claims.adapters import load_source, merge_records
    from tenfold.runtime.stats import mean_std

    records = load_source(results_dir, source)
    if not records:
        raise ConfigError(f"ledger block 'results {source}': no results file matches {source}")
    rec = merge_records(records)
    methods: list[str] = []
    for arms in rec.per_seed.values():
        methods += [m for m in arms if m not in methods]
    lines = [f"| method | {metric} (mean ± std) | seeds |", "|---|---|---|"]
    for m in methods:
        values = [v * scale for v in rec.values(m, metric).values()]
        if not values:
            continue
        st = mean_std(values)
        unit = "" if abs(st["mean"]) < 1 else "%"  # 3 digits below 1, else 2
        spread = f" ± {_fmt(st['std'], unit)}" if st["n"] > 1 else ""
        lines.append(f"| {m} | {_fmt(st['mean'], unit)}{spread} | {st['n']} |")
    if len(lines) == 2:
        raise ConfigError(f"ledger block 'results {source} {metric}': no arm has {metric!r}")
    commands = rec.command.split(" ; ")
    command = commands[0] + (f" (and {len(commands) - 1} more)" if len(commands) > 1 else "")
    return ("\n<!-- generated by `python -m tenfold.claims --update`; do not edit -->\n"
            + "\n".join(lines) + f"\n\n`{source}` · `{_cell(command)}` · {rec.machine_label}\n")


def _block(key: str, rows: list[Row], results_dir: str | Path | None = None) -> str:
    words = key.split()
    if words and words[0] == "results":
        if len(words) not in (3, 4) or (len(words) == 4 and not words[3].startswith("x")):
            raise ConfigError(f"ledger block {key!r}: expected 'results SOURCE METRIC [xSCALE]'")
        if results_dir is None:
            raise ConfigError(f"ledger block {key!r} needs the results folder")
        try:
            scale = float(words[3][1:]) if len(words) == 4 else 1.0
        except ValueError:
            raise ConfigError(f"ledger block {key!r}: scale {words[3]!r} is not "
                              "x<number>") from None
        return results_table(results_dir, words[1], words[2], scale)
    if len(words) == 2 and words[1] == "targets" and words[0] in MODULES:
        targets = [r for r in rows if r.claim.target and r.claim.method == words[0]]
        if not targets:
            raise ConfigError(f"ledger block {key!r}: no targets of {words[0]} among the rows "
                              "(declare TARGETS in its papers module; build the rows with "
                              "all_targets())")
        return (f"\n<!-- generated by `python -m tenfold.claims --update`; do not edit -->\n"
                f"{markdown(targets)}\n\n{status_line(targets)}\n")
    if words == ["targets"]:
        lines = ["| method | targets | verdicts |", "|---|---|---|"]
        for m in MODULES:
            targets = [r for r in rows if r.claim.target and r.claim.method == m]
            if targets:
                lines.append(f"| {m} | {len(targets)} | "
                             f"{status_line(targets).split(': ', 1)[1]} |")
        return "\n" + "\n".join(lines) + "\n"
    rows = [r for r in rows if not r.claim.target]
    by_method = {m: [r for r in rows if r.claim.method == m] for m in MODULES}
    if words == ["summary"]:
        lines = ["| method | claims | verdicts |", "|---|---|---|"]
        lines += [f"| {m} | {len(rs)} | {status_line(rs).split(': ', 1)[1]} |"
                  for m, rs in by_method.items() if rs]
        return "\n" + "\n".join(lines) + "\n"
    if words == ["all"]:
        parts = [f"\n### {m}\n\n{markdown(rs)}\n" for m, rs in by_method.items() if rs]
        return "\n" + "".join(parts)
    if len(words) in (1, 2) and words[0] in by_method and words[1:] in ([], ["status"]):
        if words[1:] == ["status"]:
            return status_line(by_method[words[0]])
        return (f"\n<!-- generated by `python -m tenfold.claims --update`; do not edit -->\n"
                f"{markdown(by_method[words[0]])}\n")
    raise ConfigError(f"unknown ledger block key {key!r}: expected a method "
                      f"({', '.join(MODULES)}), 'METHOD status', 'METHOD targets', 'summary', "
                      "'targets', 'all' or 'results SOURCE METRIC [xSCALE]'")


def update_text(text_: str, rows: list[Row], results_dir: str | Path | None = None) -> str:
    """``text_`` with every ledger block regenerated from ``rows`` (``results`` blocks read
    ``results_dir``)."""
    return BLOCK.sub(lambda m: (f"<!-- ledger:start {m['key']} -->"
                                f"{_block(m['key'], rows, results_dir)}<!-- ledger:end -->"),
                     text_)


def ledger_files(root: str | Path) -> list[Path]:
    """The Markdown files of a checkout that may carry ledger blocks."""
    root = Path(root)
    files = [root / "README.md", *sorted((root / "docs").glob("*.md")),
             *sorted((root / "docs" / "methods").glob("*.md"))]
    return [f for f in files if f.is_file()]


def drift(root: str | Path, rows: list[Row]) -> list[str]:
    """``"file: block KEY"`` for every generated block that differs from ``rows``."""
    out = []
    results_dir = Path(root) / "benchmarks" / "results"
    for path in ledger_files(root):
        old = path.read_text()
        if "<!-- ledger:start" not in old:
            continue
        for m_old in BLOCK.finditer(old):
            want = _block(m_old["key"], rows, results_dir)
            if m_old["body"] != want:
                out.append(f"{path.relative_to(root)}: block {m_old['key']!r}")
    return out
