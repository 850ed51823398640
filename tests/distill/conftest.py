"""One intra-op thread for the distillation tests: the models are tiny, and on oversubscribed
CI machines two spinning OpenMP threads make them an order of magnitude slower."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
