"""Setting rules: the range and constraints of every recipe setting, checked before anything is
written, and listed by ``tenfold settings RECIPE``.

A setting's rule comes from the first of:

1. the field's own declaration, ``lr_d_one_stage: Annotated[float, Rule(low=0)] = 0.0`` (or
   ``Annotated[int, "one-line meaning"]`` for a meaning only);
2. :data:`NAME_RULES`, one table of conventions shared by every recipe (``lr`` > 0, ``*dropout*``
   in [0, 1), ``epochs`` ≥ 1, ``methods`` non-empty and unique, ...), matched on the field name;
3. nothing (only the type checks below).

Whatever the rule, every value is checked against its declared type (``Literal`` choices
included), floats must be finite (NaN and ±inf are refused), and tuples of strings must not repeat
an item. For a tuple the range applies to every item; ``nonempty``/``unique`` to the tuple.
``None`` passes whenever the type allows it (it means "the recipe's default").
"""

from __future__ import annotations

import dataclasses
import fnmatch
import inspect
import math
import re
import types
import typing
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    """Allowed values of one setting.

    Attributes:
        low, high: bounds (``None``: unbounded); ``low_open``/``high_open`` exclude them.
        nonempty: a string or tuple must not be empty.
        unique: a tuple must not repeat an item.
        special: values allowed outside the bounds, with their meaning, e.g. ``{0: "all"}``.
        meaning: one line for ``tenfold settings``.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    nonempty: bool = False
    unique: bool = False
    special: tuple[tuple[Any, str], ...] = ()
    meaning: str = ""

    def describe(self) -> str:
        """The range in words: ``> 0``, ``in [0, 1)``, ``≥ 1, non-empty``, ..."""
        parts = []
        if self.low is not None and self.high is not None:
            parts.append(f"in {'(' if self.low_open else '['}{_num(self.low)}, "
                         f"{_num(self.high)}{')' if self.high_open else ']'}")
        elif self.low is not None:
            parts.append(f"{'>' if self.low_open else '≥'} {_num(self.low)}")
        elif self.high is not None:
            parts.append(f"{'<' if self.high_open else '≤'} {_num(self.high)}")
        if self.nonempty:
            parts.append("non-empty")
        if self.unique:
            parts.append("no repeats")
        parts += [f"{v!r} = {what}" for v, what in self.special]
        return ", ".join(parts)

    def in_range(self, value: float) -> bool:
        if any(value == v and type(value) is type(v) for v, _ in self.special):
            return True
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return not (self.high is not None
                    and (value > self.high or (self.high_open and value == self.high)))


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def positive(meaning: str = "") -> Rule:
    return Rule(low=0, low_open=True, meaning=meaning)


def at_least(low: float, meaning: str = "") -> Rule:
    """``≥ low``."""
    return Rule(low=low, meaning=meaning)


def fraction(meaning: str = "") -> Rule:
    """In [0, 1)."""
    return Rule(low=0, high=1, high_open=True, meaning=meaning)


def probability(meaning: str = "") -> Rule:
    """In [0, 1]."""
    return Rule(low=0, high=1, meaning=meaning)


# The conventions shared by every recipe, matched on the field name (fnmatch), first match wins.
NAME_RULES: tuple[tuple[str, Rule], ...] = (
    ("dataset", Rule(nonempty=True, meaning="dataset name (see `tenfold list`)")),
    ("*dropout*", fraction("dropout probability")),
    ("lr", positive("learning rate")),
    ("lr_*", positive("learning rate")),
    ("*_lr", positive("learning rate")),
    ("weight_decay", at_least(0, "L2 weight decay")),
    ("momentum", fraction("SGD momentum")),
    ("beta1", fraction("Adam's beta1")),
    ("epochs", at_least(1, "training epochs")),
    ("*_epochs", at_least(1, "training epochs")),
    ("iters", at_least(1, "training iterations")),
    ("batch_size", at_least(1, "mini-batch size")),
    ("*_batch_size", at_least(1, "mini-batch size")),
    ("hidden", at_least(1, "hidden units")),
    ("*_hidden", at_least(1, "hidden units")),
    ("heads", at_least(1, "attention heads")),
    ("*_heads", at_least(1, "attention heads")),
    ("*widths", at_least(1, "channels per block")),
    ("zdim", at_least(1, "latent dimension")),
    ("*_dim", at_least(1, "dimension")),
    ("ch", at_least(1, "base channels")),
    ("*_ch", at_least(1, "base channels")),
    ("shots", Rule(low=1, nonempty=True, unique=True, meaning="labelled images per class")),
    ("methods", Rule(nonempty=True, unique=True, meaning="methods to compare")),
    ("modes", Rule(nonempty=True, unique=True, meaning="training modes to compare")),
    ("losses", Rule(nonempty=True, unique=True, meaning="losses to compare")),
    ("patience", at_least(0, "early-stopping patience in epochs")),
    ("warmup", at_least(0, "epochs before early stopping may stop")),
    ("*_every", at_least(0, "steps between two of these (0 = never)")),
    ("lambda_*", at_least(0, "regularisation weight")),
    ("*_weight", at_least(0, "loss weight")),
    ("*_prob", probability("probability")),
    ("*_alpha", positive("Beta distribution parameter")),
    ("*_beta", positive("Beta distribution parameter")),
    ("tau", positive("distillation temperature")),
    ("*temperature", positive("softmax temperature")),
    ("*_ratio", at_least(0, "ratio")),
    ("*_size", at_least(0, "number of items")),
    ("*_steps", at_least(0, "optimisation steps")),
    ("num_*", at_least(0, "count")),
    ("max_*", at_least(0, "upper limit")),
    ("*_seed", at_least(0, "fixed seed (separate from the run's seeds)")),
    ("cpu_threads", at_least(0, "CPU threads (0 = leave torch's choice)")),
    ("split", at_least(0, "per-class sizes")),
)


@dataclass(frozen=True)
class Setting:
    """One field of a config dataclass, with everything ``tenfold settings`` shows."""

    name: str
    type: Any            # the declared type without Annotated
    default: Any
    rule: Rule
    meaning: str

    @property
    def type_name(self) -> str:
        return type_name(self.type)


def type_name(annotation: Any) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return "|".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join("None" if a is type(None) else type_name(a) for a in args)
    if origin in (tuple, list):
        return f"list of {type_name(args[0]) if args else 'str'}"
    return getattr(annotation, "__name__", str(annotation))


def settings_of(cls: type) -> dict[str, Setting]:
    """Every field of config dataclass ``cls`` with its type, default, rule and meaning."""
    hints = typing.get_type_hints(cls, include_extras=True)
    comments = _field_comments(cls)
    out: dict[str, Setting] = {}
    for f in dataclasses.fields(cls):
        annotation, rule, meaning = _unpack(hints[f.name])
        if rule is None:
            rule = next((r for pattern, r in NAME_RULES if fnmatch.fnmatchcase(f.name, pattern)),
                        Rule())
        meaning = meaning or rule.meaning or comments.get(f.name, "")
        if comments.get(f.name) and not meaning.startswith(comments[f.name]):
            meaning = comments[f.name] if not meaning else f"{meaning}; {comments[f.name]}"
        default = (f.default if f.default is not dataclasses.MISSING
                   else f.default_factory() if f.default_factory is not dataclasses.MISSING
                   else None)
        out[f.name] = Setting(f.name, annotation, default, rule, meaning)
    return out


def _unpack(hint: Any) -> tuple[Any, Rule | None, str]:
    """``Annotated[T, Rule(...), "meaning"]`` -> ``(T, rule, meaning)``."""
    if typing.get_origin(hint) is not typing.Annotated:
        return hint, None, ""
    base, *extras = typing.get_args(hint)
    rule = next((e for e in extras if isinstance(e, Rule)), None)
    meaning = next((e for e in extras if isinstance(e, str)), "")
    return base, rule, meaning


def _field_comments(cls: type) -> dict[str, str]:
    """Trailing ``# comments`` of the field lines in the class source (their one-line meaning)."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    found = {}
    for match in re.finditer(r"^\s+(\w+)\s*:[^#\n]*#\s*(.+?)\s*$", source, re.MULTILINE):
        found.setdefault(match[1], match[2])
    return found


def problem(setting: Setting, value: Any) -> str | None:
    """What is wrong with ``value`` for ``setting`` (``None`` if nothing)."""
    wrong_type = _type_problem(value, setting.type)
    if wrong_type:
        return wrong_type
    if value is None:
        return None
    rule = setting.rule
    items = value if isinstance(value, tuple | list) else (value,)
    if rule.nonempty and len(value) == 0:
        return "must not be empty"
    if (rule.unique or _is_str_tuple(setting.type)) and isinstance(value, tuple | list) \
            and len(set(value)) != len(value):
        repeated = sorted({str(v) for v in value if list(value).count(v) > 1})
        return f"repeats {', '.join(repeated)} (each item at most once)"
    for item in items:
        if isinstance(item, float) and not math.isfinite(item):
            return "must be a finite number"
        if isinstance(item, int | float) and not isinstance(item, bool) \
                and not rule.in_range(item):
            return f"must be {rule.describe()}"
    return None


def _is_str_tuple(annotation: Any) -> bool:
    annotation = strip_optional(annotation)
    if typing.get_origin(annotation) not in (tuple, list):
        return False
    args = typing.get_args(annotation)
    item = args[0] if args else str
    return item is str or typing.get_origin(item) is typing.Literal


def strip_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(inner) == 1:
            return inner[0]
    return annotation


def _type_problem(value: Any, annotation: Any) -> str | None:
    """``None`` if ``value`` has type ``annotation``; otherwise what was expected."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if any(_type_problem(value, a) is None for a in args):
            return None
        return f"expected {type_name(annotation)}, got {value!r}"
    if origin is typing.Literal:
        return None if value in args and isinstance(value, str | int | bool) else (
            f"expected one of {', '.join(map(str, args))}, got {value!r}")
    if origin in (tuple, list):
        if not isinstance(value, tuple | list):
            return f"expected {type_name(annotation)}, got {value!r}"
        item = args[0] if args else str
        for v in value:
            bad = _type_problem(v, item)
            if bad:
                return bad
        return None
    if annotation is type(None):
        return None if value is None else f"expected None, got {value!r}"
    if annotation is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif annotation is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif annotation in (bool, str):
        ok = isinstance(value, annotation)
    else:
        ok = True  # a type the CLI cannot set: the recipe's own business
    return None if ok else f"expected {type_name(annotation)}, got {value!r}"
