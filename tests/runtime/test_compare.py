"""``tenfold compare``: two runs that differ in one setting, side by side, with paired
differences on the seeds they share."""

from __future__ import annotations

import json
import statistics
import sys

import pytest

from tenfold.cli import main
from tenfold.errors import ConfigError
from tenfold.runtime.compare import compare_runs
from tenfold.runtime.launch import start_run


@pytest.fixture
def two_runs(toy, tmp_path):
    """``shift = 0`` on seeds 0-2 and ``shift = 0.25`` on seeds 1-3: seeds 1 and 2 are shared."""
    a = start_run(toy, seeds=[0, 1, 2], out=tmp_path / "a")
    b = start_run(toy, seeds=[1, 2, 3], out=tmp_path / "b", overrides=["shift=0.25"])
    return a, b


def per_seed(run):
    return json.loads((run / "summary.json").read_text())["per_seed"]


def test_one_differing_setting_table_and_paired_differences(two_runs):
    a, b = two_runs
    c = compare_runs([a, b])
    assert c.differing == [("shift", [0.0, 0.25])]  # steps, dataset, recipe, preset: equal
    assert c.metric == "score" and c.methods == ["base", "better"]
    for run, column in ((a, 0), (b, 1)):
        aggregate = json.loads((run / "summary.json").read_text())["aggregate"]
        for method in c.methods:
            assert c.table[method][column] == aggregate[method]["score"]
    pa, pb = per_seed(a), per_seed(b)
    by_method = {p.method: p for p in c.paired}
    for method in ("base", "better"):
        diffs = [pb[s][method]["score"] - pa[s][method]["score"] for s in ("1", "2")]
        p = by_method[method]
        assert p.label == "B" and p.seeds == [1, 2] and p.stats["n"] == 2
        assert p.stats["mean"] == pytest.approx(statistics.mean(diffs))
        assert p.stats["std"] == pytest.approx(statistics.stdev(diffs))
    # the same seed gives the same base score in both runs: a tie on both seeds, no win
    assert by_method["base"].stats["mean"] == 0 and by_method["base"].wins == 0
    assert by_method["better"].stats["mean"] == pytest.approx(0.25)
    assert by_method["better"].wins == 2


def test_text_and_markdown_show_the_setting_the_table_and_the_differences(two_runs):
    a, b = two_runs
    c = compare_runs([a, b])
    text, md = c.to_text(), c.to_markdown()
    better = c.table["better"]
    cells = [f"{s['mean']:.4f} ± {s['std']:.4f}" for s in better]
    assert "Settings that differ:" in text
    assert any(line.split() == ["shift", "0.0", "0.25"] for line in text.splitlines())
    assert any(line.split()[:1] == ["better"] and all(x in line for x in cells)
               for line in text.splitlines())
    assert "| shift | 0.0 | 0.25 |" in md
    assert f"| better | {cells[0]} | {cells[1]} |" in md
    assert "| better | B − A: +0.2500 ± 0.0000 | 2 | 1,2 |" in md
    assert str(a) in md and str(b) in md


def test_lower_is_better_counts_lower_values_as_wins_and_ties_as_none(toy, tmp_path):
    a = start_run("toy-loss", seeds=[0, 1, 2], out=tmp_path / "a")
    b = start_run("toy-loss", seeds=[0, 1, 2], out=tmp_path / "b", overrides=["shift=0.25"])
    c = compare_runs([a, b])
    assert c.metric == "loss" and not c.higher_is_better
    by_method = {p.method: p for p in c.paired}
    assert by_method["better"].stats["mean"] == pytest.approx(-0.25)
    assert by_method["better"].wins == 3  # lower loss on every seed
    assert by_method["base"].stats["mean"] == 0 and by_method["base"].wins == 0  # three ties
    assert "i.e. lower" in c.to_text()


def test_runs_without_common_seeds_have_no_paired_difference(toy, tmp_path):
    a = start_run(toy, seeds=[0], out=tmp_path / "a")
    b = start_run(toy, seeds=[1], out=tmp_path / "b")
    c = compare_runs([a, b])
    assert c.differing == [] and c.paired == []
    assert "the runs share no seed" in c.to_text()
    assert "Settings that differ: none" in c.to_text()


def test_other_metric_and_refusals(two_runs, tmp_path):
    a, b = two_runs
    c = compare_runs([a, b], metric="loss")
    assert c.table["base"][0] == json.loads((a / "summary.json").read_text())[
        "aggregate"]["base"]["loss"]
    with pytest.raises(ConfigError, match="no run has the metric 'accuracy'"):
        compare_runs([a, b], metric="accuracy")
    with pytest.raises(ConfigError, match="at least two run directories"):
        compare_runs([a])
    (b / "summary.json").unlink()
    with pytest.raises(ConfigError, match="not finished"):
        compare_runs([a, b])


def test_cli_compare_markdown_and_errors(two_runs, monkeypatch, capsys, tmp_path):
    a, b = two_runs

    def invoke(*args):
        monkeypatch.setattr(sys, "argv", ["tenfold", *args])
        with pytest.raises(SystemExit) as exit_info:
            main()
        out = capsys.readouterr()
        return exit_info.value.code, out.out, out.err

    code, out, err = invoke("compare", str(a), str(b), "--markdown")
    assert code == 0, err
    assert out.strip() == compare_runs([a, b]).to_markdown().strip()
    code, out, _ = invoke("compare", str(a), str(b))
    assert code == 0 and out.strip() == compare_runs([a, b]).to_text().strip()
    code, out, err = invoke("compare", str(a), str(tmp_path))
    assert code == 2 and out == "" and err.startswith("error: ") and "not a run directory" in err
    assert len(err.strip().splitlines()) == 1
