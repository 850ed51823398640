"""Resuming restores numpy's (and python's) global random stream, not only torch's.

A recipe that draws from ``np.random`` inside a ``Stepper`` must give the same numbers whether
it ran straight through or was stopped and resumed from its last checkpoint in a fresh process
(which seeds everything again before the recipe runs)."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from tenfold.runtime.context import RunContext
from tenfold.runtime.device import make_fabric
from tenfold.runtime.rundir import RunDir
from tenfold.runtime.seeding import capture_rng_state, restore_rng_state, seed_everything


def draws() -> tuple[list[float], list[float], list[float]]:
    return (np.random.rand(4).tolist(), [random.random() for _ in range(4)],
            torch.rand(4).tolist())


def test_restore_brings_back_numpy_python_and_torch():
    seed_everything(3)
    state = capture_rng_state()
    expected = draws()
    np.random.seed(12345)  # another position in every stream
    random.seed(12345)
    torch.manual_seed(12345)
    assert draws()[0] != expected[0]
    restore_rng_state(state)
    assert draws() == expected


class Stopped(Exception):
    """Stands for the process being killed."""


class NumpyWalk:
    """A ``Stepper`` whose every step draws from numpy's and python's global generators."""

    def __init__(self, max_epochs: int, stop_at: int | None = None):
        self.epoch, self.max_epochs, self.stop_at, self.x = 0, max_epochs, stop_at, 0.0

    @property
    def stopped(self) -> bool:
        return False

    def step(self) -> dict[str, float]:
        if self.epoch == self.stop_at:
            raise Stopped
        self.x += float(np.random.normal()) + random.random()
        self.epoch += 1
        return {"x": self.x, "u": float(np.random.rand())}

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "x": self.x}

    def load_state_dict(self, state: dict) -> None:
        self.epoch, self.x = state["epoch"], state["x"]


@pytest.fixture(scope="module")
def fabric():
    return make_fabric(torch.device("cpu"))


def walk(run_dir: RunDir, fabric, stop_at: int | None = None) -> NumpyWalk:
    seed_everything(7)  # what the runtime does before a seed's recipe runs, also on resume
    ctx = RunContext(run_dir, 7, fabric)
    return ctx.fit("walk", NumpyWalk(9, stop_at), checkpoint_every=3)


def curve(run_dir: RunDir) -> list[tuple[int, float, float]]:
    return sorted((r["step"], r["x"], r["u"]) for r in run_dir.read_metrics())


def test_stepper_drawing_from_numpy_resumes_on_the_same_stream(tmp_path, fabric):
    straight = RunDir(tmp_path / "straight")
    straight.path.mkdir()
    reference = walk(straight, fabric)

    resumed = RunDir(tmp_path / "resumed")
    resumed.path.mkdir()
    with pytest.raises(Stopped):
        walk(resumed, fabric, stop_at=7)  # checkpoint after 6 steps, stopped in the 8th
    assert (resumed.checkpoint_dir(7) / "walk.pt").is_file()
    np.random.seed(999)  # the stopped process's stream is gone
    random.seed(999)
    again = walk(resumed, fabric)  # a fresh start: loads the checkpoint of step 6
    assert again.epoch == reference.epoch == 9
    assert curve(resumed) == curve(straight)
    assert again.x == reference.x
