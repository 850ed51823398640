"""The ``dfad`` recipe end to end on its smoke preset (embedded digits, no download)."""

from __future__ import annotations

import json

import pytest

from tenfold.errors import ConfigError
from tenfold.runtime.launch import plan_run, start_run


def test_dfad_smoke(tmp_path):
    path = start_run("dfad", preset="smoke", out=tmp_path)
    summary = json.loads((path / "summary.json").read_text())
    per_seed = summary["per_seed"]["0"]
    assert set(per_seed) == {"teacher", "two-stage-k5", "one-stage-k5", "random-noise-k5"}
    # the teacher really learned the digits (10 classes: chance is 0.1)
    assert per_seed["teacher"]["test_acc"] > 0.5
    for name in ("two-stage-k5", "one-stage-k5", "random-noise-k5"):
        acc = per_seed[name]["test_acc"]
        assert 0.0 <= acc <= 1.0
        assert per_seed[name]["best_test_acc"] >= acc
    assert "one-stage-k5" in summary["paired_vs_baseline"]
    records = [json.loads(line) for line in (path / "metrics.jsonl").read_text().splitlines()]
    assert {r["step"] for r in records if "train_s" in r} == {2, 4}
    assert [r["test_acc"] for r in records if r["method"] == "teacher"] == \
        [per_seed["teacher"]["test_acc"]]
    timings = json.loads((path / "timings.json").read_text())["0"]
    assert timings["one-stage-k5"]["ms_per_iter_median"] > 0
    assert (path / "figures" / "acc-vs-time-seed0.png").exists()


def test_dfad_bad_config():
    with pytest.raises(ConfigError, match="student_steps"):
        plan_run("dfad", preset="smoke", overrides=["student_steps=0"])


def test_dfad_teacher_checkpoint_is_saved_then_loaded(tmp_path):
    ckpt = tmp_path / "teacher-{seed}.pt"
    overrides = [f"teacher_checkpoint={ckpt}", "modes=one-stage", "noise_floor=false"]
    first = start_run("dfad", preset="smoke", out=tmp_path / "a", overrides=overrides)
    assert (tmp_path / "teacher-0.pt").exists()
    # a different number of teacher epochs would train another teacher: loading ignores it
    second = start_run("dfad", preset="smoke", out=tmp_path / "b",
                       overrides=overrides + ["teacher_epochs=1"])
    acc = [json.loads((p / "summary.json").read_text())["per_seed"]["0"]["teacher"]["test_acc"]
           for p in (first, second)]
    assert acc[0] == acc[1]
    assert "teacher" in json.loads((first / "timings.json").read_text())["0"]
    assert "teacher" not in json.loads((second / "timings.json").read_text())["0"]


def test_dfad_teacher_is_cached_by_its_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("TENFOLD_CACHE", str(tmp_path / "cache"))
    overrides = ["modes=one-stage", "noise_floor=false"]

    def run(name, extra=()):
        path = start_run("dfad", preset="smoke", out=tmp_path / name,
                         overrides=overrides + list(extra))
        summary = json.loads((path / "summary.json").read_text())["per_seed"]["0"]
        timed = "teacher" in json.loads((path / "timings.json").read_text())["0"]
        return summary, timed

    first, trained_first = run("a")
    again, trained_again = run("b")
    other, trained_other = run("c", ["teacher_epochs=1"])
    assert trained_first and not trained_again and trained_other
    assert len(list((tmp_path / "cache" / "dfad").glob("teacher-digits-*.pt"))) == 2
    # loading the cached teacher changes nothing downstream: the students are bit-identical
    assert again == first
    assert other["teacher"]["test_acc"] != first["teacher"]["test_acc"]
