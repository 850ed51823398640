"""``tenfold merge``: seed shards become one run whose summary equals a single run's, byte for
byte; everything that is not a set of shards of one experiment is refused, sources untouched."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tenfold.cli import main
from tenfold.errors import ConfigError
from tenfold.runtime import merge as merge_module
from tenfold.runtime.launch import resume_run, start_run
from tenfold.runtime.merge import merge_runs
from tenfold.runtime.rundir import RunDir

GNN = dict(preset="smoke", overrides=["methods=mlp,gcn", "epochs=5"], device="cpu")


def snapshot(*folders: Path) -> dict[str, bytes]:
    """Every file under ``folders`` with its bytes (to show that nothing changed)."""
    return {str(p): p.read_bytes() for f in folders for p in sorted(f.rglob("*")) if p.is_file()}


def records(run: Path) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for r in RunDir(run).read_metrics())


@pytest.fixture(scope="module")
def gnn_runs(tmp_path_factory):
    """gnn-baselines smoke: seed 0 alone, seed 1 alone, and seeds 0-1 in one run."""
    out = tmp_path_factory.mktemp("gnn")
    return (start_run("gnn-baselines", seeds=[0], out=out / "s0", **GNN),
            start_run("gnn-baselines", seeds=[1], out=out / "s1", **GNN),
            start_run("gnn-baselines", seeds=[0, 1], out=out / "all", **GNN))


def test_two_shards_merge_into_the_single_run_byte_for_byte(gnn_runs, tmp_path):
    s0, s1, single = gnn_runs
    before = snapshot(s0, s1)
    merged = merge_runs([s1, s0], tmp_path / "merged")  # order of the arguments is irrelevant
    assert merged == tmp_path / "merged"
    assert (merged / "summary.json").read_bytes() == (single / "summary.json").read_bytes()
    assert snapshot(s0, s1) == before  # sources untouched
    config = json.loads((merged / "config.json").read_text())
    assert config["seeds"] == [0, 1] and config["recipe"] == "gnn-baselines"
    assert config["settings"] == json.loads((single / "config.json").read_text())["settings"]
    assert [m["seeds"] for m in config["merged_from"]] == [[0], [1]]
    for seed, source in ((0, s0), (1, s1)):
        name = f"seeds/seed-{seed}.json"
        assert (merged / name).read_bytes() == (source / name).read_bytes()
    assert records(merged) == records(single)  # the learning curves of both seeds
    timings = json.loads((merged / "timings.json").read_text())
    assert sorted(timings) == ["0", "1"]
    assert {p.name for p in (merged / "figures").iterdir()} == {"test_acc.png", "curves.png"}
    # a finished run like any other: resume has nothing to do, nothing else is left around
    assert resume_run(merged) == merged
    assert sorted(p.name for p in tmp_path.iterdir()) == ["merged"]


def test_three_shards_with_scattered_seeds(toy, tmp_path):
    shards = [start_run(toy, seeds=s, out=tmp_path / f"s{i}")
              for i, s in enumerate(([2, 5], [0, 3], [1]))]
    single = start_run(toy, seeds=[0, 1, 2, 3, 5], out=tmp_path / "single")
    merged = merge_runs(shards, tmp_path / "merged")
    assert (merged / "summary.json").read_bytes() == (single / "summary.json").read_bytes()
    summary = json.loads((merged / "summary.json").read_text())
    assert summary["seeds"] == [0, 1, 2, 3, 5]
    assert summary["paired_vs_baseline"]["better"]["score"]["wins"] == 5
    assert records(merged) == records(single)


def _copy(run: Path, where: Path) -> Path:
    target = where / run.name
    shutil.copytree(run, target)
    return target


def _edit_config(run: Path, **changes) -> None:
    path = run / "config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))


@pytest.mark.parametrize("case, message", [
    ("setting", r"different settings: shift = 0\.0 vs 0\.5"),
    ("recipe", r"different recipes .*toy.*toy-other"),
    ("dataset", r"different datasets .*synthetic-sbm.*synthetic-two-hop"),
    ("version", r"different tenfold versions .*0\.0\.1"),
    ("overlap", r"seed 1 is in both"),
    ("unfinished", r"not finished \(no summary\.json\); continue it with `tenfold run --resume"),
    ("missing-seed", r"seed 1 has no result .*seed-1\.json is missing"),
    ("damaged-seed", r"seed-1\.json is damaged"),
    ("one-run", r"at least two run directories"),
    ("not-a-run", r"not a run directory"),
])
def test_refusals_name_the_cause_and_write_nothing(toy, tmp_path, case, message):
    first = start_run(toy, seeds=[0], out=tmp_path / "a")
    kwargs: dict = {"seeds": [1], "out": tmp_path / "b"}
    if case == "setting":
        kwargs["overrides"] = ["shift=0.5"]
    elif case == "dataset":
        kwargs["dataset"] = "synthetic-two-hop"
    elif case == "overlap":
        kwargs["seeds"] = [1, 2]
        first = start_run(toy, seeds=[0, 1], out=tmp_path / "a2")
    second = start_run("toy-other" if case == "recipe" else toy, **kwargs)
    if case in ("version", "unfinished", "missing-seed", "damaged-seed"):
        second = _copy(second, tmp_path / "edited")
    if case == "version":
        _edit_config(second, tenfold_version="0.0.1")
    elif case == "unfinished":
        (second / "summary.json").unlink()
    elif case == "missing-seed":
        (second / "seeds" / "seed-1.json").unlink()
    elif case == "damaged-seed":
        (second / "seeds" / "seed-1.json").write_text('{"metrics": ')
    elif case == "not-a-run":
        second = tmp_path / "empty"
        second.mkdir()
    sources = [first] if case == "one-run" else [first, second]
    before = snapshot(*sources)
    out = tmp_path / "merged"
    with pytest.raises(ConfigError, match=message):
        merge_runs(sources, out)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert snapshot(*sources) == before


def test_out_must_be_new_and_outside_the_sources(toy, tmp_path):
    a = start_run(toy, seeds=[0], out=tmp_path / "a")
    b = start_run(toy, seeds=[1], out=tmp_path / "b")
    existing = tmp_path / "existing"
    existing.mkdir()
    with pytest.raises(ConfigError, match="already exists"):
        merge_runs([a, b], existing)
    assert list(existing.iterdir()) == []
    with pytest.raises(ConfigError, match="inside the source run"):
        merge_runs([a, b], a / "merged")
    assert not (a / "merged").exists()


def test_a_merge_that_fails_midway_leaves_nothing(toy, tmp_path, monkeypatch):
    a = start_run(toy, seeds=[0], out=tmp_path / "a")
    b = start_run(toy, seeds=[1], out=tmp_path / "b")

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(merge_module, "write_run_figures", full_disk)
    with pytest.raises(OSError):
        merge_runs([a, b], tmp_path / "out" / "merged")
    assert list((tmp_path / "out").iterdir()) == []


def invoke(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["tenfold", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err


def test_cli_merge_and_its_one_line_refusal(toy, tmp_path, monkeypatch, capsys):
    a = start_run(toy, seeds=[0], out=tmp_path / "a")
    b = start_run(toy, seeds=[1], out=tmp_path / "b")
    c = start_run(toy, seeds=[2], out=tmp_path / "c", overrides=["shift=0.5", "steps=4"])
    code, out, err = invoke(monkeypatch, capsys, "merge", str(a), str(b),
                            "--out", str(tmp_path / "m"))
    assert code == 0, err
    assert f"run directory: {tmp_path / 'm'}" in out
    assert json.loads((tmp_path / "m" / "summary.json").read_text())["seeds"] == [0, 1]

    code, out, err = invoke(monkeypatch, capsys, "merge", str(a), str(c),
                            "--out", str(tmp_path / "m2"))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot merge runs with different")
    assert "shift = 0.0 vs 0.5" in lines[0] and "steps = 3 vs 4" in lines[0]
    assert not (tmp_path / "m2").exists()

    code, _, err = invoke(monkeypatch, capsys, "merge", str(a), str(b))
    assert code == 2 and err.startswith("error: ") and "--out" in err
