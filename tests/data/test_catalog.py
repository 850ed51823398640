"""Data lookup order, the read-only mirror, clear errors, and the standard loaders."""

import shutil

import pytest
import torch

from tenfold.data import load_dataset, locate
from tenfold.data.graphs import node_classification_graph
from tenfold.data.splits import ensure_node_split
from tenfold.data.synthetic import generate
from tenfold.errors import DataNotFoundError


def test_lookup_order_root_then_mirror_then_cache(mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("TENFOLD_CACHE", str(tmp_path / "cache"))
    assert locate("cora") == ("mirror", mirror)
    own = tmp_path / "own"
    shutil.copytree(mirror / "graphs" / "Cora", own / "graphs" / "Cora")
    assert locate("cora", root=own) == ("root", own)
    monkeypatch.delenv("TENFOLD_DATA")
    assert locate("cora")[0] == "missing"
    shutil.copytree(mirror / "graphs" / "Cora", tmp_path / "cache" / "graphs" / "Cora")
    assert locate("cora") == ("cache", tmp_path / "cache")


def test_mirror_is_copied_to_cache_before_processing(mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("TENFOLD_CACHE", str(tmp_path / "cache"))
    dataset = load_dataset("cora")
    data = dataset[0]
    assert (data.num_nodes, data.num_edges, dataset.num_classes) == (2708, 10556, 7)
    assert (int(data.train_mask.sum()), int(data.val_mask.sum()), int(data.test_mask.sum())) \
        == (140, 500, 1000)
    assert (tmp_path / "cache" / "graphs" / "Cora" / "processed").is_dir()
    assert not (mirror / "graphs" / "Cora" / "processed").exists()


def test_empty_cached_raw_folder_is_refilled_from_the_mirror(mirror, tmp_path, monkeypatch):
    """PyG makes ``raw/`` before a download; if that download failed, the empty folder must not
    stop the mirror copy (offline, the load would otherwise fail)."""
    monkeypatch.setenv("TENFOLD_CACHE", str(tmp_path / "cache"))
    (tmp_path / "cache" / "graphs" / "Cora" / "raw").mkdir(parents=True)
    assert load_dataset("cora")[0].num_nodes == 2708


def test_missing_data_message_names_places_and_remedy(tmp_path, monkeypatch):
    monkeypatch.delenv("TENFOLD_DATA", raising=False)
    monkeypatch.setenv("TENFOLD_CACHE", str(tmp_path / "empty"))
    with pytest.raises(DataNotFoundError) as info:
        load_dataset("citeseer")
    text = str(info.value)
    assert "citeseer" in text and str(tmp_path / "empty") in text and "TENFOLD_DATA" in text
    assert "To get it" in text


def test_unknown_dataset():
    with pytest.raises(DataNotFoundError, match="unknown dataset 'nope'"):
        load_dataset("nope")


def test_digits_embedded_split():
    splits = load_dataset("digits")
    x, y = splits["train"].tensors
    assert x.shape == (1437, 1, 8, 8) and len(splits["test"]) == 360
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    total = torch.bincount(y) + torch.bincount(splits["test"].tensors[1])
    assert ((torch.bincount(y) - 0.8 * total).abs() <= 1).all()  # stratified 80/20


def test_sbm_is_deterministic_and_homophilous():
    a, b = generate("synthetic-sbm", seed=3), generate("synthetic-sbm", seed=3)
    assert torch.equal(a.edge_index, b.edge_index) and torch.equal(a.x, b.x)
    src, dst = a.edge_index
    assert float((a.y[src] == a.y[dst]).float().mean()) > 0.7
    assert not torch.equal(a.x, generate("synthetic-sbm", seed=4).x)


def test_split_for_graphs_without_one(mirror):
    data = node_classification_graph("photo")
    counts = torch.bincount(data.y[data.train_mask])
    assert counts.tolist() == [20] * 8
    assert not (data.train_mask & (data.val_mask | data.test_mask)).any()
    assert int(data.val_mask.sum()) == 500 and int(data.test_mask.sum()) == 1000
    same = ensure_node_split(data)
    assert torch.equal(same.train_mask, data.train_mask)
    rows = data.x.sum(dim=1)
    assert torch.allclose(rows[rows > 0], torch.ones_like(rows[rows > 0]), atol=1e-5)


def test_image_tar_is_extracted_once_into_cache(mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("TENFOLD_CACHE", str(tmp_path / "cache"))
    splits = load_dataset("flowers12")
    assert (len(splits["train"]), len(splits["test"])) == (720, 240)
    assert len(splits["train"].classes) == 12
    assert (tmp_path / "cache" / "images" / "flowers12" / "train").is_dir()


def test_mnist_and_pets_from_mirror(mirror):
    mnist = load_dataset("mnist")
    assert (len(mnist["train"]), len(mnist["test"])) == (60000, 10000)
    pets = load_dataset("pets09-s2l1")
    frame = next(pets.frames(0, 1))
    assert frame.shape == (576, 768, 3)
    gt = pets.load_boxes("gt")
    assert gt.shape[0] == 4650 and len(set(gt[:, 1].astype(int))) == 19


def test_generated_datasets_listed_from_source_equal_the_registered_ones():
    """The catalog lists the synthetic generators from their source (no torch); the list must
    be what importing the package registers, and a listed entry loads the generator's output."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import json, sys
        from tenfold.data import all_datasets
        listed = {n: s.description for n, s in all_datasets().items() if s.embedded}
        assert "torch" not in sys.modules, "listing the catalog imported torch"
        import tenfold.data.synthetic as synthetic
        registered = {n: s.description for n, s in all_datasets().items() if s.embedded}
        print(json.dumps({"listed": listed, "registered": registered,
                          "generators": sorted(synthetic.generators())}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json

    found = json.loads(proc.stdout)
    assert found["listed"] == found["registered"]
    assert set(found["generators"]) <= set(found["listed"])

    from tenfold.data.catalog import _generate

    lazy = _generate("synthetic-sbm")(None, False, seed=3)
    direct = generate("synthetic-sbm", seed=3)
    assert torch.equal(lazy.x, direct.x) and torch.equal(lazy.edge_index, direct.edge_index)
