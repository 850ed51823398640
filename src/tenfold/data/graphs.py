"""Graph datasets through torch_geometric's own loaders (Planetoid, Amazon, Coauthor, TUDataset).

The mirror keeps only ``raw/`` folders; PyG writes ``processed/`` next to them, so a dataset found
in the read-only mirror (or a ``--data-root``) is first copied into the cache.

Importing this module registers the catalog entries only: torch_geometric is imported when a
dataset is loaded, so ``tenfold list`` and ``tenfold data list`` start without it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

from tenfold.data.catalog import DatasetSpec, register_dataset
from tenfold.data.locate import copy_tree, working_root

if TYPE_CHECKING:
    from torch_geometric.data import Data

GRAPHS = "graphs"


def writable_root(root: Path, folder: str) -> Path:
    """The ``graphs`` root to hand to a PyG loader: ``root`` when it is the cache, else a copy
    of the raw files in the cache (the mirror and a ``--data-root`` are never written)."""
    work = working_root(root)
    if work != root:
        copy_tree(root / GRAPHS / folder / "raw", work / GRAPHS / folder / "raw")
    return work / GRAPHS


def _pyg(loader_cls: str, name: str):
    """``load(root, download, **kwargs)`` for the PyG dataset class ``torch_geometric.datasets.
    <loader_cls>`` taking ``(root, name)``, imported only when the dataset is loaded."""
    def load(root: Path, download: bool, **kwargs):
        cls = getattr(importlib.import_module("torch_geometric.datasets"), loader_cls)
        return cls(str(writable_root(root, name)), name, **kwargs)
    return load


_PLANETOID_FILES = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")

for _name, _n in [("Cora", "2708 nodes, 7 classes"), ("CiteSeer", "3327 nodes, 6 classes")]:
    register_dataset(DatasetSpec(
        name=_name.lower(),
        description=f"Planetoid {_name} ({_n}), public split",
        required=tuple(f"{GRAPHS}/{_name}/raw/ind.{_name.lower()}.{f}" for f in _PLANETOID_FILES),
        load=_pyg("Planetoid", _name), can_download=True,
        how_to_get="torch_geometric downloads it when online, or use a TENFOLD_DATA mirror",
    ))

for _name, _file, _desc in [
    ("Computers", "amazon_electronics_computers.npz", "Amazon Computers (13752 nodes, 10 classes)"),
    ("Photo", "amazon_electronics_photo.npz", "Amazon Photo (7650 nodes, 8 classes)"),
]:
    register_dataset(DatasetSpec(
        name=_name.lower(), description=_desc,
        required=(f"{GRAPHS}/{_name}/raw/{_file}",), load=_pyg("Amazon", _name), can_download=True,
        how_to_get="torch_geometric downloads it when online, or use a TENFOLD_DATA mirror",
    ))

register_dataset(DatasetSpec(
    name="cs", description="Coauthor CS (18333 nodes, 15 classes)",
    required=(f"{GRAPHS}/CS/raw/ms_academic_cs.npz",), load=_pyg("Coauthor", "CS"),
    can_download=True,
    how_to_get="torch_geometric downloads it when online, or use a TENFOLD_DATA mirror",
))

for _name, _desc in [
    ("MUTAG", "TU MUTAG, graph classification (mirror: 135 cleaned graphs)"),
    ("PROTEINS", "TU PROTEINS, graph classification (mirror: 975 cleaned graphs)"),
    ("ENZYMES", "TU ENZYMES, graph classification (mirror: 595 cleaned graphs)"),
    ("IMDB-BINARY", "TU IMDB-BINARY, graph classification (mirror: 493 cleaned graphs)"),
]:
    register_dataset(DatasetSpec(
        name=_name.lower(), description=_desc,
        required=(f"{GRAPHS}/{_name}/raw/{_name}_A.txt",
                  f"{GRAPHS}/{_name}/raw/{_name}_graph_indicator.txt",
                  f"{GRAPHS}/{_name}/raw/{_name}_graph_labels.txt"),
        load=_pyg("TUDataset", _name), can_download=True,
        how_to_get="torch_geometric downloads the TU version when online (note: not the "
                   "isomorphism-cleaned one of the mirror), or use a TENFOLD_DATA mirror",
    ))


def node_classification_graph(name: str, root: str | Path | None = None,
                              normalize_features: bool = True) -> Data:
    """One graph ready for full-batch node classification, with train/val/test masks.

    Planetoid graphs keep their public split; Amazon and Coauthor graphs get a fixed
    Planetoid-style split (:func:`tenfold.data.splits.ensure_node_split`); generated graphs bring
    their own. ``normalize_features`` row-normalises features (as in GCN and GAT).
    """
    from torch_geometric.data import Data
    from torch_geometric.transforms import NormalizeFeatures

    from tenfold.data.catalog import load_dataset
    from tenfold.data.splits import ensure_node_split

    loaded = load_dataset(name, root)
    data = loaded if isinstance(loaded, Data) else loaded[0]
    if getattr(data, "y", None) is None or data.y.dim() != 1:
        raise ValueError(f"dataset {name!r} is not a single-label node classification graph")
    data = ensure_node_split(data)
    if normalize_features and not name.startswith("synthetic"):
        data = NormalizeFeatures()(data.clone())
    return data
