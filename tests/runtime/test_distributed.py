"""``torchrun --nproc_per_node 2 -m tenfold run ...`` on CPU (gloo): one run dir, one log."""

import os
import shutil
import subprocess
import sys

import pytest


@pytest.mark.skipif(shutil.which("torchrun") is None and sys.platform != "linux",
                    reason="needs torchrun")
def test_torchrun_two_processes_write_one_run(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           "--master_port", "29517", "-m", "tenfold", "run", "gnn-baselines", "--preset",
           "smoke", "--set", "methods=gcn", "--set", "epochs=5", "--device", "cpu",
           "--out", str(tmp_path)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = list((tmp_path / "gnn-baselines").iterdir())
    assert len(runs) == 1
    assert (runs[0] / "summary.json").is_file()
    assert '"world_size": 2' in (runs[0] / "config.json").read_text()
    assert proc.stderr.count("finished ") == 1
    assert proc.stdout.count("run directory:") == 1
