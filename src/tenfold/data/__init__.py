"""Where data comes from: the dataset catalog, its lookup order, and the synthetic generators.

>>> from tenfold.data import load_dataset
>>> cora = load_dataset("cora")          # PyG Planetoid, found in root / mirror / cache / download
>>> splits = load_dataset("digits")      # {"train": ..., "test": ...}, embedded
"""

from tenfold.data.catalog import DatasetSpec, all_datasets, get_dataset, load_dataset, locate
from tenfold.data.locate import cache_root, mirror_root

__all__ = ["DatasetSpec", "all_datasets", "cache_root", "get_dataset", "load_dataset", "locate",
           "mirror_root"]
