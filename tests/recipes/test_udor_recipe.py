"""The ``udor`` recipe end to end on its embedded default (smoke preset), and its config checks."""

from __future__ import annotations

import json

import pytest

from tenfold.errors import ConfigError
from tenfold.runtime.launch import plan_run, start_run

METRICS = {"rec_mae", "visual_error", "do_nothing_error", "empty_canvas_error", "visual_ratio",
           "modularity",
           "matchings_agree", "macro_f1", "micro_f1", "macro_precision", "macro_recall",
           "micro_precision", "micro_recall"}


def test_smoke_run_scores_every_method(tmp_path):
    path = start_run("udor", preset="smoke", out=tmp_path, device="cpu")
    summary = json.loads((path / "summary.json").read_text())
    agg = summary["aggregate"]
    assert summary["dataset"] == "digits"
    assert set(agg) == {"udor", "udor-marginal", "ae", "s-ae"}
    nothing = {m["do_nothing_error"]["mean"] for m in agg.values()}
    assert len(nothing) == 1 and nothing.pop() > 0          # one test set for every method
    for method, scores in agg.items():
        assert set(scores) == METRICS, method
        for name in ("macro_f1", "micro_f1", "macro_precision", "micro_recall"):
            assert 0.0 <= scores[name]["mean"] <= 1.0, (method, name)
        assert 0 < scores["visual_error"]["mean"] <= 255
        assert scores["visual_ratio"]["mean"] == pytest.approx(
            scores["visual_error"]["mean"] / scores["do_nothing_error"]["mean"], rel=1e-6)
    figures = {p.name for p in (path / "figures").iterdir()}
    assert {"removal-udor-seed0.png", "swap-s-ae-seed0.png", "metrics-seed0.png"} <= figures
    steps = [json.loads(line) for line in (path / "metrics.jsonl").read_text().splitlines()]
    assert {r["method"] for r in steps} == {"udor", "udor-marginal", "ae", "s-ae"}
    assert {"rep", "zero", "cls", "gan"} <= set(next(r for r in steps if r["method"] == "udor"))


def test_bad_config_is_refused():
    with pytest.raises(ConfigError, match="methods"):
        plan_run("udor", preset="smoke", overrides=["methods=udor,monet"])
    with pytest.raises(ConfigError, match="classes"):
        plan_run("udor", preset="smoke", overrides=["classes=1,1"])
    with pytest.raises(ConfigError, match="max_offset"):
        plan_run("udor", preset="smoke", overrides=["slots=offset", "max_offset=0"])
    with pytest.raises(ConfigError):
        plan_run("udor", preset="smoke", overrides=["slots=grid"])
    # declared rules (one error naming the setting) and the one cross-field check
    for override, name in [("classes=0,1,2,3,4", "classes"), ("classes=0,12", "classes"),
                           ("num_test=5", "num_test"), ("group_size=1", "group_size"),
                           ("object_size=20", "object_size"), ("dataset=cifar10", "dataset"),
                           ("iters=0", "iters"), ("lr=nan", "lr"), ("max_offset=-1",
                                                                      "max_offset"),
                           ("output=tanh", "output"), ("cls_warmup=0", "cls_warmup")]:
        with pytest.raises(ConfigError, match=name):
            plan_run("udor", preset="smoke", overrides=[override])


def test_mnist_pools_from_the_mirror(mirror, monkeypatch):
    monkeypatch.setenv("TENFOLD_DATA", str(mirror))
    from tenfold.recipes.udor import digit_pools

    pools = digit_pools("mnist", (0, 1, 2), 14)
    # MNIST's class counts (train / test) for digits 0, 1, 2
    assert [len(p) for p in pools["train"]] == [5923, 6742, 5958]
    assert [len(p) for p in pools["test"]] == [980, 1135, 1032]
    assert pools["test"][1].shape[1:] == (14, 14)
    assert 0 <= float(pools["test"][0].min()) and float(pools["test"][0].max()) <= 1


def test_smoke_on_multi_mnist_offset(mirror, monkeypatch, tmp_path):
    monkeypatch.setenv("TENFOLD_DATA", str(mirror))
    path = start_run("udor", preset="smoke", dataset="mnist", out=tmp_path, device="cpu",
                     overrides=["slots=offset", "methods=udor,s-ae"])
    summary = json.loads((path / "summary.json").read_text())
    assert summary["dataset"] == "mnist" and summary["settings"]["slots"] == "offset"
    assert set(summary["aggregate"]) == {"udor", "s-ae"}
    assert summary["aggregate"]["udor"]["do_nothing_error"]["mean"] > 0


def test_warmup_method_and_bounded_output_reach_the_training(tmp_path):
    """``udor-nogan-warmup`` differs from ``udor-nogan`` only by the warm-up (same seed, same
    batches), so its scores differ; ``output=sigmoid`` changes the decoder of every method."""
    def scores(name, overrides):
        path = start_run("udor", preset="smoke", out=tmp_path / name, device="cpu",
                         overrides=["figure_images=0", *overrides])
        return json.loads((path / "summary.json").read_text())["per_seed"]["0"]

    warm = scores("warm", ["methods=udor-nogan,udor-nogan-warmup,ae", "cls_warmup=2"])
    assert warm["udor-nogan"]["rec_mae"] != warm["udor-nogan-warmup"]["rec_mae"]
    bounded = scores("sigmoid", ["methods=ae", "output=sigmoid"])
    assert bounded["ae"]["rec_mae"] != warm["ae"]["rec_mae"]
