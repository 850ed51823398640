"""The ``factorgcn`` recipe end to end (smoke preset) and its configuration checks."""

from __future__ import annotations

import json

import pytest

from tenfold.errors import ConfigError
from tenfold.runtime.launch import plan_run, start_run


def test_smoke_synthetic(tmp_path):
    run_dir = start_run("factorgcn", preset="smoke", out=tmp_path)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["dataset"] == "synthetic-factor-graphs"
    agg = summary["aggregate"]
    for method in ("factorgcn", "factorgcn-nodis", "gcn", "gat", "mlp"):
        assert 0.0 <= agg[method]["test_f1"]["mean"] <= 1.0
        assert agg[method]["test_score"]["mean"] == agg[method]["test_f1"]["mean"]
    # disentanglement is scored for the factor models, GAT's heads and the references only
    for method in ("factorgcn", "factorgcn-nodis", "gat", "factorgcn-untrained", "random-weights"):
        assert 0.0 < agg[method]["ged_e"]["mean"] < 30.0
        assert 0.25 <= agg[method]["c_score"]["mean"] <= 1.0
    assert "ged_e" not in agg["gcn"] and "ged_e" not in agg["mlp"]
    assert "factorgcn" in summary["paired_vs_baseline"]
    assert (run_dir / "figures" / "factor_graphs_seed0.png").stat().st_size > 1000
    # the same seed gives the same numbers
    again = start_run("factorgcn", preset="smoke", out=tmp_path,
                      overrides=["methods=factorgcn"])
    again_agg = json.loads((again / "summary.json").read_text())["aggregate"]
    assert again_agg["factorgcn"]["test_f1"] == agg["factorgcn"]["test_f1"]
    assert again_agg["factorgcn"]["ged_e"] == agg["factorgcn"]["ged_e"]


def test_smoke_mutag(tmp_path, mirror):
    run_dir = start_run("factorgcn", preset="smoke", dataset="mutag", out=tmp_path,
                        overrides=["methods=factorgcn,gin"])
    summary = json.loads((run_dir / "summary.json").read_text())
    for method in ("factorgcn", "gin"):
        m = summary["aggregate"][method]
        assert 0.0 <= m["test_acc"]["mean"] <= 1.0 and 0.0 <= m["official_acc"]["mean"] <= 1.0
        assert m["test_score"] == m["test_acc"]
        # accuracies on one 45-graph fold are multiples of 1/45
        assert abs(m["test_acc"]["mean"] * 45 - round(m["test_acc"]["mean"] * 45)) < 1e-4


def test_config_errors():
    with pytest.raises(ConfigError, match="do not run on"):
        plan_run("factorgcn", preset="smoke", overrides=["methods=gin"])
    with pytest.raises(ConfigError, match="epochs"):
        plan_run("factorgcn", preset="smoke", overrides=["epochs=0"])
    with pytest.raises(ConfigError, match="hidden"):
        plan_run("factorgcn", preset="smoke", overrides=["hidden=30"])


def test_graph_batcher_equals_pyg_dataloader():
    """The recipe's fast batcher yields PyG DataLoader's batches, in its shuffled order."""
    import torch
    from torch_geometric.loader import DataLoader

    from tenfold.data.synthetic.factor_graphs import synthetic_factor_graphs
    from tenfold.graph.batching import GraphBatcher

    data = synthetic_factor_graphs(num_graphs=130, seed=4)[:121]
    for shuffle, drop_last in ((True, False), (False, False), (True, True)):
        g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
        pyg = DataLoader(data, batch_size=20, shuffle=shuffle, generator=g1, drop_last=drop_last)
        ours = GraphBatcher(data, batch_size=20, shuffle=shuffle, generator=g2,
                            drop_last=drop_last)
        assert len(ours) == len(pyg) == (6 if drop_last else 7)
        for _ in range(2):
            for a, b in zip(pyg, ours, strict=True):
                for key in ("x", "edge_index", "y", "gt_edge_factor", "batch", "ptr"):
                    assert torch.equal(a[key], b[key]), key
                assert a.num_graphs == b.num_graphs


def test_materialize_applies_the_transform_once():
    """TU graphs are transformed once; slicing the collated copy gives the transformed graphs."""
    import torch
    from torch_geometric import transforms as T
    from torch_geometric.loader import DataLoader

    from tenfold.data.synthetic.factor_graphs import synthetic_factor_graphs
    from tenfold.graph.batching import GraphBatcher, materialize

    data = synthetic_factor_graphs(num_graphs=40, seed=1)
    data.transform = T.Compose([T.OneHotDegree(30), T.AddSelfLoops()])
    flat = materialize(data)
    assert flat.transform is None and len(flat) == len(data)
    subset = torch.tensor([5, 0, 17, 33, 2])
    pyg = next(iter(DataLoader(data[subset], batch_size=5)))
    ours = GraphBatcher(flat[subset], batch_size=5, keys=("x", "edge_index", "y")).batch(
        torch.arange(5))
    assert ours.x.size(1) == 15 + 31   # the generator's features + one-hot degree
    for key in ("x", "edge_index", "y", "batch", "ptr"):
        assert torch.equal(pyg[key], ours[key]), key
