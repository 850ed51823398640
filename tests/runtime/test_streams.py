"""A run's random streams can be rebuilt outside the run (benchmarks do, to score the same data
without training): ``stream_seed`` is what ``RunContext.generator`` draws from."""

import torch

from tenfold.runtime.context import RunContext
from tenfold.runtime.device import make_fabric
from tenfold.runtime.rundir import RunDir
from tenfold.runtime.seeding import make_generator, stream_seed


def test_the_context_streams_are_the_stream_seeds(tmp_path):
    ctx = RunContext(RunDir(tmp_path), 3, make_fabric(torch.device("cpu")))
    for offset in (0, 1, 21):
        expected = torch.rand(5, generator=make_generator(stream_seed(3, offset)))
        assert torch.equal(torch.rand(5, generator=ctx.generator(offset)), expected)
    assert len({stream_seed(s, o) for s in range(4) for o in range(50)}) == 200
