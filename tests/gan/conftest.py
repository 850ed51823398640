"""Fixtures shared by the GAN tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture
def batch():
    """8 real images in [-1, 1] and 8 noise vectors of dimension 16."""
    gen = torch.Generator().manual_seed(123)
    real = torch.rand(8, 1, 32, 32, generator=gen) * 2 - 1
    z = torch.randn(8, 16, generator=gen)
    return real, z
