"""Under torchrun every rank must take the same resume / cache decision as rank 0.

A rank that lags behind rank 0 (replicated work, such as NetGraft's grafting stages, has no
collective that holds the ranks together) used to find a checkpoint or a cached result that
rank 0 had written in the same run, resume from it, and so call fewer barriers than rank 0: the
two-process NetGraft run deadlocked on a loaded machine. Here a fake rank 1 sees such a file
while rank 0 says it had none; it must not use it."""

from __future__ import annotations

import torch

from tenfold.runtime.context import RunContext
from tenfold.runtime.io import save_torch, write_json
from tenfold.runtime.rundir import RunDir
from tenfold.runtime.seeding import capture_rng_state


class RankOne:
    """The parts of a Fabric that ``RunContext`` uses, as seen by rank 1 of 2; ``broadcast``
    returns rank 0's answer (``rank_zero_sees``) and records what was asked."""

    world_size, global_rank, device = 2, 1, torch.device("cpu")

    def __init__(self, rank_zero_sees: bool):
        self.rank_zero_sees, self.broadcasts = rank_zero_sees, []

    def broadcast(self, obj, src=0):
        self.broadcasts.append((obj, src))
        return self.rank_zero_sees

    def barrier(self):
        pass


class Count:
    """A ``Stepper`` that counts its steps."""

    def __init__(self, max_epochs: int):
        self.epoch, self.max_epochs, self.stopped = 0, max_epochs, False

    def step(self):
        self.epoch += 1
        return {}

    def state_dict(self):
        return {"epoch": self.epoch}

    def load_state_dict(self, state):
        self.epoch = state["epoch"]


def _ctx(tmp_path, rank_zero_sees: bool) -> RunContext:
    run_dir = RunDir(tmp_path / "run")
    run_dir.path.mkdir()
    return RunContext(run_dir, 0, RankOne(rank_zero_sees))


def test_a_lagging_rank_does_not_resume_from_a_checkpoint_rank_zero_wrote_in_this_run(tmp_path):
    ctx = _ctx(tmp_path, rank_zero_sees=False)
    save_torch(ctx._ckpt_path("method", ".pt"), {"state": {"epoch": 5},
                                                 "rng": capture_rng_state()})
    trainer = ctx.fit("method", Count(8), checkpoint_every=0, log=False)
    assert ctx.steps_driven == 8 and trainer.epoch == 8      # all steps, like rank 0
    assert ctx.fabric.broadcasts == [(True, 0)]              # asked rank 0, from rank 0


def test_every_rank_resumes_when_rank_zero_has_the_checkpoint(tmp_path):
    ctx = _ctx(tmp_path, rank_zero_sees=True)
    save_torch(ctx._ckpt_path("method", ".pt"), {"state": {"epoch": 5},
                                                 "rng": capture_rng_state()})
    ctx.fit("method", Count(8), checkpoint_every=0, log=False)
    assert ctx.steps_driven == 3


def test_a_lagging_rank_computes_what_rank_zero_had_not_cached(tmp_path):
    ctx = _ctx(tmp_path, rank_zero_sees=False)
    write_json(ctx._ckpt_path("result", ".json"), {"acc": 0.1})
    assert ctx.cached("result", lambda: {"acc": 0.9}) == {"acc": 0.9}
    ctx.fabric.rank_zero_sees = True
    assert ctx.cached("result", lambda: {"acc": 0.9}) == {"acc": 0.1}
