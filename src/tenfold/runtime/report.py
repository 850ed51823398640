"""``tenfold report``: a Markdown report over finished runs — per run a table of every method's
metrics (mean ± std over seeds), the paired difference against the baseline, and the figures."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tenfold.errors import ConfigError
from tenfold.runtime.io import write_text
from tenfold.runtime.rundir import RunDir
from tenfold.runtime.stats import format_mean_std

MAX_COLUMNS = 6


def _fmt(stats: dict[str, float], metric: str) -> str:
    percent = metric.endswith("_acc") or metric in {"acc", "accuracy", "ap", "af", "f1"}
    return format_mean_std(stats, scale=100 if percent else 1, digits=2 if percent else 4)


def run_section(run_dir: RunDir, out_dir: Path) -> str:
    """The Markdown section of one finished run (figure links relative to ``out_dir``)."""
    if not run_dir.finished:
        raise ConfigError(f"{run_dir.path}: run is not finished (no summary.json); "
                          f"continue it with `tenfold run --resume {run_dir.path}`")
    s = run_dir.read_summary()
    cfg = run_dir.read_config()
    primary, base = s["primary_metric"], s["baseline"]
    metrics = [primary] + [m for m in next(iter(s["aggregate"].values()), {}) if m != primary]
    metrics = [m for m in metrics if not m.endswith("epoch") and m != "epochs_run"][:MAX_COLUMNS]
    n = len(s["seeds"])
    lines = [f"## {s['recipe']} on {s['dataset']}", "",
             f"Run `{run_dir.path}`, preset `{cfg.get('preset')}`, seeds {s['seeds']} "
             f"(mean ± sample std over {n} seed{'s' * (n != 1)}; `*_acc` columns in %).", ""]
    lines.append("| method | " + " | ".join(metrics) + " |")
    lines.append("|---" * (len(metrics) + 1) + "|")
    for method in s["methods"]:
        row = [_fmt(s["aggregate"][method][m], m) if m in s["aggregate"][method] else "–"
               for m in metrics]
        lines.append(f"| {method} | " + " | ".join(row) + " |")
    if s["paired_vs_baseline"]:
        lines += ["", f"Paired difference against **{base}** on `{primary}` "
                  "(same seeds; wins = seeds where the method is better):", "",
                  "| method | difference | wins | seeds |", "|---|---|---|---|"]
        sign = 1 if s.get("higher_is_better", True) else -1
        for method, diffs in s["paired_vs_baseline"].items():
            if primary in diffs:
                d = diffs[primary]
                wins = d["wins"] if sign > 0 else d["n"] - d["wins"]
                lines.append(f"| {method} − {base} | {_fmt(d, primary)} | {wins} | {d['n']} |")
    figures = sorted(run_dir.figures_dir.glob("*.png")) if run_dir.figures_dir.exists() else []
    if figures:
        lines.append("")
        for fig in figures:
            rel = os.path.relpath(fig, out_dir)
            lines.append(f"![{s['recipe']} {fig.stem}]({rel})")
    return "\n".join(lines) + "\n"


def write_report(run_paths: list[str | Path], out: str | Path, title: str = "tenfold report"
                 ) -> Path:
    """Write the report for ``run_paths`` to ``out`` (atomically) and return its path."""
    runs = [RunDir.open(p) for p in run_paths]
    out = Path(out)
    sections = [run_section(r, out.parent.resolve()) for r in runs]
    text = f"# {title}\n\n" + "\n".join(sections)
    write_text(out, text)
    return out


def summary_line(summary: dict[str, Any]) -> str:
    """One line per run for the terminal: primary metric of every method."""
    metric = summary["primary_metric"]
    parts = [f"{m} {_fmt(summary['aggregate'][m][metric], metric)}"
             for m in summary["methods"] if metric in summary["aggregate"][m]]
    return f"{summary['recipe']}/{summary['dataset']} {metric}: " + ", ".join(parts)
