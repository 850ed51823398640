"""Cluttered digits: a small real digit among distractor fragments, with its ground-truth box.

The regime SnapMix (arXiv 2012.04846) is about: the evidence for the label covers a small part of
the image (here about 14 %), so area-proportional mixing labels are far from the truth, and the
true visible fraction of each digit in a cut-and-paste mix is known from its box.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from tenfold.data.synthetic import register_generator


class BoxedDataset(TensorDataset):
    """A ``TensorDataset`` of ``(image, label)`` that also carries each image's object box
    ``boxes[i] = (top, left, bottom, right)`` (exclusive ends) as an ``(N, 4)`` long tensor."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, boxes: torch.Tensor):
        super().__init__(images, labels)
        self.images, self.labels, self.boxes = images, labels, boxes


def upscale(sources: np.ndarray, size: int) -> np.ndarray:
    """``(N, h, w)`` digits in [0, 1] resized (bilinear; antialiased when shrinking) to
    ``(N, size, size)``."""
    shrink = size < sources.shape[-1]
    return F.interpolate(torch.tensor(sources, dtype=torch.float32).unsqueeze(1),
                         size=(size, size), mode="bilinear", align_corners=False,
                         antialias=shrink).squeeze(1).clamp(0, 1).numpy()


def paste_fragments(img: np.ndarray, big: np.ndarray, fragments: int, fragment_size: int,
                    rng: np.random.Generator) -> None:
    """Paste (pixel-wise maximum) ``fragments`` random ``fragment_size`` px crops of random digits
    of ``big`` at uniform places of ``img`` (in place)."""
    digit_size, canvas = big.shape[-1], img.shape[-1]
    for _ in range(fragments):
        src = big[rng.integers(len(big))]
        sy, sx = rng.integers(0, digit_size - fragment_size + 1, size=2)
        ty, tx = rng.integers(0, canvas - fragment_size + 1, size=2)
        view = img[ty:ty + fragment_size, tx:tx + fragment_size]
        np.maximum(view, src[sy:sy + fragment_size, sx:sx + fragment_size], out=view)


def sklearn_digit_splits(test_fraction: float, rng: np.random.Generator
                         ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """scikit-learn's 1797 8x8 digits (values in [0, 1]) split at random into ``{"train",
    "test"}`` source sets ``(images, labels)``, ``test_fraction`` of them for test."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = rng.permutation(len(digits.target))
    n_test = int(round(len(order) * test_fraction))
    src, lab = digits.images / 16.0, digits.target
    return {"train": (src[order[n_test:]], lab[order[n_test:]]),
            "test": (src[order[:n_test]], lab[order[:n_test]])}


def _render(sources: np.ndarray, labels: np.ndarray, count: int, canvas: int, digit_size: int,
            fragments: int, fragment_size: int, noise: float, rng: np.random.Generator
            ) -> BoxedDataset:
    big = upscale(sources, digit_size)
    images = np.zeros((count, canvas, canvas), dtype=np.float32)
    ys = np.zeros(count, dtype=np.int64)
    boxes = np.zeros((count, 4), dtype=np.int64)
    for i in range(count):
        k = rng.integers(len(big))
        img = images[i]
        paste_fragments(img, big, fragments, fragment_size, rng)
        ty, tx = rng.integers(0, canvas - digit_size + 1, size=2)
        view = img[ty:ty + digit_size, tx:tx + digit_size]
        np.maximum(view, big[k], out=view)
        ys[i] = labels[k]
        boxes[i] = (ty, tx, ty + digit_size, tx + digit_size)
    images += rng.normal(0.0, noise, size=images.shape).astype(np.float32)
    return BoxedDataset(torch.from_numpy(images).unsqueeze(1), torch.from_numpy(ys),
                        torch.from_numpy(boxes))


@register_generator("cluttered-digits", "scikit-learn digits (12 px) at a random place on a 32 px "
                    "canvas among digit fragments, with object boxes (embedded)")
def cluttered_digits(num_train: int = 2000, num_test: int = 2000, canvas: int = 32,
                     digit_size: int = 12, fragments: int = 6, fragment_size: int = 6,
                     noise: float = 0.05, test_fraction: float = 1 / 3, seed: int = 0
                     ) -> dict[str, BoxedDataset]:
    """``{"train", "test"}`` :class:`BoxedDataset` s of ``(1, canvas, canvas)`` images, 10 classes.

    scikit-learn's 1797 8x8 digits are split (seeded) into train and test *sources*; each image
    takes one source digit, upscales it to ``digit_size`` px, and pastes it (pixel-wise maximum)
    at a uniform place over ``fragments`` random ``fragment_size`` px crops of other digits of the
    same split, then adds N(0, ``noise``) pixel noise. Values lie roughly in [0, 1].
    """
    if digit_size > canvas or fragment_size > digit_size:
        raise ValueError(f"need fragment_size <= digit_size <= canvas, got {fragment_size}, "
                         f"{digit_size}, {canvas}")
    rng = np.random.default_rng(seed)
    sources = sklearn_digit_splits(test_fraction, rng)
    args = (canvas, digit_size, fragments, fragment_size, noise)
    return {split: _render(*sources[split], count, *args, rng=rng)
            for split, count in (("train", num_train), ("test", num_test))}


def random_shift(x: torch.Tensor, pad: int, gen: torch.Generator) -> torch.Tensor:
    """Random translations by up to ``pad`` px (zero padding, then a random crop per image)."""
    b, _, h, w = x.shape
    padded = F.pad(x, (pad,) * 4)
    oy = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    ox = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    rows = (oy[:, None] + torch.arange(h))[:, None, :, None]
    cols = (ox[:, None] + torch.arange(w))[:, None, None, :]
    return padded[torch.arange(b)[:, None, None, None], torch.arange(x.shape[1])[None, :, None,
                                                                                  None], rows, cols]
