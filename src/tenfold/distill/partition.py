"""Cutting a network into sequential blocks (NetGraft, arXiv 2012.04915, Sec. 3).

NetGraft needs teacher and student cut at matching points, ``T = t_L ∘ … ∘ t_1`` and
``S = s_L ∘ … ∘ s_1``, where the last block is the classifier head. Real networks are rarely a
pure ``nn.Sequential``: a flatten or a global pooling sits between the features and the head. A
:class:`BlockPartition` makes that glue explicit so that ``partition(x)`` is exactly the chain
of its blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import torch
from torch import nn


class BlockPartition(nn.Module):
    """A network as an ordered list of blocks whose composition is the whole forward pass.

    The blocks are the *same* module objects as in the source network (no copies), so training a
    partition's block trains the network it came from.

    Args:
        blocks: the blocks in forward order.
        glue: optional ``{index: module}``; ``glue[i]`` runs right before block ``i`` and is
            treated as part of that block (for example ``nn.Flatten()`` before a linear head).

    Example:
        >>> part = BlockPartition.from_modules(vgg, ["features.0", "features.1", "classifier"],
        ...                                    glue={"classifier": nn.Flatten()})
        >>> part(x).shape == vgg(x).shape
    """

    def __init__(self, blocks: Sequence[nn.Module], glue: Mapping[int, nn.Module] | None = None):
        super().__init__()
        blocks = list(blocks)
        if len(blocks) < 2:
            raise ValueError(f"a partition needs at least 2 blocks (features and head), "
                             f"got {len(blocks)}")
        glue = dict(glue or {})
        bad = [i for i in glue if not 0 <= i < len(blocks)]
        if bad:
            raise ValueError(f"glue indices {bad} are outside 0..{len(blocks) - 1}")
        wrapped = []
        for i, block in enumerate(blocks):
            if not isinstance(block, nn.Module):
                raise TypeError(f"block {i} is a {type(block).__name__}, expected an nn.Module")
            wrapped.append(nn.Sequential(glue[i], block) if i in glue else block)
        self.blocks = nn.ModuleList(wrapped)

    @classmethod
    def from_modules(cls, model: nn.Module, names: Iterable[str],
                     glue: Mapping[str, nn.Module] | None = None) -> BlockPartition:
        """Partition ``model`` by the dotted names of its submodules (``"features.3"``).

        ``glue`` maps a block name to the module run right before it.
        """
        names = list(names)
        modules = dict(model.named_modules())
        missing = [n for n in names if n not in modules]
        if missing:
            raise ValueError(f"{type(model).__name__} has no submodules {missing}")
        glue = dict(glue or {})
        unknown = [n for n in glue if n not in names]
        if unknown:
            raise ValueError(f"glue names {unknown} are not among the block names {names}")
        return cls([modules[n] for n in names], {names.index(n): m for n, m in glue.items()})

    def __len__(self) -> int:
        return len(self.blocks)

    def __getitem__(self, index: int) -> nn.Module:
        return self.blocks[index]

    def forward(self, x: torch.Tensor, start: int = 0, stop: int | None = None) -> torch.Tensor:
        """Run blocks ``start .. stop-1`` (all of them by default)."""
        for block in self.blocks[start:stop]:
            x = block(x)
        return x

    @torch.no_grad()
    def junction_shapes(self, example: torch.Tensor) -> list[tuple[int, ...]]:
        """The per-sample output shape of every block for an example batch."""
        shapes = []
        x = example
        for block in self.blocks:
            x = block(x)
            shapes.append(tuple(x.shape[1:]))
        return shapes

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} blocks)"
