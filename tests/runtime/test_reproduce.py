"""``tenfold reproduce``: overall progress, one result line per recipe, a report rewritten after
each recipe (smoke marked as plumbing, ``n = 1`` instead of ``± 0.00``), and ``--resume`` that
skips finished recipes and continues a stopped one."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_ctrl_c_says_where_and_resume_skips_finished_recipes(tmp_path):
    """Ctrl-C (SIGINT) in the middle of the second recipe of a real ``tenfold reproduce``: one
    line with the unfinished run and the command that continues, exit 130, no traceback;
    ``tenfold reproduce --resume`` then skips the finished recipe and finishes the other."""
    import os
    import signal
    import subprocess
    import sys

    out = tmp_path / "runs"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tenfold", "reproduce", "--preset", "smoke", "--only",
         "gnn-baselines,twp", "--out", str(out), "--threads", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen = []
    for line in proc.stdout:             # wait until the second recipe is training
        seen.append(line)
        if line.startswith("[recipe 2/2, seed 1/1] twp"):
            proc.send_signal(signal.SIGINT)
            break
    rest, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, (seen, rest, err)
    assert any(ln.startswith("[recipe 1/2] gnn-baselines/") for ln in seen)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    state = json.loads((out / STATE).read_text())
    unfinished = state["runs"]["twp"]
    stop = [ln for ln in err.splitlines() if ln.startswith("stopped")]
    assert stop == [f"stopped ({unfinished}); continue with: tenfold reproduce --resume "
                    f"--out {out}"], err
    assert not RunDir(unfinished).finished and RunDir(state["runs"]["gnn-baselines"]).finished

    again = subprocess.run([sys.executable, "-m", "tenfold", "reproduce", "--resume", "--out",
                            str(out), "--threads", "1"], capture_output=True, text=True,
                           env=env, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    lines = again.stdout.splitlines()
    assert any(ln.startswith("[recipe 1/2] gnn-baselines: finished earlier") for ln in lines)
    assert not any(ln.startswith("[recipe 1/2, seed") for ln in lines)   # not run again
    assert any(ln.startswith("[recipe 2/2] twp/") for ln in lines)
    assert json.loads((out / STATE).read_text())["runs"]["twp"] == unfinished  # continued
    assert RunDir(unfinished).finished
    report = Path(lines[-1].removeprefix("report: "))
    text = report.read_text()
    assert "## gnn-baselines on" in text and "## twp on" in text and "so far" not in text


def test_twp_per_task_lines_go_to_the_debug_log(tmp_path, caplog):
    """``tenfold reproduce`` shows INFO lines only with -v; twp's per-task lines are DEBUG
    records (one per task and method), never INFO."""
    import logging

    from tenfold.runtime.launch import start_run

    caplog.set_level(logging.DEBUG, logger="tenfold")
    start_run("twp", preset="smoke", overrides=["methods=finetune,ewc"], out=tmp_path,
              device="cpu")
    twp = [r for r in caplog.records if r.name == "tenfold.recipes.twp"]
    per_task = [r for r in twp if "task " in r.getMessage() and "accuracies" in r.getMessage()]
    assert len(per_task) == 2 * 3                    # 2 methods x 3 tasks (smoke SBM)
    assert all(r.levelno == logging.DEBUG for r in per_task)
    assert not [r for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith(
        ("tenfold.recipes.twp", "tenfold.continual")) and "task " in r.getMessage()]
