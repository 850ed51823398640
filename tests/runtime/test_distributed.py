"""``torchrun --nproc_per_node 2 -m tenfold run ...`` on CPU (gloo).

* A data-parallel recipe (``snapmix``) with 2 processes × batch b matches 1 process × batch 2b
  (same seed, same data order: every rank draws the global batch and trains on its slice), and
  writes one run directory.
* A full-batch recipe (``gnn-baselines``) is refused with one ``error:`` line before anything is
  written.
"""

import json
import os
import subprocess
import sys

import pytest

from tenfold.runtime.registry import check_world_size, get_recipe, recipe_index

# snapmix without mixing, 96 training images, 3 epochs: 2 × 16 against 1 × 32 per step
SNAPMIX = ["snapmix", "--preset", "smoke", "--set", "methods=none", "--set", "epochs=3",
           "--set", "label_fidelity=false", "--set", "mix_figure=false", "--device", "cpu"]
# Stated tolerance. Only BatchNorm differs: each rank normalises its slice of 16 with that
# slice's statistics (one process: the 32 together), and the running statistics are rank 0's.
ACC_TOL, LOSS_TOL = 0.07, 0.05


def _torchrun(args, out, port, nproc=2):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(nproc),
           "--master_port", str(port), "-m", "tenfold", "run", *args, "--out", str(out)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True)


def _tenfold(args, out):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "tenfold", "run", *args, "--out", str(out)],
                          env=env, capture_output=True, text=True)


@pytest.mark.skipif(sys.platform != "linux", reason="torchrun with gloo")
def test_two_processes_match_one_process_with_twice_the_batch(tmp_path):
    two = _torchrun([*SNAPMIX, "--set", "batch_size=16"], tmp_path / "two", 29517)
    assert two.returncode == 0, two.stderr[-3000:]
    one = _tenfold([*SNAPMIX, "--set", "batch_size=32"], tmp_path / "one")
    assert one.returncode == 0, one.stderr[-3000:]

    runs = list((tmp_path / "two" / "snapmix").iterdir())
    assert len(runs) == 1                                  # one set of run files
    assert '"world_size": 2' in (runs[0] / "config.json").read_text()
    assert len(list(runs[0].glob("seeds/*.json"))) == 1
    assert two.stdout.count("run directory:") == 1          # only rank 0 reports
    got = json.loads((runs[0] / "summary.json").read_text())["per_seed"]["0"]["none"]
    (single,) = list((tmp_path / "one" / "snapmix").iterdir())
    want = json.loads((single / "summary.json").read_text())["per_seed"]["0"]["none"]
    assert abs(got["test_acc"] - want["test_acc"]) <= ACC_TOL, (got, want)
    assert abs(got["final_loss"] - want["final_loss"]) <= LOSS_TOL * want["final_loss"], \
        (got, want)
    # the runs differ (BatchNorm per slice), but not by chance: same number of epochs, and
    # the 2-process loss is the mean over ranks of the same global batches
    assert got["best_epoch"] >= 1 and want["best_epoch"] >= 1


def test_full_batch_recipe_refused_under_two_processes(tmp_path):
    proc = _torchrun(["gnn-baselines", "--preset", "smoke", "--device", "cpu"], tmp_path, 29518)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr[-3000:]
    assert "cannot use 2 processes" in errors[0]
    assert not (tmp_path / "gnn-baselines").exists()


def test_every_recipe_declares_whether_it_is_distributed():
    index = recipe_index()
    assert index["snapmix"].distributed
    for name in ("gnn-baselines", "spagan", "twp", "factorgcn"):
        assert not index[name].distributed
        with pytest.raises(Exception, match="cannot use 4 processes"):
            check_world_size(index[name], 4)
    check_world_size(get_recipe("snapmix"), 4)
