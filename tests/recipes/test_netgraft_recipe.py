"""The ``netgraft`` recipe end to end on the embedded digits (smoke preset)."""

from __future__ import annotations

import json

import pytest
import torch

from tenfold.data import cache_root
from tenfold.errors import ConfigError
from tenfold.runtime.launch import plan_run, start_run


@pytest.fixture
def one_thread():
    # the shared CI machines are oversubscribed; one intra-op thread is ~10x faster there
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_smoke_run_summary_is_real_and_reproducible(tmp_path, one_thread):
    first = start_run("netgraft", preset="smoke", out=tmp_path / "a")
    summary = json.loads((first / "summary.json").read_text())
    assert summary["baseline"] == "kd_kl" and summary["primary_metric"] == "test_acc_n1"
    seed = summary["per_seed"]["0"]
    assert set(seed) == {"netgraft", "kd_kl", "kd_nmse", "kd_kl_noprefix", "ce_labels", "teacher"}
    ng = seed["netgraft"]
    # the few-shot teacher was trained and cached once
    assert len(list((cache_root() / "netgraft").glob("teacher-digits-*.pt"))) == 1
    assert seed["teacher"]["test_acc_n1"] > 0.5
    # every student got the same number of Adam steps (3 blocks x 4 + 2 x 4)
    assert {seed[m]["steps"] for m in seed if m != "teacher"} == {20.0}
    # stage-1 hybrids for grafted blocks 1..3, stage-2 for k = 2, 3
    assert {k for k in ng if k.startswith("hybrid")} == {
        "hybrid_block1_n1", "hybrid_block2_n1", "hybrid_block3_n1", "hybrid_net2_n1",
        "hybrid_net3_n1"}
    # the exported (merged) student computes the last stage-2 hybrid: same accuracy
    assert abs(ng["hybrid_net3_n1"] - ng["test_acc_n1"]) <= 2 / 360
    assert ng["params_ratio"] <= 0.40
    assert ng["macs"] < seed["teacher"]["macs"]
    assert all(0 <= seed[m]["test_acc_n1"] <= 1 for m in seed)   # fractions
    assert "test_acc_n1" in summary["paired_vs_baseline"]["netgraft"]
    assert list((first / "figures").glob("accuracy_vs_steps_seed0.png"))

    second = start_run("netgraft", preset="smoke", out=tmp_path / "b")
    again = json.loads((second / "summary.json").read_text())
    assert again["per_seed"] == summary["per_seed"]


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="include 1"):
        plan_run("netgraft", preset="smoke", overrides=["shots=5,10"])
    with pytest.raises(ConfigError, match="methods"):
        plan_run("netgraft", preset="smoke", overrides=["methods=fitnet"])
