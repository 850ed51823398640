"""The ``twp`` recipe end to end (smoke preset) through the runtime."""

import json

import pytest

from tenfold.errors import ConfigError
from tenfold.runtime.launch import plan_run, start_run


def test_twp_smoke_run(tmp_path):
    path = start_run("twp", preset="smoke", out=tmp_path)
    summary = json.loads((path / "summary.json").read_text())
    assert summary["methods"] == ["finetune", "ewc", "twp", "joint"]
    assert summary["baseline"] == "finetune" and summary["primary_metric"] == "ap"
    per_seed = summary["per_seed"]["0"]
    for method, m in per_seed.items():
        assert 0 <= m["ap"] <= 1, method
        assert m["af"] == pytest.approx(-m["bwt"])
        finals = [m[f"task{j}_acc"] for j in range(3)]
        assert m["ap"] == pytest.approx(sum(finals) / 3)
    assert "ap" in summary["paired_vs_baseline"]["twp"]
    assert (path / "figures" / "accuracy_matrix_seed0.png").is_file()
    assert (path / "figures" / "ap.png").is_file()


def test_twp_config_errors():
    with pytest.raises(ConfigError, match="methods"):
        plan_run("twp", preset="smoke", overrides=["methods=finetune,gem"])
    with pytest.raises(ConfigError, match="dataset"):
        plan_run("twp", preset="smoke", dataset="mutag")
    with pytest.raises(ConfigError, match="inter_task_edges=false"):
        plan_run("twp", preset="smoke", overrides=["task_subgraphs=true"])


def test_twp_task_subgraphs_smoke(tmp_path):
    path = start_run("twp", preset="smoke", out=tmp_path, overrides=[
        "inter_task_edges=false", "task_subgraphs=true", "methods=finetune,twp,joint"])
    per_seed = json.loads((path / "summary.json").read_text())["per_seed"]["0"]
    assert set(per_seed) == {"finetune", "twp", "joint"}
    assert all(0 <= m["ap"] <= 1 for m in per_seed.values())


@pytest.mark.parametrize("chosen", [None, 2])
def test_twp_cpu_threads_yield_to_an_explicit_choice(tmp_path, monkeypatch, chosen):
    """The smoke preset's ``cpu_threads=1`` holds during the run unless ``--threads`` was given,
    and the thread count is restored afterwards either way."""
    import torch

    from tenfold.recipes import twp
    from tenfold.runtime import device

    seen = []
    inner = twp._run
    monkeypatch.setattr(twp, "_run", lambda config, ctx: seen.append(torch.get_num_threads())
                        or inner(config, ctx))
    monkeypatch.setattr(device, "_chosen_threads", chosen)
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        start_run("twp", preset="smoke", out=tmp_path, overrides=["methods=finetune"])
        after = torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
    assert seen == [1 if chosen is None else 3]
    assert after == 3
