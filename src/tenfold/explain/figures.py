"""Figures of attribution maps: an image x method grid with the ground-truth boxes, and the mean
deletion / insertion curves (RISE, Petsiuk et al. 2018). Each returns a matplotlib ``Figure``;
saving it is the caller's business."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def map_grid(images: torch.Tensor, boxes: torch.Tensor, labels: torch.Tensor,
             maps: Mapping[str, torch.Tensor | Sequence]):
    """Rows: ``images`` ``(N, 1, H, W)``; columns: the image, then each method's map ``(N, H, W)``
    (a tensor or nested lists); the box ``(top, left, bottom, right)`` drawn in cyan on every
    panel."""
    plt = _pyplot()
    methods = list(maps)
    n = len(images)
    if len(boxes) != n or len(labels) != n:
        raise ValueError(f"map_grid: expected {n} boxes and labels, got {len(boxes)} and "
                         f"{len(labels)}")
    fig, axes = plt.subplots(n, len(methods) + 1, figsize=(1.3 * (len(methods) + 1), 1.3 * n),
                             squeeze=False)
    for i in range(n):
        panels = [("image", images[i, 0])] + [(m, torch.as_tensor(maps[m][i])) for m in methods]
        for j, (name, img) in enumerate(panels):
            ax = axes[i, j]
            ax.imshow(img, cmap="gray" if j == 0 else "inferno")
            top, left, bottom, right = (int(v) for v in boxes[i])
            ax.add_patch(plt.Rectangle((left - 0.5, top - 0.5), right - left, bottom - top,
                                       fill=False, edgecolor="cyan", linewidth=0.8))
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(name, fontsize=7)
        axes[i, 0].set_ylabel(f"class {int(labels[i])}", fontsize=7)
    fig.suptitle("attribution maps (cyan: ground-truth box)", fontsize=8)
    fig.tight_layout()
    return fig


def curves(curves_by_method: Mapping[str, Mapping[str, Sequence[float]]]):
    """Two panels: each method's mean ``"deletion"`` and ``"insertion"`` curve (p(class) against
    the fraction of pixels removed / revealed)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    for method, curve in curves_by_method.items():
        for ax, kind in zip(axes, ("deletion", "insertion"), strict=True):
            ys = list(curve[kind])
            ax.plot([k / max(len(ys) - 1, 1) for k in range(len(ys))], ys, label=method)
    for ax, title in zip(axes, ("deletion (lower is better)", "insertion (higher is better)"),
                         strict=True):
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("fraction of pixels removed / revealed")
        ax.set_ylabel("p(true class)")
    axes[1].legend(fontsize=6)
    fig.tight_layout()
    return fig
