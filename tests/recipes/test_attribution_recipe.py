"""The ``attribution`` recipe end to end (smoke preset) and its settings checks."""

from __future__ import annotations

import json

import pytest

from tenfold.errors import ConfigError
from tenfold.recipes.attribution import METHODS
from tenfold.runtime.launch import plan_run, start_run

pytest.importorskip("captum")


def test_smoke_run_scores_every_method(tmp_path):
    path = start_run("attribution", preset="smoke", out=tmp_path)
    summary = json.loads((path / "summary.json").read_text())
    assert summary["dataset"] == "distractor-digits"
    seed = summary["per_seed"]["0"]
    assert set(seed) == set(METHODS)
    for method, m in seed.items():
        assert 0.0 <= m["energy"] <= 1.0 and 0.0 <= m["pointing"] <= 1.0, method
        assert 0.0 <= m["deletion_auc"] <= 1.0 and 0.0 <= m["insertion_auc"] <= 1.0, method
        assert 0.0 <= m["classifier_acc"] <= 1.0
    assert seed["edge"]["sanity_spearman"] == pytest.approx(1.0)   # ignores the model
    assert "sanity_spearman" not in seed["random"]
    figures = {p.name for p in (path / "figures").iterdir()}
    assert {"maps-seed0.png", "curves-seed0.png"} <= figures


@pytest.mark.parametrize("override,match", [
    ("methods=gradient,lrp", "methods"),
    ("dataset=mnist", "dataset"),
    ("rule_batch_size=0", "rule_batch_size"),
    ("rule=lrp", "rule"),
    ("rule_hidden=0", "rule_hidden"),
    ("rule_lr=0", "rule_lr"),
])
def test_bad_settings_are_refused_before_running(override, match):
    with pytest.raises(ConfigError, match=match):
        plan_run("attribution", "smoke", None, None, [override])


def test_smoke_on_distractor_mnist_with_the_mlp_rule(mirror, monkeypatch, tmp_path):
    monkeypatch.setenv("TENFOLD_DATA", str(mirror))
    path = start_run("attribution", preset="smoke", dataset="distractor-mnist", out=tmp_path,
                     overrides=["methods=random,gradient,learned", "rule=mlp", "sanity=false",
                                "figures=false"])
    summary = json.loads((path / "summary.json").read_text())
    assert summary["dataset"] == "distractor-mnist" and summary["settings"]["rule"] == "mlp"
    seed = summary["per_seed"]["0"]
    assert set(seed) == {"random", "gradient", "learned"}
    assert all(0.0 <= m["energy"] <= 1.0 for m in seed.values())
