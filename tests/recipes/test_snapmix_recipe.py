"""The ``snapmix`` recipe end to end (smoke preset) and its pieces."""

from __future__ import annotations

import json

import pytest
import torch

from tenfold.augment import build_classifier, load_backbone
from tenfold.errors import ConfigError
from tenfold.recipes import snapmix as snapmix_recipe
from tenfold.recipes.snapmix import METHODS, SnapMixConfig, make_trainer, pretrained_state
from tenfold.runtime.launch import plan_run, start_run


def test_smoke_run_writes_a_full_summary(tmp_path):
    path = start_run("snapmix", preset="smoke", out=tmp_path)
    summary = json.loads((path / "summary.json").read_text())
    assert summary["dataset"] == "cluttered-digits"
    assert summary["methods"] == list(METHODS)
    seed = summary["per_seed"]["0"]
    for method in METHODS:
        m = seed[method]
        assert 0.0 <= m["test_acc"] <= m["best_test_acc"] <= 1.0
        assert 1 <= m["best_epoch"] <= 2
    for method in ("cutmix", "asym_cutmix", "snapmix", "snapmix_noboost"):
        assert 0.0 <= seed[method]["label_err"] <= 2.0
    assert seed["snapmix"]["label_err"] == seed["snapmix_noboost"]["label_err"]
    assert "label_err" not in seed["none"] and "label_err" not in seed["mixup"]
    assert set(summary["paired_vs_baseline"]) == set(METHODS) - {"none"}
    assert (path / "figures" / "mixes-seed0.png").exists()
    timings = json.loads((path / "timings.json").read_text())["0"]
    assert timings["snapmix"]["step_s"] > 0


def test_methods_are_paired_and_deterministic_per_seed():
    """Same seed: same initial weights and data order for every method; same numbers twice."""
    config = SnapMixConfig(epochs=1, train_size=64, test_size=64, widths=(4,), batch_size=32,
                           mix_prob=1.0)
    data = snapmix_recipe.load_images("cluttered-digits", 64, 64, 64)
    a = make_trainer("snapmix", config, data, torch.device("cpu"), seed=3)
    b = make_trainer("mixup", config, data, torch.device("cpu"), seed=3)
    for (name, p), q in zip(a.model.state_dict().items(), b.model.state_dict().values(),
                            strict=True):
        assert torch.equal(p, q), name
    assert a.run().metrics() == make_trainer("snapmix", config, data, torch.device("cpu"),
                                             seed=3).run().metrics()


def test_bad_config_is_refused():
    with pytest.raises(ConfigError, match="methods"):
        plan_run("snapmix", preset="smoke", overrides=["methods=none,fancymix"])
    with pytest.raises(ConfigError, match="mix_prob"):
        plan_run("snapmix", preset="smoke", overrides=["mix_prob=1.5"])


def test_pretraining_runs_once_and_fine_tuning_keeps_all_but_the_head(tmp_path, monkeypatch):
    monkeypatch.setenv("TENFOLD_CACHE", str(tmp_path))
    config = SnapMixConfig(dataset="cifar10", arch="small", widths=(4, 8),
                           pretrain_dataset="cluttered-digits", pretrain_epochs=1,
                           pretrain_size=64, pretrain_batch_size=32)
    state, acc = pretrained_state(config, torch.device("cpu"))
    assert 0.0 <= acc <= 1.0
    assert len(list((tmp_path / "snapmix").glob("pretrain-cluttered-digits-*.pt"))) == 1

    def no_training(*args, **kwargs):
        raise AssertionError("the cached weights must be reused")

    monkeypatch.setattr(snapmix_recipe, "make_trainer", no_training)
    again, acc_again = pretrained_state(config, torch.device("cpu"))
    assert acc_again == acc and all(torch.equal(state[k], again[k]) for k in state)

    torch.manual_seed(0)
    model = build_classifier("small", 7, in_channels=1, widths=(4, 8))
    head = model.fc.weight.detach().clone()
    load_backbone(model, state)
    for name, value in model.state_dict().items():
        if name.startswith("fc."):
            assert value.shape[0] == 7
        else:
            assert torch.equal(value, state[name]), name
    assert torch.equal(model.fc.weight, head)
    with pytest.raises(ValueError, match="do not fit"):
        load_backbone(model, {**state, "extra.weight": torch.zeros(1)})


def test_pretrain_config_is_checked():
    with pytest.raises(ConfigError, match="pretrain_dataset"):
        plan_run("snapmix", preset="smoke", overrides=["pretrain_dataset=cluttered-digits"])
    with pytest.raises(ConfigError, match="pretrain_dataset"):
        plan_run("snapmix", preset="smoke", overrides=["pretrain_dataset=imagenet"])
