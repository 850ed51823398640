"""``tenfold compare``: finished runs side by side.

One table of every method's metric (mean ± sample std over seeds) per run, the settings that
differ between the runs listed above it, and — where two runs share seeds — the paired
difference of each later run against the first one, seed by seed (``x_s - a_s`` over the common
seeds ``s``; mean ± sample std, and the number of seeds where the later run is better). For
example TWP with ``beta = 0`` against ``beta = 0.01`` on the same seeds. As plain text for the
terminal or as Markdown for reports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tenfold.errors import ConfigError
from tenfold.runtime.merge import differing_settings
from tenfold.runtime.report import _fmt, unit
from tenfold.runtime.stats import paired_difference

if TYPE_CHECKING:
    from tenfold.results import Run


@dataclass
class Paired:
    """The paired difference ``later - first`` of one method over the seeds both runs have."""

    label: str
    method: str
    seeds: list[int]
    stats: dict[str, float]
    wins: int


@dataclass
class Comparison:
    """What :func:`compare_runs` found (see :meth:`to_text` / :meth:`to_markdown`)."""

    runs: list[Run]
    labels: list[str]
    metric: str
    higher_is_better: bool
    differing: list[tuple[str, list[Any]]]
    methods: list[str]
    table: dict[str, list[dict[str, float] | None]]
    paired: list[Paired] = field(default_factory=list)

    # -- formatting ---------------------------------------------------------------------------
    def _sections(self) -> list[tuple[str, list[str], list[list[str]]]]:
        """``(title, header, rows)`` of each table, shared by the text and Markdown forms."""
        legend = [[label, str(run.path), run.recipe, str(run.dataset), _seeds(run.seeds)]
                  for label, run in zip(self.labels, self.runs, strict=True)]
        out = [("Runs", ["run", "directory", "recipe", "dataset", "seeds"], legend)]
        if self.differing:
            out.append(("Settings that differ", ["setting", *self.labels],
                        [[key, *(_value(v) for v in values)] for key, values in self.differing]))
        else:
            out.append(("Settings that differ: none", [], []))
        head = f"{self.metric} (%)" if unit(self.metric) == "%" else self.metric
        spread = "mean ± sample std over seeds"
        out.append((f"{head}, {spread}", ["method", *self.labels],
                    [[m, *(_fmt(s, self.metric) if s is not None else "–"
                           for s in self.table[m])] for m in self.methods]))
        if self.paired:
            better = "higher" if self.higher_is_better else "lower"
            first = self.labels[0]
            out.append((f"Paired difference against run {first} on the seeds both have "
                        f"(wins = seeds where the run is better, i.e. {better})",
                        ["method", "difference", "wins", "seeds"],
                        [[p.method, f"{p.label} − {first}: {_signed(p.stats, self.metric)}",
                          str(p.wins), _seeds(p.seeds)] for p in self.paired]))
        elif len(self.runs) > 1:
            out.append(("No paired differences: the runs share no seed", [], []))
        return out

    def to_markdown(self) -> str:
        """The comparison as Markdown (headings and pipe tables)."""
        lines = [f"## Comparison of {len(self.runs)} runs", ""]
        for title, header, rows in self._sections():
            lines += [f"**{title}**", ""]
            if header:
                lines.append("| " + " | ".join(_md(h) for h in header) + " |")
                lines.append("|---" * len(header) + "|")
                lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
                lines.append("")
        return "\n".join(lines)

    def to_text(self) -> str:
        """The comparison as aligned plain-text tables for the terminal."""
        lines: list[str] = []
        for title, header, rows in self._sections():
            lines.append(title + (":" if header else ""))
            if header:
                widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
                for row in [header, *rows]:
                    lines.append("  " + "  ".join(c.ljust(w) for c, w in
                                                  zip(row, widths, strict=True)).rstrip())
            lines.append("")
        return "\n".join(lines)


def _seeds(seeds: list[int]) -> str:
    if seeds and seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}-{seeds[-1]}"
    return ",".join(map(str, seeds)) or "none"


def _value(value: Any) -> str:
    return "unset" if value is _UNSET else json.dumps(value)


def _signed(stats: dict[str, float], metric: str) -> str:
    text = _fmt(stats, metric)
    return text if text.startswith("-") else "+" + text


def _md(cell: str) -> str:
    return cell.replace("|", "\\|")


_UNSET = object()


def compare_runs(paths: list[str | Path], metric: str | None = None) -> Comparison:
    """Compare finished runs: the first is the reference of the paired differences.

    Args:
        paths: two or more finished run directories.
        metric: the metric to show; default the first run's primary metric.

    Raises :class:`ConfigError` for fewer than two runs, an unfinished run, or a metric that
    no run has.
    """
    from tenfold.results import load_run

    if len(paths) < 2:
        raise ConfigError(f"compare needs at least two run directories, got {len(paths)}")
    runs = [load_run(p) for p in paths]
    for run in runs:
        if not run.finished:
            raise ConfigError(f"{run.path}: run is not finished (no summary.json); continue it "
                              f"with `tenfold run --resume {run.path}`")
    labels = [chr(ord("A") + i) if i < 26 else f"R{i + 1}" for i in range(len(runs))]
    first = runs[0].summary
    metric = metric or first["primary_metric"]
    known = {k for r in runs for agg in r.summary["aggregate"].values() for k in agg}
    if metric not in known:
        raise ConfigError(f"no run has the metric {metric!r}; the runs have: "
                          + ", ".join(sorted(known)))
    # the direction is known for the primary metric only; any other: higher counts as better
    higher = (bool(first.get("higher_is_better", True))
              if metric == first["primary_metric"] else True)

    described = [{"recipe": r.recipe, "dataset": r.dataset, "preset": r.config.get("preset"),
                  **r.settings} for r in runs]
    differing = [(k, [d.get(k, _UNSET) for d in described])
                 for k in _ordered(differing_settings(described))]

    methods: list[str] = []
    for run in runs:
        methods += [m for m in run.methods if m not in methods]
    table = {m: [r.summary["aggregate"].get(m, {}).get(metric) for r in runs] for m in methods}

    paired: list[Paired] = []
    base = runs[0]
    for label, run in zip(labels[1:], runs[1:], strict=True):
        for method in methods:
            seeds = [s for s in sorted(set(base.per_seed) & set(run.per_seed))
                     if metric in run.per_seed[s].get(method, {})
                     and metric in base.per_seed[s].get(method, {})]
            if not seeds:
                continue
            x = [run.per_seed[s][method][metric] for s in seeds]
            a = [base.per_seed[s][method][metric] for s in seeds]
            stats = paired_difference(x, a)
            wins = stats["wins"] if higher else paired_difference(a, x)["wins"]
            paired.append(Paired(label, method, seeds, stats, wins))
    return Comparison(runs, labels, metric, higher, differing, methods, table, paired)


def _ordered(keys: list[str]) -> list[str]:
    """recipe, dataset and preset first, then the settings alphabetically."""
    front = [k for k in ("recipe", "dataset", "preset") if k in keys]
    return front + [k for k in keys if k not in front]
