"""``tenfold report``: a Markdown report over finished runs — per run a table of every method's
metrics (mean ± std over seeds), the paired difference against the baseline, and the figures."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from tenfold.errors import ConfigError
from tenfold.runtime.io import write_text
from tenfold.runtime.rundir import RunDir
from tenfold.runtime.stats import format_mean_std

MAX_COLUMNS = 6
_PERCENT = re.compile(r"(^|_)(acc|accuracy|ap|af|f1|micro_f1|macro_f1)(_|$)")


def unit(metric: str) -> str:
    """``"%"`` for every accuracy-like metric (``test_acc``, ``test_acc_n1``, ``ap``, ``f1``,
    ...), so that one kind of metric has one unit in every table; ``""`` otherwise."""
    return "%" if _PERCENT.search(metric) else ""


def scale(metric: str) -> float:
    """The factor from the stored value (a fraction for accuracy-like metrics) to the shown one:
    100 for ``%`` metrics, else 1. Tables, terminal lines and figures all use it."""
    return 100.0 if unit(metric) == "%" else 1.0


def label(metric: str) -> str:
    """A column head or axis label: ``test_acc (%)``, or the bare name for unitless metrics."""
    return f"{metric} ({unit(metric)})" if unit(metric) else metric


def _fmt(stats: dict[str, float], metric: str) -> str:
    """``83.02 ± 0.33``; one seed: ``83.02 (n = 1)`` (no spread to show)."""
    factor, digits = scale(metric), 2 if unit(metric) == "%" else 4
    if stats.get("n") == 1:
        return f"{stats['mean'] * factor:.{digits}f} (n = 1)"
    return format_mean_std(stats, scale=factor, digits=digits)



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
    spread = (f"mean ± sample std over {n} seeds" if n > 1
              else "one seed, so no spread (n = 1)")
    lines = [f"## {s['recipe']} on {s['dataset']}", "",
             f"Run `{run_dir.path}`, preset `{cfg.get('preset')}`, seeds {s['seeds']} "
             f"({spread}; accuracy-like metrics in %).", ""]
    if cfg.get("preset") == "smoke":
        lines += ["> **Smoke preset: a plumbing check (seconds of training), not evidence for or "
                  "against the method.** Use `quick` or `paper` for numbers.", ""]
    lines.append("| method | " + " | ".join(label(m) for m in metrics) + " |")
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
                wins = d["wins"] if sign > 0 else _lower_wins(s, method, base, primary)
                lines.append(f"| {method} − {base} | {_fmt(d, primary)} | {wins} | {d['n']} |")
    figures = sorted(run_dir.figures_dir.glob("*.png")) if run_dir.figures_dir.exists() else []
    if figures:
        lines.append("")
        for fig in figures:
            rel = os.path.relpath(fig, out_dir)
            lines.append(f"![{s['recipe']} {fig.stem}]({rel})")
    return "\n".join(lines) + "\n"


def _lower_wins(summary: dict[str, Any], method: str, base: str, metric: str) -> int:
    """Seeds on which ``method`` is strictly below ``base`` (a tie is no win)."""
    return sum(m[method][metric] < m[base][metric] for m in summary["per_seed"].values()
               if metric in m.get(method, {}) and metric in m.get(base, {}))


def write_report(run_paths: list[str | Path], out: str | Path, title: str = "tenfold report",
                 check_out: bool = False) -> Path:
    """Write the report for ``run_paths`` to ``out`` (atomically) and return its path.

    ``check_out``: refuse (``ConfigError``) an ``out`` that is empty, a folder, or in a folder
    that does not exist, before reading any run."""
    if check_out:
        _check_out(out)
    runs = [RunDir.open(p) for p in run_paths]
    out = Path(out)
    sections = [run_section(r, out.parent.resolve()) for r in runs]
    from tenfold.claims.report import ledger_section  # the papers' claims of these recipes

    ledger = ledger_section([(str(r.path), r.read_summary()) for r in runs])
    text = f"# {title}\n\n" + ledger + "\n".join(sections)
    write_text(out, text)
    return out


def _check_out(out: str | Path) -> None:
    if str(out).strip() == "":
        raise ConfigError("--out: expected a file name for the report, got an empty string")
    out = Path(out)
    if out.is_dir():
        raise ConfigError(f"--out {out}: is a folder; expected a file name such as "
                          f"{out / 'report.md'}")
    if not out.parent.is_dir():
        raise ConfigError(f"--out {out}: the folder {out.parent} does not exist")
    if not os.access(out.parent, os.W_OK):
        raise ConfigError(f"--out {out}: the folder {out.parent} is not writable")


def summary_line(summary: dict[str, Any]) -> str:
    """One line per run for the terminal: primary metric of every method."""
    metric = summary["primary_metric"]
    parts = [f"{m} {_fmt(summary['aggregate'][m][metric], metric)}"
             for m in summary["methods"] if metric in summary["aggregate"][m]]
    return f"{summary['recipe']}/{summary['dataset']} {metric}: " + ", ".join(parts)
