"""tenfold: ten published machine-learning methods as PyTorch / PyG building blocks.

The library layer lives in the area packages (``tenfold.graph``, ``tenfold.gan``, ...); paper
experiments live in ``tenfold.recipes``; the shared runtime (seeding, run directories,
checkpoints, reports) in ``tenfold.runtime``; data lookup in ``tenfold.data``.
"""

__version__ = "0.1.0"
