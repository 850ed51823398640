"""Recipe configurations: presets, ``--set key=value`` overrides and seed ranges.

A recipe's configuration is a plain dataclass. Overrides are parsed against the field's declared
type, so ``--set lr=abc`` or ``--set nosuchkey=1`` is refused before anything is written; then
every value is checked against its rule (:mod:`tenfold.runtime.rules`: ``lr`` > 0, dropout in
[0, 1), finite floats, ...).
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from typing import Any

from tenfold.errors import ConfigError
from tenfold.runtime.rules import problem, settings_of, strip_optional

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


MAX_SEEDS = 100
"""Default upper bound on the number of seeds of one run (``--max-seeds`` raises it)."""

MAX_SEED_VALUE = 2**32 - 1


def parse_seeds(text: str, max_count: int = MAX_SEEDS) -> list[int]:
    """Parse ``"0-4"`` (inclusive range), ``"3"`` or ``"0,2,5"`` into a list of seeds.

    At most ``max_count`` seeds (counted before any list is built, so ``0-99999999999`` is refused
    at once), each in ``0 .. 2**32 - 1``, none repeated."""
    bounds: list[tuple[int, int]] = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d{1,12})\s*(?:-\s*(\d{1,12})\s*)?", part)
        if match is None or (match[2] is not None and int(match[2]) < int(match[1])):
            raise ConfigError(
                f"--seeds {text!r} is not a seed list: expected a number (3), an inclusive range "
                "(0-4) or a comma list (0,2,5) of integers in 0..4294967295"
            )
        lo = int(match[1])
        hi = int(match[2]) if match[2] is not None else lo
        if hi > MAX_SEED_VALUE:
            raise ConfigError(f"--seeds {text!r}: seeds must lie in 0..{MAX_SEED_VALUE}")
        bounds.append((lo, hi))
    count = sum(hi - lo + 1 for lo, hi in bounds)
    if count > max_count:
        raise ConfigError(f"--seeds {text!r} asks for {count} seeds, more than the limit of "
                          f"{max_count}; raise it with --max-seeds {count} if you mean it")
    seeds = [s for lo, hi in bounds for s in range(lo, hi + 1)]
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"--seeds {text!r}: seeds must be distinct")
    return seeds


def _coerce(name: str, raw: str, annotation: Any) -> Any:
    """Convert the string ``raw`` to the type ``annotation`` of field ``name``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if raw.lower() in {"none", "null"} and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(name, raw, inner[0])
    if origin in (tuple, list):
        item_type = args[0] if args else str
        items = [s for s in raw.replace(";", ",").split(",") if s.strip()]
        values = [_coerce(name, s.strip(), item_type) for s in items]
        return tuple(values) if origin is tuple else values
    if origin is typing.Literal:
        if raw not in args:
            raise ConfigError(f"--set {name}={raw!r}: expected one of {', '.join(map(str, args))}")
        return raw
    try:
        if annotation is bool:
            if raw.lower() in _TRUE:
                return True
            if raw.lower() in _FALSE:
                return False
            raise ValueError
        if annotation is int:
            return int(raw)
        if annotation is float:
            return float(raw)
        if annotation is str:
            return raw
    except ValueError:
        raise ConfigError(
            f"--set {name}={raw!r}: expected a value of type {annotation.__name__}"
        ) from None
    raise ConfigError(f"--set {name}: fields of type {annotation!r} cannot be set from the CLI")


def config_fields(cls: type) -> dict[str, Any]:
    """Map field name -> resolved type annotation for a config dataclass."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def parse_overrides(cls: type, pairs: list[str]) -> dict[str, Any]:
    """Parse ``["key=value", ...]`` against the fields of dataclass ``cls``."""
    fields = config_fields(cls)
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f"--set {pair!r}: expected key=value")
        key, raw = pair.split("=", 1)
        key = key.strip()
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"--set {key}: unknown setting for this recipe; "
                              f"known settings: {known}")
        out[key] = _coerce(key, raw.strip(), fields[key])
    return out


def check_config(config: Any, where: str = "") -> None:
    """Refuse a config whose values break their type or rule (:mod:`tenfold.runtime.rules`).

    ``where`` prefixes the message (e.g. the stored ``config.json``)."""
    for name, setting in settings_of(type(config)).items():
        value = getattr(config, name)
        wrong = problem(setting, value)
        if wrong:
            shown = ",".join(map(str, value)) if isinstance(value, tuple | list) else value
            meaning = f" ({setting.meaning})" if setting.meaning else ""
            raise ConfigError(f"{where}setting {name}={shown}: {wrong}{meaning}")


def build_config(cls: type, preset: dict[str, Any], overrides: dict[str, Any]) -> Any:
    """Instantiate ``cls`` from its defaults, then a preset, then explicit overrides, and check
    every value against its type and rule."""
    values = {**preset, **overrides}
    unknown = set(values) - set(config_fields(cls))
    if unknown:
        raise ConfigError(f"unknown settings for {cls.__name__}: {', '.join(sorted(unknown))}")
    try:
        config = cls(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None
    check_config(config)
    return config


def config_to_dict(config: Any) -> dict[str, Any]:
    """JSON-ready dict of a config dataclass (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def config_from_dict(cls: type, data: dict[str, Any], where: str = "stored config: ") -> Any:
    """Rebuild a config from :func:`config_to_dict` output (lists back to tuples), checking
    every value as :func:`build_config` does."""
    fields = config_fields(cls)
    if not isinstance(data, dict):
        raise ConfigError(f"{where}settings must be a JSON object")
    values = {}
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(f"{where}unknown setting {key!r} for {cls.__name__}")
        if isinstance(value, list) and typing.get_origin(strip_optional(fields[key])) is tuple:
            value = tuple(value)
        values[key] = value
    try:
        config = cls(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}invalid settings: {exc}") from None
    check_config(config, where)
    return config
