"""Image datasets: MNIST (torchvision), CIFAR-10 and flowers12 (ImageFolder from the mirror's
tars, extracted once into the cache) and scikit-learn's digits (embedded, no download).

Image loaders return ``{"train": dataset, "test": dataset}``; pass ``transform=...`` through
:func:`tenfold.data.load_dataset`. Importing this module registers the catalog entries only:
torch and torchvision are imported when a dataset is loaded.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tenfold.data.catalog import DatasetSpec, register_dataset
from tenfold.data.locate import extract_tar, working_root

IMAGES = "images"


def _mnist(root: Path, download: bool, transform=None):
    from torchvision.datasets import MNIST

    base = str(root / IMAGES)
    return {split: MNIST(base, train=(split == "train"), download=download, transform=transform)
            for split in ("train", "test")}


def _image_folder(folder: str):
    """Load ``<root>/images/<folder>/{train,test}``: the folders themselves when extracted (in
    the cache), else the tars, extracted once into the cache (never into the data root)."""
    def load(root: Path, download: bool, transform=None):
        from torchvision.datasets import ImageFolder

        target = root / IMAGES / folder
        dest = working_root(root) / IMAGES / folder
        out = {}
        for split in ("train", "test"):
            if not (dest / split).is_dir():
                tmp = dest / f".{split}-extract"
                extract_tar(target / f"{split}.tar", tmp)
                if not (tmp / split).is_dir():
                    shutil.rmtree(tmp, ignore_errors=True)
                    raise ValueError(f"{target / f'{split}.tar'} has no {split}/ folder")
                (tmp / split).rename(dest / split)
                shutil.rmtree(tmp, ignore_errors=True)
            out[split] = ImageFolder(str(dest / split), transform=transform)
        return out
    return load


def _digits(root: Path | None, download: bool, transform=None):
    """scikit-learn's 8×8 digits (1797 images, values 0..16) as float tensors in [0, 1],
    split 1437/360 with a fixed stratified permutation."""
    import numpy as np
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from torch.utils.data import TensorDataset

    digits = load_digits()
    x = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(digits.target, dtype=torch.long)
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=0.2, random_state=0,
                                           stratify=digits.target)
    return {"train": TensorDataset(x[idx_train], y[idx_train]),
            "test": TensorDataset(x[idx_test], y[idx_test])}


register_dataset(DatasetSpec(
    name="mnist", description="MNIST 60000/10000 (torchvision)",
    required=tuple(f"{IMAGES}/MNIST/raw/{f}" for f in (
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")),
    load=_mnist, can_download=True,
    how_to_get="torchvision downloads it when online, or use a TENFOLD_DATA mirror",
))
register_dataset(DatasetSpec(
    name="cifar10", description="CIFAR-10 50000/10000, JPEG copy read with ImageFolder",
    required=(f"{IMAGES}/CIFAR10-jpeg/train.tar", f"{IMAGES}/CIFAR10-jpeg/test.tar"),
    prepared=(f"{IMAGES}/CIFAR10-jpeg/train", f"{IMAGES}/CIFAR10-jpeg/test"),
    load=_image_folder("CIFAR10-jpeg"),
    how_to_get="use a TENFOLD_DATA mirror with images/CIFAR10-jpeg/{train,test}.tar",
))
register_dataset(DatasetSpec(
    name="flowers12", description="Oxford Flowers subset: 12 species, 60/20 per class, 224 px",
    required=(f"{IMAGES}/flowers12/train.tar", f"{IMAGES}/flowers12/test.tar"),
    prepared=(f"{IMAGES}/flowers12/train", f"{IMAGES}/flowers12/test"),
    load=_image_folder("flowers12"),
    how_to_get="use a TENFOLD_DATA mirror with images/flowers12/{train,test}.tar",
))
register_dataset(DatasetSpec(
    name="digits", description="scikit-learn digits, 8x8, 1437/360 (embedded)",
    required=(), load=_digits,
))

