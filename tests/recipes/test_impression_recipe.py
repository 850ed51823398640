"""The ``impression`` recipe end to end on its embedded default (smoke preset), and its config
checks."""

from __future__ import annotations

import json

import pytest
import torch.nn.functional as F

from tenfold.data.tensor_images import image_tensors
from tenfold.errors import ConfigError
from tenfold.impression import loo_1nn_accuracy
from tenfold.runtime.launch import plan_run, start_run


def test_smoke_run_scores_all_four_experiments(tmp_path):
    path = start_run("impression", preset="smoke", out=tmp_path, device="cpu")
    summary = json.loads((path / "summary.json").read_text())
    agg = {m: {k: v["mean"] for k, v in s.items()} for m, s in summary["aggregate"].items()}
    assert summary["dataset"] == "digits"
    views = {f"impression-{v}" for v in ("raw", "mean", "logstd", "balanced", "last",
                                         "selected")}
    assert {"impression", "deepinversion", "noise", "real", "penultimate", "penultimate-z",
            "pixels", "ce-only", "mean-image", "same-class", "impression-first1"} | views \
        == set(agg)
    # the selected view's test score is the score of the view it names
    order = ["impression", "impression-raw", "impression-mean", "impression-logstd",
             "impression-balanced", "impression-last"]
    chosen = order[int(agg["impression-selected"]["selected_view"])]
    assert agg["impression-selected"]["retrieval_1nn"] == agg[chosen]["retrieval_1nn"]
    for method in ("impression", "deepinversion", "noise", "real"):
        assert 0.0 <= agg[method]["student_acc"] <= 1.0
    for method in ("impression", "penultimate", "pixels", *views):
        assert 0.0 <= agg[method]["retrieval_1nn"] <= 1.0
    # raw-pixel retrieval against an independent computation on the first 40 test digits
    x, y = image_tensors("digits")["test"]
    x = F.interpolate(x[:40], size=(16, 16), mode="bilinear", align_corners=False).clamp(0, 1)
    assert agg["pixels"]["retrieval_1nn"] == pytest.approx(loo_1nn_accuracy(x.flatten(1), y[:40]))
    # decoding lowered the impression loss from its noise start, for every variant
    for method in ("impression", "impression-first1"):
        assert agg[method]["recon_loss"] < agg[method]["recon_loss_start"]
    for method in ("impression", "ce-only"):
        assert 0.0 <= agg[method]["translate_verifier"] <= 1.0
        assert -1.0 <= agg[method]["translate_ssim"] <= 1.0
    assert agg["noise"]["template_agrees"] <= 1.0
    figures = {p.name for p in (path / "figures").iterdir()}
    assert {"reconstruction-seed0.png", "translation-seed0.png", "synthesis-seed0.png",
            "student_acc.png"} <= figures        # the last: the runtime's bars of student_acc


def test_bad_config_is_refused():
    with pytest.raises(ConfigError, match="translate_pairs"):
        plan_run("impression", preset="smoke", overrides=["translate_pairs=1-1"])
    with pytest.raises(ConfigError, match="ablation_layers"):
        plan_run("impression", preset="smoke", overrides=["ablation_layers=0"])
    with pytest.raises(ConfigError, match="synth_steps"):
        plan_run("impression", preset="smoke", overrides=["synth_steps=0"])
    with pytest.raises(ConfigError, match="decode_lr"):
        plan_run("impression", preset="smoke", overrides=["decode_lr=nan"])
    with pytest.raises(ConfigError, match="dataset"):
        plan_run("impression", preset="smoke", overrides=["dataset=mnist"])
    for bad in ("experiments=retrieval,bogus", "experiments=", "image_size=4",
                "retrieval_images=1", "ce_lr_scales=0", "recon_steps=0", "tv=-1",
                "template_widths=16,0"):
        with pytest.raises(ConfigError, match=bad.split("=")[0]):
            plan_run("impression", preset="smoke", overrides=[bad])
