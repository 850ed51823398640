"""What the impression-space experiments of one seed share (Fang et al., arXiv 2007.05441):
the prepared data, the trained template, an optional independent verifier, and the decoding
settings every experiment starts from."""

from __future__ import annotations

from dataclasses import dataclass, replace

from torch import Tensor, nn

from tenfold.impression.decode import DecodeSettings
from tenfold.impression.evaluation import class_impressions
from tenfold.impression.template import Impression, TemplateNetwork

__all__ = ["ExperimentSession"]


@dataclass
class ExperimentSession:
    """Shared state of one seed's experiments.

    Attributes:
        data: ``{"train", "test"}`` → (images ``(N, C, H, W)``, labels ``(N,)``).
        template: the trained template network whose BN statistics form the impressions.
        verifier: an independently trained classifier judging translations (or ``None``).
        base: the decoding settings every experiment starts from (``steps`` is always replaced).
    """

    data: dict[str, tuple[Tensor, Tensor]]
    template: TemplateNetwork
    verifier: nn.Module | None
    base: DecodeSettings

    def __post_init__(self) -> None:
        missing = {"train", "test"} - set(self.data)
        if missing:
            raise ValueError(f"data: expected 'train' and 'test' splits, missing {sorted(missing)}")

    def settings(self, steps: int, lr: float | None = None, **extra) -> DecodeSettings:
        """``base`` with ``steps`` Adam iterations, learning rate ``lr`` (``None`` or 0: the
        base rate) and any other field overridden by ``extra``."""
        return replace(self.base, steps=steps, lr=lr or self.base.lr, **extra)

    def class_targets(self) -> list[Impression]:
        """One mean impression per class of the training set (the translation/synthesis
        targets): :func:`~tenfold.impression.evaluation.class_impressions`."""
        return class_impressions(self.template, *self.data["train"])
