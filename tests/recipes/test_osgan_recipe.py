"""The ``osgan`` recipe end to end on its smoke preset (embedded digits, no download)."""

from __future__ import annotations

import json

import pytest

from tenfold.errors import ConfigError
from tenfold.runtime.launch import plan_run, start_run


def test_osgan_smoke(tmp_path):
    path = start_run("osgan", preset="smoke", out=tmp_path)
    summary = json.loads((path / "summary.json").read_text())
    methods = set(summary["methods"])
    assert {"two-stage-nonsaturating", "one-stage-nonsaturating", "real-data"} <= methods
    per_seed = summary["per_seed"]["0"]
    for method in ("two-stage-nonsaturating", "one-stage-nonsaturating", "real-data"):
        fd = per_seed[method]["fd_cls"]
        assert fd == fd and fd >= -1e-6          # a finite, non-negative distance
        assert 1 <= per_seed[method]["covered"] <= 10
    # real images are far closer to the test split than a barely trained generator
    assert per_seed["real-data"]["fd_cls"] < per_seed["one-stage-nonsaturating"]["fd_cls"]
    assert per_seed["real-data"]["fd_cls"] < per_seed["two-stage-nonsaturating"]["fd_cls"]
    # the two arms trained differently (identical numbers would mean one arm was copied)
    assert per_seed["one-stage-nonsaturating"]["fd_cls"] != \
        per_seed["two-stage-nonsaturating"]["fd_cls"]
    assert per_seed["one-stage-nonsaturating"]["fallback_frac"] == 0.0
    timings = json.loads((path / "timings.json").read_text())["0"]
    assert timings["one-stage-nonsaturating"]["speedup_vs_two_stage"] > 0
    figures = {p.name for p in (path / "figures").iterdir()}
    assert "fd-vs-time-nonsaturating-seed0.png" in figures
    assert "samples-one-stage-nonsaturating-seed0.png" in figures
    records = [json.loads(line) for line in (path / "metrics.jsonl").read_text().splitlines()]
    assert {r["method"] for r in records} == {"two-stage-nonsaturating", "one-stage-nonsaturating"}


def test_osgan_bad_config():
    with pytest.raises(ConfigError, match="losses"):
        plan_run("osgan", preset="smoke", overrides=["losses=softmax"])
