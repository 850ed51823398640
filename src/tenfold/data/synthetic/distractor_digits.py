"""Cluttered digits with a whole distractor digit: localisation that must be class-specific.

Built for the attribution benchmark (arXiv 2010.07210): each 32 px canvas holds the labelled digit
(classes 0-4) and one whole *distractor* digit from the disjoint classes 5-9 at a place that does
not overlap it, over random fragments of other digits and pixel noise. A map that merely finds
"digit-like strokes" hits the distractor as often as the target, so the pointing game and the
energy in the target box measure class-specific evidence.
"""

from __future__ import annotations

import numpy as np
import torch

from tenfold.data.synthetic import register_generator
from tenfold.data.synthetic.cluttered_digits import (
    BoxedDataset,
    paste_fragments,
    sklearn_digit_splits,
    upscale,
)


def _overlaps(a: tuple[int, int], b: tuple[int, int], size: int) -> bool:
    return abs(a[0] - b[0]) < size and abs(a[1] - b[1]) < size


def render_distractor_digits(sources: np.ndarray, labels: np.ndarray, count: int, canvas: int,
                             digit_size: int, fragments: int, fragment_size: int, noise: float,
                             target_classes: int, rng: np.random.Generator) -> BoxedDataset:
    """``count`` canvases from source digits ``(N, h, w)`` in [0, 1] with ``labels`` (the module
    docstring's layout); the result also has ``distractor_boxes``."""
    if not ((labels < target_classes).any() and (labels >= target_classes).any()):
        raise ValueError(f"need source digits of classes below and at or above {target_classes}")
    big = upscale(sources, digit_size)
    targets = np.flatnonzero(labels < target_classes)
    distractors = np.flatnonzero(labels >= target_classes)
    images = np.zeros((count, canvas, canvas), dtype=np.float32)
    ys = np.zeros(count, dtype=np.int64)
    boxes = np.zeros((count, 4), dtype=np.int64)
    dboxes = np.zeros((count, 4), dtype=np.int64)
    for i in range(count):
        img = images[i]
        paste_fragments(img, big, fragments, fragment_size, rng)
        k = targets[rng.integers(len(targets))]
        d = distractors[rng.integers(len(distractors))]
        while True:     # both places drawn together (a central digit leaves no room)
            pos, dpos = (tuple(int(v) for v in rng.integers(0, canvas - digit_size + 1, size=2))
                         for _ in range(2))
            if not _overlaps(pos, dpos, digit_size):
                break
        for (ty, tx), src in ((dpos, big[d]), (pos, big[k])):
            view = img[ty:ty + digit_size, tx:tx + digit_size]
            np.maximum(view, src, out=view)
        ys[i] = labels[k]
        boxes[i] = (pos[0], pos[1], pos[0] + digit_size, pos[1] + digit_size)
        dboxes[i] = (dpos[0], dpos[1], dpos[0] + digit_size, dpos[1] + digit_size)
    images += rng.normal(0.0, noise, size=images.shape).astype(np.float32)
    data = BoxedDataset(torch.from_numpy(images).unsqueeze(1), torch.from_numpy(ys),
                        torch.from_numpy(boxes))
    data.distractor_boxes = torch.from_numpy(dboxes)
    return data


#: The validation canvases' random stream is ``seed + VALIDATION_STREAM``, apart from the stream
#: of the training and test canvases, so they do not change with ``num_train`` or ``num_test``.
VALIDATION_STREAM = 7


def render_splits(pools: dict[str, tuple[np.ndarray, np.ndarray]], num_train: int, num_test: int,
                  num_val: int, layout: tuple, seed: int, rng: np.random.Generator
                  ) -> dict[str, BoxedDataset]:
    """The ``train`` and ``test`` canvases from the source ``pools`` of the same names, drawn from
    ``rng`` in that order, plus (if ``num_val > 0``) ``val`` canvases rendered from the *training*
    sources on their own stream: no test canvas and no test digit occurs in them, and they are
    other canvases than the training ones (for choosing settings without the test images)."""
    if num_val < 0:
        raise ValueError(f"num_val must be >= 0, got {num_val}")
    out = {split: render_distractor_digits(*pools[split], count, *layout, rng=rng)
           for split, count in (("train", num_train), ("test", num_test))}
    if num_val:
        out["val"] = render_distractor_digits(
            *pools["train"], num_val, *layout,
            rng=np.random.default_rng(seed + VALIDATION_STREAM))
    return out


@register_generator("distractor-digits", "scikit-learn digits 0-4 (12 px) on a 32 px canvas with "
                    "a whole distractor digit 5-9, fragments and boxes (embedded)")
def distractor_digits(num_train: int = 2000, num_test: int = 2000, canvas: int = 32,
                      digit_size: int = 12, fragments: int = 4, fragment_size: int = 6,
                      noise: float = 0.05, target_classes: int = 5, test_fraction: float = 1 / 3,
                      seed: int = 0, num_val: int = 0) -> dict[str, BoxedDataset]:
    """``{"train", "test"}`` (and ``"val"`` if ``num_val > 0``, see :func:`render_splits`)
    :class:`BoxedDataset` s of ``(1, canvas, canvas)`` images with labels
    ``0 .. target_classes - 1``; each also has ``distractor_boxes`` ``(N, 4)``.

    scikit-learn's 8x8 digits are split (seeded) into train and test sources. Each image: random
    ``fragment_size`` crops of any digit, a whole digit of class ``>= target_classes`` (the
    distractor) and the labelled digit of class ``< target_classes`` at non-overlapping places
    (pixel-wise maximum), then N(0, ``noise``) noise. Values lie roughly in [0, 1].
    """
    check_layout(canvas, digit_size, fragment_size, target_classes)
    rng = np.random.default_rng(seed)
    sources = sklearn_digit_splits(test_fraction, rng)
    layout = (canvas, digit_size, fragments, fragment_size, noise, target_classes)
    return render_splits(sources, num_train, num_test, num_val, layout, seed, rng)


def check_layout(canvas: int, digit_size: int, fragment_size: int, target_classes: int) -> None:
    if fragment_size > digit_size or 2 * digit_size > canvas:
        raise ValueError(f"need fragment_size <= digit_size and 2 * digit_size <= canvas, got "
                         f"{fragment_size}, {digit_size}, {canvas}")
    if not 1 <= target_classes <= 9:
        raise ValueError(f"target_classes must lie in 1..9, got {target_classes}")
