"""The ``tracking`` recipe end to end (smoke preset) on the synthetic crowd and PETS09-S2L1."""

from __future__ import annotations

import json

import pytest

from tenfold.errors import ConfigError
from tenfold.runtime.launch import plan_run, start_run


def test_smoke_synthetic(tmp_path):
    path = start_run("tracking", preset="smoke", out=tmp_path, device="cpu")
    summary = json.loads((path / "summary.json").read_text())
    agg = summary["aggregate"]
    assert summary["dataset"] == "synthetic-crowd"
    assert set(agg) == {"counting", "peaks_hungarian", "peaks_flow"}
    for method, metrics in agg.items():
        for n in (4, 8):
            assert -1.0 <= metrics[f"mota_n{n}"]["mean"] <= 1.0, method
        mean = (metrics["mota_n4"]["mean"] + metrics["mota_n8"]["mean"]) / 2
        assert metrics["mota"]["mean"] == pytest.approx(mean)
    # four sparse targets on a 16-cell grid: the counting tracker finds every one
    assert agg["counting"]["fn_n4"]["mean"] == 0
    assert agg["counting"]["mota_n8"]["mean"] >= agg["peaks_hungarian"]["mota_n8"]["mean"]
    tracks = (path / "tracks" / "counting-n4-seed0.txt").read_text().splitlines()
    c = agg["counting"]
    assert len(tracks) == 4 * 8 - c["fn_n4"]["mean"] + c["fp_n4"]["mean"]   # MOTChallenge lines
    figures = {p.name for p in (path / "figures").iterdir()}
    assert {"trajectories_seed0.png", "mota_idf1_vs_density_seed0.png",
            "solver_time_vs_frames_seed0.png"} <= figures


def test_smoke_pets(tmp_path, mirror):
    path = start_run("tracking", preset="smoke", dataset="pets09-s2l1", out=tmp_path,
                     device="cpu", overrides=["density_net_epochs=1"])
    agg = json.loads((path / "summary.json").read_text())["aggregate"]
    assert {"counting", "counting_net", "peaks_hungarian_net"} <= set(agg)
    # 30 frames of PETS with public detections: every tracker finds most people
    for method in ("counting", "peaks_hungarian", "peaks_flow"):
        assert agg[method]["mota"]["mean"] > 0.5, method
        assert 0 < agg[method]["hota"]["mean"] <= 1, method      # HOTA through TrackEval
    assert agg["counting_net"]["count_mae_test"]["mean"] >= 0
    records = [json.loads(line) for line in (path / "metrics.jsonl").read_text().splitlines()]
    assert any(r["method"] == "density-net" for r in records)


def test_smoke_tud_stadtmitte(tmp_path):
    """Real trajectories (motmetrics' TUD-Stadtmitte) rendered as density, first 30 frames."""
    path = start_run("tracking", preset="smoke", dataset="tud-stadtmitte", out=tmp_path,
                     device="cpu", overrides=["methods=counting,peaks_hungarian"])
    agg = json.loads((path / "summary.json").read_text())["aggregate"]
    assert set(agg) == {"counting", "peaks_hungarian"}
    assert agg["counting"]["mota"]["mean"] > 0.5
    lines = (path / "tracks" / "counting-tud-seed0.txt").read_text().splitlines()
    assert {int(line.split(",")[0]) for line in lines} <= set(range(1, 31))


def test_bad_config_is_refused():
    with pytest.raises(ConfigError, match="methods"):
        plan_run("tracking", preset="smoke", overrides=["methods=counting,kalman"])
    with pytest.raises(ConfigError, match="chunk_overlap"):
        plan_run("tracking", preset="smoke", overrides=["chunk_length=4", "chunk_overlap=4"])
    with pytest.raises(ConfigError, match="densities"):
        plan_run("tracking", preset="smoke", overrides=["densities=100"])
    with pytest.raises(ConfigError):
        plan_run("tracking", preset="smoke", overrides=["time_limit=0"])
    with pytest.raises(ConfigError):
        plan_run("tracking", preset="smoke", overrides=["dataset=mot17"])
