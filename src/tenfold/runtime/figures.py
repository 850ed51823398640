"""Standard figures of a run: a bar chart of the primary metric (mean ± std over seeds) and the
learning curves logged in ``metrics.jsonl`` (mean over seeds per step).

Values are shown in the unit of the report's tables (:func:`tenfold.runtime.report.unit`):
accuracy-like metrics in %, so a chart and the table beside it show the same numbers."""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from tenfold.runtime.report import label, scale  # noqa: E402
from tenfold.runtime.rundir import RunDir  # noqa: E402

log = logging.getLogger(__name__)
MAX_CURVES = 4


def bar_figure(summary: dict[str, Any]) -> plt.Figure:
    """Mean ± std of the primary metric per method, one bar each, in the report's unit."""
    metric = summary["primary_metric"]
    factor = scale(metric)
    methods = [m for m in summary["methods"] if metric in summary["aggregate"].get(m, {})]
    means = [summary["aggregate"][m][metric]["mean"] * factor for m in methods]
    stds = [summary["aggregate"][m][metric]["std"] * factor for m in methods]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(methods) + 1.5), 3.2))
    ax.bar(range(len(methods)), means, yerr=stds, capsize=4, color="#4C72B0")
    ax.set_xticks(range(len(methods)), methods, rotation=30, ha="right")
    ax.set_ylabel(label(metric))
    n = len(summary["seeds"])
    ax.set_title(f"{summary['recipe']} on {summary['dataset']} ({n} seed{'s' * (n != 1)})")
    if means:
        lo = min(m - s for m, s in zip(means, stds, strict=True))
        hi = max(m + s for m, s in zip(means, stds, strict=True))
        pad = 0.1 * (hi - lo) if hi > lo else 0.05 * abs(hi) + 1e-3
        ax.set_ylim(lo - pad, hi + pad)
    fig.tight_layout()
    return fig


def bar_chart(summary: dict[str, Any], path: Path) -> Path:
    """Write :func:`bar_figure` to ``path``."""
    fig = bar_figure(summary)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def learning_curves(records: list[dict[str, Any]], path: Path, title: str) -> Path | None:
    """Per method, the mean over seeds of each logged metric against the step."""
    series: dict[str, dict[str, dict[int, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list)))
    for rec in records:
        for key, value in rec.items():
            if key not in {"seed", "method", "step", "epoch"}:
                series[key][rec["method"]][rec["step"]].append(value)
    preferred = [k for k in ("loss", "val_acc", "val_loss", "test_acc") if k in series]
    keys = (preferred + [k for k in sorted(series) if k not in preferred])[:MAX_CURVES]
    if not keys:
        return None
    fig, axes = plt.subplots(1, len(keys), figsize=(4.0 * len(keys), 3.2), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        for method, points in sorted(series[key].items()):
            steps = sorted(points)
            ax.plot(steps, [scale(key) * sum(points[s]) / len(points[s]) for s in steps],
                    label=method)
        ax.set_xlabel("step")
        ax.set_ylabel(label(key))
    axes[0][0].legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_run_figures(run_dir: RunDir, summary: dict[str, Any]) -> list[Path]:
    """Write ``figures/<primary metric>.png`` and ``figures/curves.png`` of a finished run."""
    run_dir.figures_dir.mkdir(parents=True, exist_ok=True)
    paths = [bar_chart(summary, run_dir.figures_dir / f"{summary['primary_metric']}.png")]
    curves = learning_curves(run_dir.read_metrics(), run_dir.figures_dir / "curves.png",
                             f"{summary['recipe']} on {summary['dataset']}: learning curves")
    if curves is not None:
        paths.append(curves)
    return paths
