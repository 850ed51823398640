"""End to end through the runtime: run dirs, summaries, determinism, figures and the report."""

import json
import statistics

import pytest

from tenfold.errors import ConfigError, DataNotFoundError
from tenfold.runtime.launch import plan_run, resume_run, start_run
from tenfold.runtime.report import write_report

ARGS = dict(preset="smoke", seeds=[0, 1], overrides=["methods=mlp,gcn", "epochs=15"])


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    return start_run("gnn-baselines", out=out, **ARGS), out


def test_run_directory_layout(finished):
    path, _ = finished
    for name in ("config.json", "metrics.jsonl", "summary.json", "timings.json",
                 "seeds/seed-0.json", "seeds/seed-1.json", "figures/test_acc.png",
                 "figures/curves.png"):
        assert (path / name).is_file(), name
    config = json.loads((path / "config.json").read_text())
    assert config["recipe"] == "gnn-baselines" and config["seeds"] == [0, 1]
    assert config["settings"]["epochs"] == 15


def test_summary_aggregates_per_seed_values(finished):
    summary = json.loads((finished[0] / "summary.json").read_text())
    for method in ("mlp", "gcn"):
        values = [summary["per_seed"][s][method]["test_acc"] for s in ("0", "1")]
        agg = summary["aggregate"][method]["test_acc"]
        assert agg["mean"] == pytest.approx(statistics.mean(values))
        assert agg["std"] == pytest.approx(statistics.stdev(values))
    diff = summary["paired_vs_baseline"]["gcn"]["test_acc"]
    per_seed = summary["per_seed"]
    expected = [per_seed[s]["gcn"]["test_acc"] - per_seed[s]["mlp"]["test_acc"] for s in ("0", "1")]
    assert diff["mean"] == pytest.approx(statistics.mean(expected))


def test_same_seed_gives_identical_summary(finished, tmp_path):
    again = start_run("gnn-baselines", out=tmp_path, **ARGS)
    assert (again / "summary.json").read_bytes() == (finished[0] / "summary.json").read_bytes()


def test_finished_run_is_not_overwritten(finished):
    path, _ = finished
    before = (path / "summary.json").read_bytes()
    assert resume_run(path) == path
    assert (path / "summary.json").read_bytes() == before


def test_report_has_table_paired_difference_and_figures(finished, tmp_path):
    path, _ = finished
    summary = json.loads((path / "summary.json").read_text())
    report = write_report([path], tmp_path / "report.md").read_text()
    gcn = summary["aggregate"]["gcn"]["test_acc"]
    assert f"| gcn | {100 * gcn['mean']:.2f} ± {100 * gcn['std']:.2f}" in report
    assert "gcn − mlp" in report
    for link in ("test_acc.png", "curves.png"):
        rel = next(line for line in report.splitlines() if link in line).split("](")[1][:-1]
        assert (tmp_path / rel).resolve().is_file()


def test_report_refuses_unfinished_or_foreign_folders(tmp_path):
    with pytest.raises(ConfigError, match="not a run directory"):
        write_report([tmp_path], tmp_path / "r.md")
    assert not (tmp_path / "r.md").exists()


def test_every_dataset_setting_is_checked_before_anything_is_written(tmp_path, monkeypatch):
    """A missing ``pretrain_dataset`` is refused up front, like a missing ``dataset``."""
    monkeypatch.delenv("TENFOLD_DATA", raising=False)
    monkeypatch.setenv("TENFOLD_CACHE", str(tmp_path / "empty"))
    monkeypatch.setenv("TENFOLD_OFFLINE", "1")
    plan_run("snapmix", "smoke")                                  # embedded data: fine
    with pytest.raises(DataNotFoundError, match="cifar10"):
        plan_run("snapmix", "smoke", overrides=["pretrain_dataset=cifar10"])
