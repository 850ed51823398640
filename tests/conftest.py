"""Test settings: never download, a private cache per session, and a ``mirror`` fixture."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

os.environ["TENFOLD_OFFLINE"] = "1"


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    """One intra-op thread for the whole session, set before any module fixture runs: the
    models are small, two spinning OpenMP threads on a loaded 2-core machine are an order of
    magnitude slower, and bit-for-bit comparisons need one summation order (multi-threaded CPU
    sums round differently)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Point the tenfold cache at a temporary folder unless the caller chose one."""
    if "TENFOLD_CACHE" not in os.environ:
        os.environ["TENFOLD_CACHE"] = str(tmp_path_factory.mktemp("tenfold-cache"))
    yield


@pytest.fixture
def mirror() -> Path:
    """The read-only data mirror (``$TENFOLD_DATA``); tests using it skip when it is absent."""
    value = os.environ.get("TENFOLD_DATA")
    if not value or not Path(value).is_dir():
        pytest.skip("TENFOLD_DATA does not point at the data mirror")
    return Path(value)
