"""Run directories stay whole and exact: a run killed with SIGKILL in the middle of a seed and
resumed writes ``summary.json`` byte for byte as an uninterrupted run (methods in the recipe's
order, not the files' sorted order) and ``timings.json`` with the same entries; two processes
cannot run one directory at once, and the lock of a killed process is taken over."""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tenfold.runtime.launch import resume_run, start_run
from tenfold.runtime.rundir import RunDir

# gcn before mlp: the recipe's order differs from the sorted order of the JSON files
ARGS = ["run", "gnn-baselines", "--preset", "smoke", "--seeds", "0-1", "--set", "methods=gcn,mlp",
        "--set", "epochs=120", "--set", "checkpoint_every=20", "--device", "cpu"]


def tenfold(*args):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "tenfold", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def only_run_dir(out: Path) -> Path:
    (run,) = list((out / "gnn-baselines").iterdir())
    return run


def shape(timings: dict) -> dict:
    """The entries of timings.json (seed -> method -> names), without the wall-clock values."""
    return {s: {m: sorted(v) for m, v in methods.items()} for s, methods in timings.items()}


def test_sigkill_in_a_seed_then_resume_is_byte_exact(tmp_path):
    killed_out, clean_out = tmp_path / "killed", tmp_path / "clean"
    proc = tenfold(*ARGS, "--out", str(killed_out))
    target = None
    while proc.poll() is None:  # kill inside seed 0's second method (mlp), after a checkpoint
        found = list(killed_out.glob("gnn-baselines/*/checkpoints/seed-0/mlp.pt"))
        if found:
            target = found[0]
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.communicate()
    assert target is not None, "the run finished before it could be killed"
    run = only_run_dir(killed_out)
    assert not (run / "seeds" / "seed-0.json").exists()
    assert (run / "run.lock").exists()  # left by the killed process: taken over below

    resumed = tenfold("run", "--resume", str(run))
    _, err = resumed.communicate()
    assert resumed.returncode == 0, err
    assert "taking over" in err
    # the uninterrupted reference, in this process (one torch thread, as the subprocesses)
    reference = start_run("gnn-baselines", preset="smoke", seeds=[0, 1],
                          overrides=["methods=gcn,mlp", "epochs=120", "checkpoint_every=20"],
                          out=clean_out, device="cpu", keep_checkpoints=False)

    got = (run / "summary.json").read_bytes()
    assert got == (reference / "summary.json").read_bytes()
    assert json.loads(got)["methods"] == ["gcn", "mlp"]
    timings = json.loads((run / "timings.json").read_text())
    assert shape(timings) == shape(json.loads((reference / "timings.json").read_text()))
    assert shape(timings) == {s: {"gcn": ["epoch_ms", "train_s"], "mlp": ["epoch_ms", "train_s"]}
                              for s in ("0", "1")}
    # finished runs drop their checkpoints and their lock
    assert not (run / "checkpoints").exists() and not (run / "run.lock").exists()


HOLDER = """
import sys, time
from tenfold.runtime.rundir import RunDir
with RunDir(sys.argv[1]).lock():
    print("locked", flush=True)
    time.sleep(600)
"""


def test_two_processes_cannot_run_one_directory(tmp_path, caplog):
    path = start_run("gnn-baselines", preset="smoke", overrides=["epochs=3", "methods=mlp"],
                     out=tmp_path / "runs", device="cpu")
    reference = (path / "summary.json").read_bytes()
    (path / "summary.json").unlink()
    (path / "seeds" / "seed-0.json").unlink()

    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        second = tenfold("run", "--resume", str(path))
        _, err = second.communicate()
        assert second.returncode == 2
        errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
        assert len(errors) == 1 and f"is being run by pid {holder.pid}" in errors[0]
        assert not (path / "summary.json").exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # the killed holder's lock file stays; the next resume takes it over and finishes the run
    assert f"pid {holder.pid}" in (path / "run.lock").read_text()
    with caplog.at_level(logging.WARNING, logger="tenfold.runtime.rundir"):
        resume_run(path, device="cpu")
    assert f"taking over {path / 'run.lock'} from pid {holder.pid}" in caplog.text
    assert (path / "summary.json").read_bytes() == reference
    assert RunDir.open(path).finished and not (path / "run.lock").exists()
