"""``tenfold.results``: a run read from Python agrees with its files; damaged files are named."""

from __future__ import annotations

import csv
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from tenfold.errors import TenfoldError
from tenfold.results import COLUMNS, load_run
from tenfold.runtime.launch import start_run

DOCS = Path(__file__).resolve().parents[1] / "docs" / "results.md"


@pytest.fixture(scope="module")
def run_path(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    return start_run("gnn-baselines", preset="smoke", seeds=[0, 1], out=out, device="cpu",
                     overrides=["methods=mlp,gcn", "epochs=5"])


def read(path: Path):
    return json.loads(path.read_text())


def test_run_holds_config_seeds_curves_and_summary(run_path):
    run = load_run(run_path)
    summary = read(run_path / "summary.json")
    assert run.config == read(run_path / "config.json")
    assert run.summary == summary and run.finished
    assert run.recipe == "gnn-baselines" and run.seeds == [0, 1]
    assert run.methods == summary["methods"] == ["mlp", "gcn"]
    assert {str(s): m for s, m in run.per_seed.items()} == summary["per_seed"]
    lines = [json.loads(x) for x in (run_path / "metrics.jsonl").read_text().splitlines()]
    assert run.curves == lines and len(lines) == 2 * 2 * 5  # seeds × methods × epochs
    assert sorted(run.timings) == ["0", "1"]


def test_frame_shape_and_values_match_the_summary(run_path):
    frame = load_run(run_path).to_frame()
    summary = read(run_path / "summary.json")
    expected_rows = sum(len(metrics) for by_method in summary["per_seed"].values()
                        for metrics in by_method.values())
    assert list(frame.columns) == list(COLUMNS) and frame.shape == (expected_rows, 4)
    stats = frame.groupby(["method", "metric"]).value.agg(["mean", "std", "count"])
    assert len(stats) == sum(len(m) for m in summary["aggregate"].values())
    for method, metrics in summary["aggregate"].items():
        for metric, agg in metrics.items():
            row = stats.loc[(method, metric)]
            assert row["count"] == agg["n"] == 2
            assert row["mean"] == pytest.approx(agg["mean"], rel=1e-12, abs=1e-12)
            assert row["std"] == pytest.approx(agg["std"], rel=1e-9, abs=1e-12)
    gcn0 = frame[(frame.seed == 0) & (frame.method == "gcn") & (frame.metric == "test_acc")]
    assert gcn0.value.item() == summary["per_seed"]["0"]["gcn"]["test_acc"]


def test_curves_frame_matches_the_logged_records(run_path):
    curves = load_run(run_path).curves_frame()
    lines = [json.loads(x) for x in (run_path / "metrics.jsonl").read_text().splitlines()]
    logged = sum(len(r) - 3 for r in lines)  # every key but seed, method, step
    assert len(curves) == logged
    rec = lines[-1]
    key = next(k for k in rec if k not in {"seed", "method", "step"})
    hit = curves[(curves.seed == rec["seed"]) & (curves.method == rec["method"])
                 & (curves.step == rec["step"]) & (curves.metric == key)]
    assert hit.value.item() == rec[key]


def test_csv_without_pandas_reads_back_exactly(run_path, tmp_path, monkeypatch):
    run = load_run(run_path)
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
    with pytest.raises(ImportError, match=r"tenfold\[results\]"):
        run.to_frame()
    path = run.to_csv(tmp_path / "run.csv")
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == COLUMNS
    back = [(int(s), m, k, float(v)) for s, m, k, v in rows[1:]]
    assert back == run.rows()
    summary = read(run_path / "summary.json")
    for seed, method, metric, value in back:
        assert value == summary["per_seed"][str(seed)][method][metric]


def test_unfinished_run_has_its_finished_seeds(run_path, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run_path, copy)
    (copy / "summary.json").unlink()
    (copy / "seeds" / "seed-1.json").unlink()
    run = load_run(copy)
    assert not run.finished and run.summary is None and run.seeds == [0]
    assert set(run.to_frame().seed) == {0}


@pytest.mark.parametrize("name, damage, message", [
    ("summary.json", "{", r"summary\.json is damaged"),
    ("summary.json", "[]", r"summary\.json is damaged \(not a run summary\)"),
    ("seeds/seed-1.json", '{"metrics": [1, 2]}', r"seed-1\.json is damaged"),
    ("seeds/seed-0.json", '{"metrics": {"mlp": 3}}', r"seed-0\.json is damaged"),
    ("timings.json", "not json", r"timings\.json is damaged"),
    ("config.json", "{", r"config\.json is damaged"),
    ("config.json", None, r"not a run directory \(no config\.json"),
])
def test_damaged_or_missing_files_are_named(run_path, tmp_path, name, damage, message):
    copy = tmp_path / "copy"
    shutil.copytree(run_path, copy)
    if damage is None:
        (copy / name).unlink()
    else:
        (copy / name).write_text(damage)
    with pytest.raises(TenfoldError, match=message):
        load_run(copy)


def test_not_a_folder(tmp_path):
    with pytest.raises(TenfoldError, match="no such folder"):
        load_run(tmp_path / "nothing")


def test_the_three_line_analysis_of_the_docs_runs(run_path):
    """docs/results.md: the first Python block, on this run, gives the summary's means."""
    code = re.search(r"```python\n(.*?)```", DOCS.read_text(), re.S).group(1)
    code = re.sub(r'"runs/[^"]+"', repr(str(run_path)), code, count=1)
    *body, last = [line for line in code.strip().splitlines() if line.strip()]
    assert len(body) + 1 == 3
    namespace: dict = {}
    exec("\n".join(body), namespace)
    table = eval(last, namespace)
    summary = read(run_path / "summary.json")
    for method in summary["methods"]:
        agg = summary["aggregate"][method][summary["primary_metric"]]
        assert table.loc[method, "mean"] == pytest.approx(agg["mean"])
        assert table.loc[method, "std"] == pytest.approx(agg["std"])
