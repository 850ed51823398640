"""A run killed with SIGKILL mid-way and resumed gives the same summary as an uninterrupted one."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ARGS = ["run", "gnn-baselines", "--preset", "smoke", "--seeds", "0-1",
        "--set", "methods=mlp,gcn", "--set", "epochs=120", "--set", "checkpoint_every=20",
        "--device", "cpu"]


def tenfold(*args, **kwargs):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "tenfold", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def only_run_dir(out: Path) -> Path:
    (run,) = list((out / "gnn-baselines").iterdir())
    return run


def test_sigkill_then_resume_equals_uninterrupted(tmp_path):
    killed_out, clean_out = tmp_path / "killed", tmp_path / "clean"
    proc = tenfold(*ARGS, "--out", str(killed_out))
    # wait until the second method of seed 0 has written a checkpoint, then kill hard
    target = None
    while proc.poll() is None:
        found = list(killed_out.glob("gnn-baselines/*/checkpoints/seed-0/gcn.pt"))
        if found:
            target = found[0]
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait()
    assert target is not None, "the run finished before it could be killed"
    run = only_run_dir(killed_out)
    assert not (run / "summary.json").exists()

    resumed = tenfold("run", "--resume", str(run))
    _, err = resumed.communicate()
    assert resumed.returncode == 0, err.decode()
    clean = tenfold(*ARGS, "--out", str(clean_out))
    _, err = clean.communicate()
    assert clean.returncode == 0, err.decode()

    got = (run / "summary.json").read_bytes()
    assert got == (only_run_dir(clean_out) / "summary.json").read_bytes()
    assert json.loads(got)["seeds"] == [0, 1]
