"""``tenfold reproduce``: overall progress, one result line per recipe, a report rewritten after
each recipe (smoke marked as plumbing, ``n = 1`` instead of ``± 0.00``), and ``--resume`` that
skips finished recipes and continues a stopped one."""

from __future__ import annotations

import json

from tenfold.runtime.reproduce import STATE, Reproduction
from tenfold.runtime.rundir import RunDir


def test_progress_report_and_resume(toy, tmp_path):
    out = tmp_path / "runs"
    lines: list[str] = []
    job = Reproduction.plan(out, "smoke", "toy,toy-other")
    assert not out.exists()  # planning writes nothing
    report = job.run(device="cpu", echo=lines.append)
    assert [ln for ln in lines if ln.startswith("[recipe 1/2, seed 1/1] toy ")]
    assert [ln for ln in lines if ln.startswith("[recipe 2/2, seed 1/1] toy-other ")]
    results = [ln for ln in lines if ln.startswith("[recipe ") and " score: " in ln]
    assert len(results) == 2  # one result line per recipe
    text = report.read_text()
    assert "## toy on" in text and "## toy-other on" in text
    assert "plumbing check" in text and "(n = 1)" in text and "± 0.00" not in text

    # a stopped reproduction: toy-other unfinished (its summary gone) -> resume skips toy
    state = json.loads((out / STATE).read_text())
    other = RunDir(state["runs"]["toy-other"])
    reference = other.summary_path.read_bytes()
    other.summary_path.unlink()
    lines.clear()
    again = Reproduction.load(out)
    assert again.run(device="cpu", echo=lines.append) == report
    assert any("toy: finished earlier" in ln for ln in lines)
    assert other.summary_path.read_bytes() == reference
    assert "## toy-other on" in report.read_text()


def test_report_is_rewritten_after_each_recipe(toy, tmp_path):
    out = tmp_path / "runs"
    seen: list[str] = []
    job = Reproduction.plan(out, "smoke", "toy,toy-other")

    def echo(line: str) -> None:
        if line.startswith("[recipe 2/2, seed"):  # the second recipe starts: report has one
            seen.append(job.report.read_text())

    job.run(device="cpu", echo=echo)
    assert len(seen) == 1 and "## toy on" in seen[0] and "toy-other" not in seen[0]
    assert "1 of 2 recipes so far" in seen[0]
