"""One thread for the continual-learning tests: bit-for-bit comparisons need it (multi-threaded
CPU scatter sums change the rounding), and small full-batch graphs run faster on one thread."""

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
