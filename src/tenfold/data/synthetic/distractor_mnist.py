"""Distractor digits built from MNIST: the real-data variant of ``distractor-digits``.

The same layout (a labelled digit of classes 0-4 and a whole distractor digit of classes 5-9 at
non-overlapping places of a 32 px canvas, over fragments of other digits and pixel noise), with
the digits taken from the MNIST files of the data mirror instead of scikit-learn's 8x8 digits:
each MNIST image is cropped to its central 20x20 box (where MNIST centres the digit) and shrunk
(antialiased) to ``digit_size`` px. Train canvases use MNIST's training images, test canvases its
test images; ``sources`` of each split are drawn at random (seeded) to keep generation cheap.
"""

from __future__ import annotations

import numpy as np

from tenfold.data.synthetic import register_generator
from tenfold.data.synthetic.cluttered_digits import BoxedDataset
from tenfold.data.synthetic.distractor_digits import check_layout, render_splits


def mnist_digit_sources(count: int, rng: np.random.Generator
                        ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{"train", "test"}`` -> ``count`` random MNIST digits of that split, cropped to the
    central 20x20, values in [0, 1], with labels (loaded through the catalog's ``mnist``)."""
    from tenfold.data import load_dataset

    out = {}
    for split, ds in load_dataset("mnist").items():
        idx = np.sort(rng.choice(len(ds.targets), size=min(count, len(ds.targets)),
                                 replace=False))
        images = ds.data.numpy()[idx, 4:24, 4:24].astype(np.float32) / 255.0
        out[split] = (images, ds.targets.numpy()[idx])
    return out


@register_generator("distractor-mnist", "MNIST digits 0-4 (12 px) on a 32 px canvas with a whole "
                    "distractor digit 5-9, fragments and boxes (needs the mnist files)")
def distractor_mnist(num_train: int = 2000, num_test: int = 2000, canvas: int = 32,
                     digit_size: int = 12, fragments: int = 4, fragment_size: int = 6,
                     noise: float = 0.05, target_classes: int = 5, sources: int = 6000,
                     seed: int = 0, num_val: int = 0) -> dict[str, BoxedDataset]:
    """``{"train", "test"}`` (and ``"val"`` if ``num_val > 0``) :class:`BoxedDataset` s like
    ``distractor-digits``; ``sources`` MNIST digits per split are drawn (seeded) as the pool the
    canvases are built from."""
    check_layout(canvas, digit_size, fragment_size, target_classes)
    if sources < 2:
        raise ValueError(f"sources must be >= 2, got {sources}")
    rng = np.random.default_rng(seed)
    pools = mnist_digit_sources(sources, rng)
    layout = (canvas, digit_size, fragments, fragment_size, noise, target_classes)
    return render_splits(pools, num_train, num_test, num_val, layout, seed, rng)
