"""Image datasets as :class:`~tenfold.data.tensor_images.TensorImages`, the way the image-mixing
experiments use them (decoded once, normalised with the training mean and std).

* ``cluttered-digits`` (embedded generator, seed 0): 32 px, padded by 2 for random crops, no
  flips, with the test images' object boxes (``test_boxes``) for label-fidelity measurements;
* ``flowers12`` (mirror): stored at ``round(image_size * 8 / 7)`` px, random ``image_size`` crops
  and flips;
* ``cifar10`` (mirror): 32 px, padded by 4, flips.

``train_size`` / ``test_size`` pick that many images by a fixed random choice (seed 0, sorted),
``0`` = all (``cluttered-digits``: 2000 each).
"""

from __future__ import annotations

import torch

from tenfold.data.catalog import load_dataset
from tenfold.data.tensor_images import TensorImages, channel_stats, decode_image_folder

__all__ = ["IMAGE_SETS", "tensor_image_set"]

IMAGE_SETS = ("cluttered-digits", "flowers12", "cifar10")


def tensor_image_set(dataset: str, image_size: int = 64, train_size: int = 0,
                     test_size: int = 0) -> TensorImages:
    """``dataset`` (one of :data:`IMAGE_SETS`) as :class:`TensorImages` (see the module)."""
    if dataset not in IMAGE_SETS:
        raise ValueError(f"dataset: expected one of {', '.join(IMAGE_SETS)}, got {dataset!r}")
    if train_size < 0 or test_size < 0:
        raise ValueError(f"train_size and test_size: expected >= 0 (0 = all), got "
                         f"{train_size}, {test_size}")
    if dataset == "cluttered-digits":
        data = load_dataset("cluttered-digits", num_train=train_size or 2000,
                            num_test=test_size or 2000, seed=0)
        tr, te = data["train"], data["test"]
        mean, std = channel_stats(tr.images)
        return TensorImages(tr.images, tr.labels, te.images, te.labels, 10, crop=32, pad=2,
                            flip=False, mean=mean, std=std, test_boxes=te.boxes)
    splits = load_dataset(dataset)
    pick = torch.Generator().manual_seed(0)

    def choose(n_total: int, n: int) -> torch.Tensor:
        return torch.randperm(n_total, generator=pick)[:n].sort().values if n else \
            torch.arange(n_total)

    if dataset == "flowers12":
        stored, crop, pad = round(image_size * 8 / 7), image_size, 0
    else:
        stored, crop, pad = 32, 32, 4
    train = splits["train"]
    tx, ty = decode_image_folder(train, choose(len(train), train_size), stored)
    vx, vy = decode_image_folder(splits["test"], choose(len(splits["test"]), test_size), stored)
    mean, std = channel_stats(tx)
    return TensorImages(tx, ty, vx, vy, len(train.classes), crop=crop, pad=pad, flip=True,
                        mean=mean, std=std)
