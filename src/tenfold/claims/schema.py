"""One schema for benchmark results: what a results file holds once read.

A results file (``benchmarks/results/<name>.json``) is read into one or more :class:`Record`\\ s,
one per *section* (a file may hold several experiments, e.g. one per dataset). Schema version 1
(``"schema": "tenfold.results/1"``) is::

    {"schema": "tenfold.results/1",
     "benchmark": "spagan_reproduce",          # the script that wrote it
     "command": "python benchmarks/...",       # the exact command line
     "commit": "<git HEAD>" | "unknown",       # "unknown" for files written before it was kept
     "machine": {"processor": ..., "gpu": ...},
     "date": "2026-11-26T18:11:18Z",
     "settings": {...},                        # every setting of the run
     "seeds": [0, 1, 2],
     "per_seed": {"0": {"<method>": {"<metric>": 0.83, ...}, ...}, ...}}

A file with several experiments (one per dataset, say) holds them as sections, each a record of
the form above (``"schema"`` may be left out inside)::

    {"schema": "tenfold.results/1", "sections": {"cora": {...}, "citeseer": {...}}}

and is named ``file.json#cora`` by a claim.

``per_seed`` is the same ``{seed: {method: {metric: number}}}`` as a run directory's seed files
(:func:`tenfold.results.load_run`). Files written by older benchmarks are read through
:mod:`tenfold.claims.adapters` into this form; their numbers are kept as they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tenfold.errors import TenfoldError

SCHEMA = "tenfold.results/1"

__all__ = ["SCHEMA", "Record", "ResultsSchemaError", "numeric_metrics", "validate_file",
           "validate_record"]


class ResultsSchemaError(TenfoldError):
    """A results file does not have the schema's form (the message names the file and field)."""


@dataclass(frozen=True)
class Record:
    """One experiment of a results file, in schema version 1 (see the module docstring).

    ``source`` is ``"<file name>"`` or ``"<file name>#<section>"``; ``per_seed`` maps an int
    seed to ``{method: {metric: float}}``.
    """

    source: str
    benchmark: str
    command: str
    commit: str
    machine: dict[str, Any]
    date: str
    settings: dict[str, Any]
    seeds: list[int]
    per_seed: dict[int, dict[str, dict[str, float]]]
    notes: list[str] = field(default_factory=list)

    def values(self, method: str, metric: str) -> dict[int, float]:
        """``{seed: value}`` of ``method``'s ``metric`` over the seeds that have it."""
        return {s: arms[method][metric] for s, arms in sorted(self.per_seed.items())
                if method in arms and metric in arms[method]}

    @property
    def machine_label(self) -> str:
        """``"NVIDIA H200"`` for a GPU run, else the processor with its thread count."""
        if self.machine.get("gpu"):
            return str(self.machine["gpu"])
        proc = str(self.machine.get("processor") or "unknown CPU")
        threads = self.machine.get("cpu_threads")
        return f"{proc} CPU" + (f", {threads} thread{'s' if threads != 1 else ''}"
                                if threads else "")

    def to_json(self) -> dict[str, Any]:
        """The schema-1 JSON form (seeds as strings in ``per_seed``, as JSON requires)."""
        return {"schema": SCHEMA, "benchmark": self.benchmark, "command": self.command,
                "commit": self.commit, "machine": self.machine, "date": self.date,
                "settings": self.settings, "seeds": list(self.seeds),
                "per_seed": {str(s): arms for s, arms in self.per_seed.items()}}


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def numeric_metrics(metrics: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """The finite numeric entries of ``metrics``; nested dicts flattened with dotted keys
    (``{"equal_time": {"fd_test": x}}`` -> ``"equal_time.fd_test"``); strings, lists,
    booleans and non-finite numbers are dropped."""
    out: dict[str, float] = {}
    for k, v in metrics.items():
        if _is_number(v) and math.isfinite(v):
            out[prefix + k] = float(v)
        elif isinstance(v, dict):
            out.update(numeric_metrics(v, f"{prefix}{k}."))
    return out


def validate_record(data: Any, source: str) -> Record:
    """Check ``data`` (a schema-1 dict) and return it as a :class:`Record`.

    Raises :class:`ResultsSchemaError` naming ``source`` and the first field that is wrong:
    a missing or mistyped header field, seeds that are not integers, a ``per_seed`` seed not in
    ``seeds``, a value that is not a finite number.
    """
    def bad(what: str) -> ResultsSchemaError:
        return ResultsSchemaError(f"{source}: {what} (schema {SCHEMA})")

    if not isinstance(data, dict):
        raise bad(f"expected a JSON object, got {type(data).__name__}")
    if data.get("schema", SCHEMA) != SCHEMA:
        raise bad(f"unknown schema {data.get('schema')!r}")
    for key, kind in (("benchmark", str), ("command", str), ("commit", str), ("date", str),
                      ("machine", dict), ("settings", dict), ("seeds", list),
                      ("per_seed", dict)):
        if key not in data:
            raise bad(f"field {key!r} is missing")
        if not isinstance(data[key], kind):
            raise bad(f"field {key!r} should be a {kind.__name__}, "
                      f"got {type(data[key]).__name__}")
    if not data["command"].strip():
        raise bad("field 'command' is empty")
    seeds = data["seeds"]
    if not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise bad(f"'seeds' should be integers, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise bad(f"'seeds' repeats a seed: {seeds!r}")
    per_seed: dict[int, dict[str, dict[str, float]]] = {}
    for key, arms in data["per_seed"].items():
        try:
            seed = int(key)
        except (TypeError, ValueError):
            raise bad(f"per_seed key {key!r} is not a seed number") from None
        if seed not in seeds:
            raise bad(f"per_seed has seed {seed}, which is not in 'seeds' {seeds}")
        if not isinstance(arms, dict):
            raise bad(f"per_seed[{key!r}] should be {{method: {{metric: number}}}}")
        per_seed[seed] = {}
        for method, metrics in arms.items():
            if not isinstance(metrics, dict):
                raise bad(f"per_seed[{key!r}][{method!r}] should be {{metric: number}}")
            for metric, value in metrics.items():
                if not _is_number(value) or not math.isfinite(value):
                    raise bad(f"per_seed[{key!r}][{method!r}][{metric!r}] = {value!r} is not a "
                              "finite number")
            per_seed[seed][method] = {m: float(v) for m, v in metrics.items()}
    return Record(source=source, benchmark=data["benchmark"], command=data["command"],
                  commit=data["commit"], machine=data["machine"], date=data["date"],
                  settings=data["settings"], seeds=sorted(seeds), per_seed=per_seed,
                  notes=list(data.get("notes", [])))


def validate_file(data: Any, source: str) -> dict[str, Record]:
    """Check a whole schema-1 file: ``{"": Record}`` for one experiment, ``{section: Record}``
    for a file with ``"sections"``; errors name ``source`` (``source#section``) and the field."""
    if isinstance(data, dict) and "sections" in data:
        if data.get("schema") != SCHEMA:
            raise ResultsSchemaError(f"{source}: a file with sections needs \"schema\": "
                                     f"{SCHEMA!r}, got {data.get('schema')!r}")
        sections = data["sections"]
        if not isinstance(sections, dict) or not sections:
            raise ResultsSchemaError(f"{source}: 'sections' should be a non-empty "
                                     f"{{name: record}} (schema {SCHEMA})")
        return {str(name): validate_record(rec, f"{source}#{name}")
                for name, rec in sections.items()}
    return {"": validate_record(data, source)}
