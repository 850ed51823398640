"""The template network and its impressions (Fang et al., "Impression Space from Deep Template
Network", arXiv 2007.05441).

A trained CNN with BatchNorm layers ``l = 1..L`` is the *template*. Let ``a_l(x)`` be the input
of BN layer ``l`` for image ``x`` (shape ``C_l × H_l × W_l``). The **impression** of ``x`` is the
layer-wise encoding

    I(x) = {(μ_l(x), σ_l(x))}_{l=1..L},
    μ_{l,c}(x) = mean_{h,w} a_{l,c,h,w}(x),
    σ_{l,c}(x) = sqrt(var_{h,w} a_{l,c,h,w}(x) + ε)      (biased variance, over space only),

so that an image's impression does not depend on the other images of its batch. The impression
of a set ``S`` is the mean ``I(S) = 1/|S| Σ_{x∈S} I(x)``. Its pooled statistics

    m_l = mean_x μ_l(x),   v_l = mean_x (σ_l(x)² − ε + μ_l(x)²) − m_l²

are the mean and (biased) variance of ``a_l`` over images *and* space, i.e. what a BN layer
tracks as running statistics (:meth:`Impression.pooled`).

Reconstructed from the abstract and the first author's inversion code; see
docs/methods/impression.md for what was read and what was inferred.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = ["Impression", "TemplateNetwork", "fingerprint"]

EPS = 1e-5


def fingerprint(model: nn.Module) -> str:
    """SHA-1 (16 hex digits) of a module's state (names, shapes, dtypes and values)."""
    digest = hashlib.sha1()
    for name, tensor in model.state_dict().items():
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{tuple(t.shape)}:{t.dtype}".encode())
        digest.update(t.view(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Impression:
    """Per-image, per-channel statistics at a template's BN inputs.

    Attributes:
        means: one ``(N, C_l)`` tensor per BN layer (``μ_l``).
        stds: one ``(N, C_l)`` tensor per BN layer (``σ_l``, with ``ε`` inside the root).
        layers: the BN layers' module names.
        template: the fingerprint of the template that made it; impressions of different
            templates are not comparable and refuse to be combined.
    """

    means: tuple[Tensor, ...]
    stds: tuple[Tensor, ...]
    layers: tuple[str, ...]
    template: str

    def __post_init__(self):
        if not (len(self.means) == len(self.stds) == len(self.layers)) or not self.layers:
            raise ValueError(f"an impression needs one (mean, std) pair per layer, got "
                             f"{len(self.means)} means, {len(self.stds)} stds and "
                             f"{len(self.layers)} layer names")
        n = self.means[0].shape[0]
        for name, m, s in zip(self.layers, self.means, self.stds, strict=True):
            if m.dim() != 2 or m.shape != s.shape or m.shape[0] != n:
                raise ValueError(f"layer {name}: expected means and stds of shape (N={n}, C), got "
                                 f"{tuple(m.shape)} and {tuple(s.shape)}")

    def __len__(self) -> int:
        return self.means[0].shape[0]

    @property
    def channels(self) -> tuple[int, ...]:
        return tuple(m.shape[1] for m in self.means)

    def check_compatible(self, other: Impression) -> None:
        """Raise ``ValueError`` unless ``other`` comes from the same template and layers."""
        if not isinstance(other, Impression):
            raise TypeError(f"expected an Impression, got {type(other).__name__}")
        if other.template != self.template or other.layers != self.layers:
            raise ValueError(
                f"impressions of different templates cannot be mixed: {self.template} "
                f"({len(self.layers)} BN layers) vs {other.template} ({len(other.layers)} BN "
                f"layers); encode both with the same TemplateNetwork")

    def _new(self, means, stds) -> Impression:
        return Impression(tuple(means), tuple(stds), self.layers, self.template)

    def __getitem__(self, index) -> Impression:
        if isinstance(index, int):
            index = slice(index, index + 1) if index != -1 else slice(-1, None)
        return self._new([m[index] for m in self.means], [s[index] for s in self.stds])

    def mean(self) -> Impression:
        """The impression of the set: the mean over its images (``N = 1``)."""
        return self._new([m.mean(0, keepdim=True) for m in self.means],
                         [s.mean(0, keepdim=True) for s in self.stds])

    def pooled(self) -> list[tuple[Tensor, Tensor]]:
        """Per layer ``(m_l, v_l)``: mean and biased variance of the BN input over all images
        and positions (equal spatial sizes), comparable with BN running statistics."""
        out = []
        for m, s in zip(self.means, self.stds, strict=True):
            mu = m.mean(0)
            second = (s.pow(2) - EPS + m.pow(2)).mean(0)
            out.append((mu, (second - mu.pow(2)).clamp_min(0)))
        return out

    def vector(self) -> Tensor:
        """``(N, D)`` with ``D = Σ_l 2 C_l``: ``[μ_1, σ_1, μ_2, σ_2, ...]`` per image."""
        parts = []
        for m, s in zip(self.means, self.stds, strict=True):
            parts += [m, s]
        return torch.cat(parts, dim=1)

    def to(self, device: torch.device | str) -> Impression:
        return self._new([m.to(device) for m in self.means], [s.to(device) for s in self.stds])

    def detach(self) -> Impression:
        return self._new([m.detach() for m in self.means], [s.detach() for s in self.stds])

    @staticmethod
    def cat(items: Sequence[Impression]) -> Impression:
        """Concatenate impressions of one template along the image axis."""
        if not items:
            raise ValueError("Impression.cat needs at least one impression")
        first = items[0]
        for other in items[1:]:
            first.check_compatible(other)
        layers = range(len(first.layers))
        return first._new([torch.cat([it.means[i] for it in items]) for i in layers],
                          [torch.cat([it.stds[i] for it in items]) for i in layers])


class TemplateNetwork:
    """A frozen, eval-mode CNN whose BatchNorm inputs define the impression space.

    The wrapped ``model`` is frozen in place (``requires_grad_(False)``) and always run in eval
    mode (BN normalises with its running statistics, which are never updated here).

    Args:
        model: a trained classifier with at least one ``nn.BatchNorm2d``.
        pixel_range: ``(low, high)`` of valid inputs (decoding clips to it).
        layers: names of the BN layers to use (default: every ``BatchNorm2d``, module order).

    Example::

        template = TemplateNetwork(my_resnet, pixel_range=(0.0, 1.0))
        imp = template.encode(images)              # Impression, N per-image entries
        domain = template.encode(domain_images).mean()
        x_hat = template.decode(imp, steps=1000)   # see tenfold.impression.decode
    """

    def __init__(self, model: nn.Module, pixel_range: tuple[float, float] = (0.0, 1.0),
                 layers: Sequence[str] | None = None):
        bns = {name: m for name, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)}
        if not bns:
            raise ValueError("TemplateNetwork: the model has no nn.BatchNorm2d layer; an "
                             "impression is read at BN inputs")
        if layers is not None:
            unknown = [n for n in layers if n not in bns]
            if unknown or not layers:
                raise ValueError(f"layers: expected BatchNorm2d module names among "
                                 f"{list(bns)}, got {list(layers)}")
            bns = {n: bns[n] for n in layers}
        lo, hi = pixel_range
        if not lo < hi:
            raise ValueError(f"pixel_range: expected low < high, got {pixel_range}")
        self.model = model.eval().requires_grad_(False)
        self.bn_layers: dict[str, nn.BatchNorm2d] = bns
        self.pixel_range = (float(lo), float(hi))
        self.fingerprint = fingerprint(model)

    @property
    def layer_names(self) -> tuple[str, ...]:
        return tuple(self.bn_layers)

    @property
    def device(self) -> torch.device:
        return next(iter(self.model.parameters())).device

    @contextmanager
    def _eval(self):
        was = self.model.training
        self.model.eval()
        try:
            yield
        finally:
            self.model.train(was)

    def forward_stats(self, x: Tensor, batch_stats: bool = False
                      ) -> tuple[Tensor, list[Tensor], list[Tensor]]:
        """Run the template on ``x`` (N, C, H, W) in eval mode.

        Returns ``(logits, means, vars)``: per BN layer, per-image statistics over space,
        ``(N, C_l)`` each (biased variance), or with ``batch_stats=True`` the batch's
        statistics over (N, H, W), ``(C_l,)`` each (DeepInversion's).
        """
        if x.dim() != 4:
            raise ValueError(f"expected images (N, C, H, W), got shape {tuple(x.shape)}")
        means: dict[str, Tensor] = {}
        varis: dict[str, Tensor] = {}

        def hook(name):
            def pre(_module, inputs):
                a = inputs[0]
                dims = (0, 2, 3) if batch_stats else (2, 3)
                means[name] = a.mean(dims)
                varis[name] = a.var(dims, unbiased=False)
            return pre

        handles = [m.register_forward_pre_hook(hook(n)) for n, m in self.bn_layers.items()]
        try:
            with self._eval():
                logits = self.model(x)
        finally:
            for h in handles:
                h.remove()
        missing = [n for n in self.bn_layers if n not in means]
        if missing:
            raise ValueError(f"BN layers {missing} were not called in the forward pass")
        names = self.layer_names
        return logits, [means[n] for n in names], [varis[n] for n in names]

    def encode(self, x: Tensor, batch_size: int = 256) -> Impression:
        """The impression of each image of ``x`` (N, C, H, W), computed without gradients in
        batches of ``batch_size`` (the result does not depend on the batching)."""
        if x.dim() != 4:
            raise ValueError(f"encode: expected images (N, C, H, W), got {tuple(x.shape)}")
        if not torch.isfinite(x).all():
            raise ValueError("encode: the images contain NaN or infinite values")
        means, stds = [[] for _ in self.bn_layers], [[] for _ in self.bn_layers]
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                chunk = x[start:start + batch_size].to(self.device)
                _, ms, vs = self.forward_stats(chunk)
                for i, (m, v) in enumerate(zip(ms, vs, strict=True)):
                    means[i].append(m)
                    stds[i].append((v + EPS).sqrt())
        return Impression(tuple(torch.cat(m) for m in means), tuple(torch.cat(s) for s in stds),
                          self.layer_names, self.fingerprint)

    def stats_impression(self, means: list[Tensor], varis: list[Tensor]) -> Impression:
        """An impression from :meth:`forward_stats` output (keeps gradients)."""
        return Impression(tuple(means), tuple((v + EPS).sqrt() for v in varis),
                          self.layer_names, self.fingerprint)

    def running_stats(self) -> list[tuple[Tensor, Tensor]]:
        """Per layer the BN running ``(mean, var)`` (PyTorch stores the unbiased variance)."""
        return [(bn.running_mean, bn.running_var) for bn in self.bn_layers.values()]

    def check(self, impression: Impression) -> None:
        """Raise ``ValueError`` unless ``impression`` was made by this template."""
        if not isinstance(impression, Impression):
            raise TypeError(f"expected an Impression, got {type(impression).__name__}")
        if impression.template != self.fingerprint or impression.layers != self.layer_names:
            raise ValueError(
                f"this impression was made by template {impression.template}, not by this one "
                f"({self.fingerprint}); impressions of different templates cannot be mixed")

    def decode(self, impression: Impression, **kwargs) -> Tensor:
        """Decode ``impression`` into images; see :func:`tenfold.impression.decode.decode`."""
        from tenfold.impression.decode import decode
        return decode(self, impression, **kwargs)
