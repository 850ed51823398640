"""A picture of SnapMix mixes with their label weights (matplotlib; returns the figure, saves
nothing)."""

from __future__ import annotations

import torch
from torch import nn

from tenfold.augment.snapmix import SnapMix

__all__ = ["mix_figure"]


def mix_figure(model: nn.Module, data, beta: float, n: int = 8, seed: int = 0):
    """A row of ``n`` SnapMix mixes (no same-class boost, eval-mode CAMs) of the first test
    images of ``data`` (a :class:`~tenfold.data.tensor_images.TensorImages`), each titled
    ``label a:rho_a / label b:rho_b``, with the pasted box in red. Returns the matplotlib
    ``Figure`` (the caller saves and closes it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gen = torch.Generator().manual_seed(seed)
    x, y = next(data.test_batches(max(n, 2)))
    snap = SnapMix(data.num_classes, beta=beta, same_class_boost=False, eval_cam=True,
                   generator=gen)
    x_mix, _ = snap(x, y, model)
    info = snap.last_info
    fig, axes = plt.subplots(1, n, figsize=(1.6 * n, 2.0))
    for i, ax in enumerate(axes[: len(y)]):
        img = (x_mix[i] * data.std.view(-1, 1, 1) + data.mean.view(-1, 1, 1)).clamp(0, 1).cpu()
        ax.imshow(img.permute(1, 2, 0).squeeze(-1), cmap="gray" if img.shape[0] == 1 else None)
        ax.set_title(f"{int(y[i])}:{float(info.weight_a[i]):.2f} / "
                     f"{int(y[info.perm[i]])}:{float(info.weight_b[i]):.2f}", fontsize=7)
        if info.box_a is not None:
            t, l_, b_, r = info.box_a
            ax.add_patch(plt.Rectangle((l_ - 0.5, t - 0.5), r - l_, b_ - t, fill=False,
                                       edgecolor="red", linewidth=0.8))
        ax.axis("off")
    fig.suptitle("SnapMix mixes: label a:rho_a / label b:rho_b (red: pasted box)", fontsize=8)
    fig.tight_layout()
    return fig
