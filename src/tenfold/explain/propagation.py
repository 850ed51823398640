"""``LearnedPropagation``: attribution maps from one forward and one rule-modified backward pass,
with the rule at every ReLU trained to make the maps faithful (arXiv 2010.07210, reconstructed).

Installing swaps every ``nn.ReLU`` module of the model (torchvision's re-used and in-place ones
included) for a wrapper whose forward is ``max(0, x)`` (logits stay bit-identical) and whose
backward applies a :class:`~tenfold.explain.rules.PropagationRule`. The attribution of class
``c`` for input ``x`` is

    A(x) = d~ f_c(x) / dx        (the backward pass with the rule at every ReLU)

and, reduced over channels, the mask ``M = s / max(s)`` with ``s = sum_channels |A|`` (per sample).
Training the rule (the classifier is frozen) minimises, over images ``x`` with predicted class
``c`` and reference ``x_ref`` (zeros by default),

    L(theta) = w_keep * KL(p(x) || p(M * x + (1 - M) * x_ref))
             + w_del  * p_c((1 - M) * x + M * x_ref)
             + w_area * mean(M)

where ``p = softmax(f)``: the masked image must keep the prediction, the image without the masked
pixels must lose it, and the mask must be small. ``L`` reaches ``theta`` only through ``A``, so
the gradient is a second-order one (the backward pass is taken with ``create_graph=True``).

Two optional changes of the objective (both off by default in the class; the recipe turns them
on after a validation sweep, docs/methods/attribution.md):

* ``mask_smoothing = k`` (odd): the objective's mask is built from the k x k box average of ``s``,
  ``M = S_k(s) / max S_k(s)``, so that keeping and deleting act on regions rather than on single
  pixels (pixel-level masks can keep or delete the class by scattered, adversarial-looking pixels;
  Fong & Vedaldi, ICCV 2017, smooth their masks for that reason). ``attribute`` is unchanged.
* ``contrast_weight = w_con``: with ``c'`` the runner-up class and ``M'`` its mask,
  ``+ w_con * mean_i( sum(M_i * M'_i) / sum(M_i) )``: the map of the predicted class must not
  cover the evidence of another class (class-specificity).
The paper's body could not be read; this objective is the spec's reconstruction from its abstract
("the masked input image is fed into the model again to obtain new output that can be used as a
guidance when combined with the original one"); docs/methods/attribution.md says so.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from tenfold.explain.rules import PropagationRule, make_rule

log = logging.getLogger(__name__)

# Non-linear modules the swap does not cover: explaining through them would silently use their
# plain gradient, so installing refuses models that contain them.
UNSUPPORTED_ACTIVATIONS = (nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ELU, nn.SELU, nn.CELU,
                           nn.GELU, nn.SiLU, nn.Mish, nn.Hardswish, nn.Softplus, nn.Hardtanh)
_FUNCTIONAL_RELUS = (F.relu, F.relu_, torch.relu, torch.relu_, torch.Tensor.relu,
                     torch.Tensor.relu_)
_THIS_DIR = str(Path(__file__).resolve().parent)
_TORCH_DIR = str(Path(torch.__file__).resolve().parent)


class FunctionalReLUError(ValueError):
    """The model calls a functional ReLU, which module swapping cannot reach."""


class _RuleReLUFunction(torch.autograd.Function):
    """``y = max(0, x)``; backward ``rule(x, g)`` in differentiable ops (second order works)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, rule: PropagationRule) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.rule = rule
        return x.clamp_min(0)

    @staticmethod
    def backward(ctx, g: torch.Tensor):
        (x,) = ctx.saved_tensors
        return ctx.rule(x, g), None


class RuleReLU(nn.Module):
    """Stands in for one ``nn.ReLU`` while a :class:`LearnedPropagation` is installed.

    The rule is held outside the module tree, so the model's ``state_dict`` is unchanged.
    """

    def __init__(self, original: nn.ReLU, owner: LearnedPropagation):
        super().__init__()
        self.original = [original]          # a list: not registered as a submodule
        self.owner = [owner]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        owner = self.owner[0]
        if owner._plain:            # true ReLU derivative (the objective's own forward passes)
            return x.clamp_min(0)
        return _RuleReLUFunction.apply(x, owner.rule)


class _FunctionalReLUDetector(TorchFunctionMode):
    """Records the first functional ReLU call made under it, with the caller's file and line."""

    def __init__(self):
        super().__init__()
        self.call: str | None = None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if self.call is None and any(func is f for f in _FUNCTIONAL_RELUS):
            site = "unknown location"
            for frame in reversed(traceback.extract_stack()[:-1]):
                path = str(Path(frame.filename).resolve())
                if not path.startswith(_THIS_DIR) and not path.startswith(_TORCH_DIR):
                    site = f"{frame.filename}:{frame.lineno} ({frame.line})"
                    break
            name = getattr(func, "__qualname__", getattr(func, "__name__", str(func)))
            mod = getattr(func, "__module__", None) or "torch.Tensor"
            self.call = f"{mod}.{name} at {site}"
        return func(*args, **(kwargs or {}))


def _select(output: torch.Tensor, target: int | torch.Tensor | None) -> torch.Tensor:
    """``output[i, target_i]`` for each row (``target=None``: the arg-max class)."""
    if output.dim() != 2:
        raise ValueError(f"the model must return (B, num_classes) scores, got shape "
                         f"{tuple(output.shape)}")
    b = output.shape[0]
    if target is None:
        idx = output.detach().argmax(1)
    elif isinstance(target, int):
        idx = torch.full((b,), target, dtype=torch.long, device=output.device)
    else:
        idx = torch.as_tensor(target, device=output.device).long().reshape(-1)
        if idx.numel() == 1 and b != 1:
            idx = idx.expand(b)
        if idx.shape[0] != b:
            raise ValueError(f"target: expected an int or {b} class indices, got shape "
                             f"{tuple(idx.shape)}")
    if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= output.shape[1]):
        raise ValueError(f"target: class indices must lie in [0, {output.shape[1]}), got "
                         f"{idx.tolist()}")
    return output.gather(1, idx.view(-1, 1)).squeeze(1), idx


def reduce_map(attr: torch.Tensor, reduce: str) -> torch.Tensor:
    """``"none"``: ``attr`` as is (B, C, ...); ``"abs_sum"``: ``sum_c |attr|``; ``"sum"``:
    ``sum_c attr`` (both (B, 1, ...))."""
    if reduce == "none":
        return attr
    if reduce == "abs_sum":
        return attr.abs().sum(1, keepdim=True)
    if reduce == "sum":
        return attr.sum(1, keepdim=True)
    raise ValueError(f"reduce: expected 'none', 'abs_sum' or 'sum', got {reduce!r}")


class LearnedPropagation:
    """A Captum-shaped explainer whose ReLU backward rule is a (learned) :class:`PropagationRule`.

    Args:
        model: a classifier returning ``(B, num_classes)`` scores; its ``nn.ReLU`` modules are
            swapped while installed. It is never modified otherwise (``fit`` leaves every
            parameter and buffer bit-identical).
        rule: ``"learned"`` (a fresh :class:`~tenfold.explain.rules.LogisticRule`), ``"mlp"``,
            ``"gradient"``, ``"guided"``, ``"deconvnet"`` or a rule object.
        reference: the value of removed pixels in the objective (``"zeros"`` or a tensor
            broadcastable to the inputs).
        keep_weight, delete_weight, area_weight: the objective's weights (module docstring).
        mask_smoothing: window of the box average applied to ``s`` before the objective's mask
            (0 or 1: none; odd sizes only, so the mask stays centred).
        contrast_weight: weight of the class-contrastive overlap term (0: off).

    ``attribute(inputs, target=None, reduce="none")`` returns the rule-modified gradient
    (``(B, C, H, W)`` like Captum's ``Saliency(abs=False)`` / ``GuidedBackprop``), from one forward
    and one backward pass. With ``rule="gradient"`` it equals ``torch.autograd.grad``, with
    ``"guided"`` / ``"deconvnet"`` Captum's ``GuidedBackprop`` / ``Deconvolution``.
    """

    def __init__(self, model: nn.Module, rule: str | PropagationRule = "learned",
                 reference: Literal["zeros"] | torch.Tensor = "zeros", keep_weight: float = 1.0,
                 delete_weight: float = 1.0, area_weight: float = 0.2, mask_smoothing: int = 0,
                 contrast_weight: float = 0.0):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model: expected an nn.Module, got {type(model).__name__}")
        if isinstance(reference, str) and reference != "zeros":
            raise ValueError(f"reference: expected 'zeros' or a tensor, got {reference!r}")
        for name, w in (("keep_weight", keep_weight), ("delete_weight", delete_weight),
                        ("area_weight", area_weight), ("contrast_weight", contrast_weight)):
            if not (w >= 0):
                raise ValueError(f"{name} must be a number >= 0, got {w}")
        if (not isinstance(mask_smoothing, int) or mask_smoothing < 0
                or (mask_smoothing > 1 and mask_smoothing % 2 == 0)):
            raise ValueError(f"mask_smoothing: expected 0 (off) or an odd window size, got "
                             f"{mask_smoothing!r}")
        self.model = model
        self.rule = make_rule(rule)
        self.reference = reference
        self.keep_weight, self.delete_weight, self.area_weight = (keep_weight, delete_weight,
                                                                  area_weight)
        self.mask_smoothing, self.contrast_weight = mask_smoothing, contrast_weight
        self._swapped: list[tuple[nn.Module, str, nn.ReLU]] | None = None
        self._checked = False
        self._plain = False

    # -- installing -------------------------------------------------------------------------
    def _relu_slots(self) -> list[tuple[nn.Module, str, nn.ReLU]]:
        slots, bad = [], []
        for parent in self.model.modules():
            for name, child in parent._modules.items():
                if isinstance(child, RuleReLU):
                    raise RuntimeError("the model already has a LearnedPropagation installed")
                if type(child) is nn.ReLU:
                    slots.append((parent, name, child))
                elif isinstance(child, UNSUPPORTED_ACTIVATIONS) or (
                        isinstance(child, nn.ReLU) and type(child) is not nn.ReLU):
                    bad.append(f"{type(child).__name__} ({name})")
        if bad:
            raise ValueError("LearnedPropagation handles nn.ReLU only; the model also has "
                             f"{', '.join(sorted(set(bad)))}, whose plain gradient would be used")
        if not slots:
            raise ValueError("LearnedPropagation: the model has no nn.ReLU module to modify; if it "
                             "calls torch.nn.functional.relu, use nn.ReLU modules instead")
        return slots

    @contextmanager
    def installed(self) -> Iterator[LearnedPropagation]:
        """Swap every ``nn.ReLU`` for a rule wrapper; on exit put the original modules back.

        Re-entrant: an inner ``installed()`` of an already installed explainer does nothing.
        """
        if self._swapped is not None:
            yield self
            return
        slots = self._relu_slots()
        wrappers: dict[int, RuleReLU] = {}
        for parent, name, relu in slots:
            wrapper = wrappers.setdefault(id(relu), RuleReLU(relu, self))
            parent._modules[name] = wrapper
        self._swapped = slots
        try:
            yield self
        finally:
            for parent, name, relu in slots:
                parent._modules[name] = relu
            self._swapped = None

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        """The model's forward (installed); the first call checks for functional ReLUs."""
        if self._checked:
            return self.model(x)
        detector = _FunctionalReLUDetector()
        with detector:
            out = self.model(x)
        if detector.call is not None:
            raise FunctionalReLUError(
                f"the model calls a functional ReLU ({detector.call}); module swapping cannot "
                "change its backward pass, so the map would silently be the plain gradient "
                "there. Replace the call by an nn.ReLU module.")
        self._checked = True
        return out

    # -- attribution ------------------------------------------------------------------------
    def _attribution(self, inputs: torch.Tensor, target, create_graph: bool
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if not isinstance(inputs, torch.Tensor) or inputs.dim() < 2:
            raise ValueError("inputs: expected a batched tensor (B, ...), got "
                             f"{getattr(inputs, 'shape', type(inputs).__name__)}")
        x = inputs.detach().requires_grad_(True)
        with self.installed():
            out = self._forward(x)
            score, idx = _select(out, target)
            (grad,) = torch.autograd.grad(score.sum(), x, create_graph=create_graph)
        return grad, out, idx

    def attribute(self, inputs: torch.Tensor, target: int | torch.Tensor | None = None,
                  reduce: Literal["none", "abs_sum", "sum"] = "none") -> torch.Tensor:
        """Attribution of ``target`` (default: the predicted class) for each input.

        Returns ``(B, C, ...)`` (``reduce="none"``) or ``(B, 1, ...)``; detached.
        """
        grad, _, _ = self._attribution(inputs, target, create_graph=False)
        return reduce_map(grad, reduce).detach()

    def mask(self, inputs: torch.Tensor, target: int | torch.Tensor | None = None,
             create_graph: bool = False) -> torch.Tensor:
        """The objective's mask: ``M = s / max(s)`` with ``s = sum_c |A|`` (box-averaged first if
        ``mask_smoothing`` is set) per sample, ``(B, 1, ...)`` in [0, 1]."""
        grad, _, _ = self._attribution(inputs, target, create_graph)
        return self._objective_mask(grad)

    # -- training the rule ------------------------------------------------------------------
    def objective(self, inputs: torch.Tensor, target: int | torch.Tensor | None = None
                  ) -> tuple[torch.Tensor, dict[str, float]]:
        """The training loss ``L(theta)`` on ``inputs`` (graph kept for a second-order
        backward) and its parts as floats."""
        grad, out, idx = self._attribution(inputs, target, create_graph=True)
        m = self._objective_mask(grad)
        x = inputs.detach()
        ref = torch.zeros_like(x) if isinstance(self.reference, str) else \
            self.reference.to(x).expand_as(x)
        # The masked images go through the model with the true ReLU derivative: dL/dtheta must
        # be the exact gradient of L, not one that the rule itself would bend.
        self._plain = True
        try:
            kept = self.model(m * x + (1 - m) * ref)
            deleted = self.model((1 - m) * x + m * ref)
        finally:
            self._plain = False
        log_p0 = F.log_softmax(out.detach(), 1)
        keep = F.kl_div(F.log_softmax(kept, 1), log_p0, log_target=True, reduction="batchmean")
        delete = F.softmax(deleted, 1).gather(1, idx.view(-1, 1)).mean()
        area = m.mean()
        loss = self.keep_weight * keep + self.delete_weight * delete + self.area_weight * area
        parts = {"keep_kl": keep, "delete_prob": delete, "mask_area": area}
        if self.contrast_weight > 0:
            if out.shape[1] < 2:
                raise ValueError("contrast_weight > 0 needs a model with at least two classes")
            others = out.detach().scatter(1, idx.view(-1, 1), float("-inf"))
            grad2, _, _ = self._attribution(inputs, others.argmax(1), create_graph=True)
            m2 = self._objective_mask(grad2)
            overlap = ((m * m2).flatten(1).sum(1)
                       / m.flatten(1).sum(1).clamp_min(1e-12)).mean()
            loss = loss + self.contrast_weight * overlap
            parts["overlap"] = overlap
        parts["loss"] = loss
        return loss, {k: float(v.detach()) for k, v in parts.items()}

    def _objective_mask(self, grad: torch.Tensor) -> torch.Tensor:
        """The objective's mask ``M`` in [0, 1], ``(B, 1, ...)``: ``sum_c |A|``, box-averaged over
        ``mask_smoothing`` pixels if set (2-D maps only), over its per-sample maximum."""
        s = grad.abs().sum(1, keepdim=True)
        k = self.mask_smoothing
        if k > 1:
            if s.dim() != 4:
                raise ValueError(f"mask_smoothing needs image inputs (B, C, H, W), got shape "
                                 f"{tuple(grad.shape)}")
            s = F.avg_pool2d(s, k, stride=1, padding=k // 2, count_include_pad=False)
        return _max_normalise(s)

    def rule_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.rule.parameters() if p.requires_grad]

    def fit_step(self, inputs: torch.Tensor, optimizer: torch.optim.Optimizer,
                 target: int | torch.Tensor | None = None) -> dict[str, float]:
        """One optimiser step on the rule's parameters (the model in eval mode, untouched)."""
        params = self.rule_parameters()
        if not params:
            raise ValueError("this rule has no trainable parameters (a fixed rule?)")
        was_training = self.model.training
        self.model.eval()
        try:
            loss, parts = self.objective(inputs, target)
            grads = torch.autograd.grad(loss, params, allow_unused=True)
        finally:
            self.model.train(was_training)
        optimizer.zero_grad(set_to_none=True)
        for p, g in zip(params, grads, strict=True):
            p.grad = torch.zeros_like(p) if g is None else g
        optimizer.step()
        return parts

    def fit(self, loader: Iterable, steps: int, lr: float = 1e-2,
            optimizer: torch.optim.Optimizer | None = None,
            callback: Callable[[int, dict[str, float]], None] | None = None
            ) -> list[dict[str, float]]:
        """Train the rule for ``steps`` batches of ``loader`` (cycled; items ``x`` or
        ``(x, ...)``; the target is the model's prediction). Adam(``lr``) unless ``optimizer``.
        Returns the per-step loss parts."""
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        if not self.rule_parameters():
            raise ValueError("this rule has no trainable parameters (a fixed rule?)")
        if optimizer is None:
            optimizer = torch.optim.Adam(self.rule_parameters(), lr=lr)
        history: list[dict[str, float]] = []
        while len(history) < steps:
            empty = True
            for batch in loader:
                empty = False
                x = batch[0] if isinstance(batch, (tuple, list)) else batch
                parts = self.fit_step(x, optimizer)
                history.append(parts)
                if callback is not None:
                    callback(len(history) - 1, parts)
                if len(history) >= steps:
                    break
            if empty:
                raise ValueError("loader yielded no batches")
        return history


def _max_normalise(s: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    return s / s.flatten(1).amax(1).clamp_min(eps).view(-1, *([1] * (s.dim() - 1)))
