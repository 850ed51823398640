"""The ``attribution`` recipe end to end (smoke preset) and its settings checks."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tenfold.data import load_dataset
from tenfold.data.synthetic.cluttered_digits import sklearn_digit_splits
from tenfold.data.synthetic.distractor_digits import VALIDATION_STREAM, render_distractor_digits
from tenfold.data.synthetic.distractor_mnist import mnist_digit_sources
from tenfold.errors import ConfigError
from tenfold.recipes.attribution import (
    DATA_SEED,
    METHODS,
    AttributionConfig,
    load_digits_data,
)
from tenfold.runtime.launch import plan_run, start_run

LAYOUT = (32, 12, 4, 6, 0.05, 5)    # canvas, digit, fragments, fragment size, noise, classes

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
    ("mask_smoothing=4", "mask_smoothing"),
    ("mask_smoothing=-1", "mask_smoothing"),
    ("contrast_weight=-1", "contrast_weight"),
    ("eval_split=train", "eval_split"),
    ("rule_init=lrp", "rule_init"),
])
def test_bad_settings_are_refused_before_running(override, match):
    with pytest.raises(ConfigError, match=match):
        plan_run("attribution", "smoke", None, None, [override])


def test_cross_field_settings_are_refused_before_running():
    with pytest.raises(ConfigError, match="eval_split"):
        plan_run("attribution", "smoke", "cluttered-digits", None, ["eval_split=val"])
    with pytest.raises(ConfigError, match="rule_init"):
        plan_run("attribution", "smoke", None, None, ["rule=mlp", "rule_init=guided"])


def _distance_to_nearest(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.cdist(a.flatten(1), b.flatten(1)).amin(1)


def test_validation_canvases_come_from_the_training_digits_and_are_not_test_images():
    # the generator's first draws are the source split: re-drawing it and rendering canvases
    # from its "train" digits on the validation stream gives the generator's "val" split, so the
    # validation canvases are built from the training digits only (no test digit enters them)
    rng = np.random.default_rng(DATA_SEED)
    sources = sklearn_digit_splits(1 / 3, rng)
    data = load_dataset("distractor-digits", num_train=40, num_test=100, num_val=60,
                        seed=DATA_SEED)
    again = render_distractor_digits(*sources["train"], 60, *LAYOUT,
                                     rng=np.random.default_rng(DATA_SEED + VALIDATION_STREAM))
    val = data["val"]
    assert torch.equal(again.images, val.images)
    assert val.images.shape == (60, 1, 32, 32) and set(val.labels.tolist()) <= set(range(5))
    # asking for validation canvases changes neither the training nor the test canvases
    plain = load_dataset("distractor-digits", num_train=40, num_test=100, seed=DATA_SEED)
    assert "val" not in plain
    assert torch.equal(plain["train"].images, data["train"].images)
    assert torch.equal(plain["test"].images, data["test"].images)
    assert (_distance_to_nearest(val.images, data["test"].images) > 1.0).all()
    assert (_distance_to_nearest(val.images, data["train"].images) > 1.0).all()
    with pytest.raises(ValueError, match="num_val"):
        load_dataset("distractor-digits", num_train=4, num_test=4, num_val=-1)


def test_eval_split_val_scores_the_validation_canvases():
    config = AttributionConfig(eval_split="val", train_size=40, eval_size=30)
    train, test, scored = load_digits_data(config)
    data = load_dataset("distractor-digits", num_train=40, num_test=30, num_val=30,
                        seed=DATA_SEED)
    assert torch.equal(scored.images, data["val"].images)
    assert torch.equal(test.images, data["test"].images)
    _, _, scored_test = load_digits_data(AttributionConfig(train_size=40, eval_size=30))
    assert torch.equal(scored_test.images, test.images)


def test_validation_canvases_of_distractor_mnist(mirror, monkeypatch):
    monkeypatch.setenv("TENFOLD_DATA", str(mirror))
    rng = np.random.default_rng(DATA_SEED)
    pools = mnist_digit_sources(6000, rng)
    data = load_dataset("distractor-mnist", num_train=10, num_test=20, num_val=20,
                        seed=DATA_SEED)
    again = render_distractor_digits(*pools["train"], 20, *LAYOUT,
                                     rng=np.random.default_rng(DATA_SEED + VALIDATION_STREAM))
    assert torch.equal(again.images, data["val"].images)
    assert (_distance_to_nearest(data["val"].images, data["test"].images) > 1.0).all()


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
