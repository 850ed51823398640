"""Pictures of a tracking comparison (matplotlib; returns figures, saves nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["tracking_figures"]


def tracking_figures(scenes: dict, results: dict, methods: Sequence[str],
                     densities: Sequence[int] | None, seed: int) -> dict[str, Any]:
    """``{name: Figure}``: ``trajectories`` (ground truth and every method's tracks over the
    time-max of the density, for the densest synthetic scene or the real one),
    ``mota_idf1_vs_density`` (when ``densities`` is given: synthetic crowds) and
    ``solver_time_vs_frames`` (the counting tracker's cumulative solver time per chunk).

    ``scenes``: ``{scene: {"gt": rows, "density": (H, W) tensor, method: run_tracker output}}``
    with int keys for synthetic densities or ``"pets"`` / ``"tud"``; ``results``: the recipe's
    ``{method: {metric: value}}`` (``mota_n{N}``, ``idf1_n{N}`` for the density plot).
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, Any] = {}
    key = max(scenes, key=lambda k: (isinstance(k, int), k if isinstance(k, int) else 0))
    scene = scenes[key]
    panels = ["gt"] + [m for m in methods if m in scene]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.4), squeeze=False)
    for ax, name in zip(axes[0], panels, strict=True):
        rows = np.asarray(scene[name] if name == "gt" else scene[name]["tracks"]).reshape(-1, 4)
        ax.imshow(scene["density"].numpy(), cmap="gray_r")
        for ident in np.unique(rows[:, 1]):
            r = rows[rows[:, 1] == ident]
            ax.plot(r[:, 3], r[:, 2], lw=0.8)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    title = {"pets": "PETS09-S2L1", "tud": "TUD-Stadtmitte"}.get(key, f"{key} targets")
    fig.suptitle(f"trajectories ({title}, seed {seed})", fontsize=10)
    fig.tight_layout()
    out["trajectories"] = fig
    if densities:
        fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
        for ax, metric in zip(axes, ("mota", "idf1"), strict=True):
            for m in methods:
                ax.plot(densities, [results[m][f"{metric}_n{n}"] for n in densities],
                        marker="o", label=m)
            ax.set_xlabel("targets")
            ax.set_ylabel(metric.upper())
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        out["mota_idf1_vs_density"] = fig
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    for name, scene in scenes.items():
        counting = scene.get("counting")
        if counting:
            ax.plot(counting["chunk_end_frame"], np.cumsum(counting["chunk_solve_s"]),
                    marker=".", label=str(name))
    ax.set_xlabel("frames solved")
    ax.set_ylabel("cumulative solver time (s)")
    ax.legend(fontsize=8, title="targets" if densities else None)
    fig.tight_layout()
    out["solver_time_vs_frames"] = fig
    return out
