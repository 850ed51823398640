"""The ``spagan`` recipe end to end on its embedded default (smoke preset)."""

from __future__ import annotations

import json

import pytest

from tenfold.errors import ConfigError
from tenfold.runtime.launch import plan_run, start_run


def test_smoke_run_writes_paired_summary(tmp_path):
    path = start_run("spagan", preset="smoke", out=tmp_path, device="cpu")
    summary = json.loads((path / "summary.json").read_text())
    agg = summary["aggregate"]
    assert summary["dataset"] == "synthetic-two-hop"
    assert set(agg) == {"gat", "gcn", "spagan", "spagan_iter", "spagan_1hop"}
    for method, metrics in agg.items():
        assert 0.0 <= metrics["test_acc"]["mean"] <= 1.0, method
        assert metrics["epochs_run"]["mean"] == 5, method
    # paths: every node has its self path at each length; targets have 4 connectors
    assert agg["spagan"]["paths_per_node_2hop"]["mean"] >= 1.0
    assert agg["spagan"]["paths_per_node_1hop"]["mean"] > 2.0
    assert "paths_per_node_2hop" not in agg["spagan_1hop"]
    # regeneration every 2 epochs within 5 epochs: before epochs 2 and 4
    assert agg["spagan_iter"]["regenerations"]["mean"] == 2
    assert agg["spagan"]["regenerations"]["mean"] == 0
    timings = json.loads((path / "timings.json").read_text())
    assert timings["0"]["spagan"]["paths_s"] > 0


def test_bad_config_is_refused():
    with pytest.raises(ConfigError, match="methods"):
        plan_run("spagan", preset="smoke", overrides=["methods=gat,transformer"])
    with pytest.raises(ConfigError, match="num_layers"):
        plan_run("spagan", preset="smoke", overrides=["num_layers=3"])
    with pytest.raises(ConfigError, match="monitor"):
        plan_run("spagan", preset="smoke", overrides=["monitor=test_acc"])


def test_monitor_setting_reaches_every_trainer(tmp_path, monkeypatch):
    from tenfold.graph import spagan_train

    seen = []
    original = spagan_train.WarmupTrainer.__init__

    def recording_init(self, *args, **kwargs):
        seen.append((type(self).__name__, kwargs.get("monitor")))
        original(self, *args, **kwargs)

    monkeypatch.setattr(spagan_train.WarmupTrainer, "__init__", recording_init)
    start_run("spagan", preset="smoke", out=tmp_path, device="cpu",
              overrides=["monitor=val_acc", "methods=gat,gcn,spagan"])
    assert {name for name, _ in seen} == {"WarmupTrainer", "SPAGANTrainer"}
    assert {monitor for _, monitor in seen} == {"val_acc"}
