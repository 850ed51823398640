"""Read every results file written so far into the schema of :mod:`tenfold.claims.schema`.

The benchmarks wrote their files in a handful of shapes before the schema existed. Each shape
has one adapter below that finds ``{seed: {method: {metric: number}}}`` and the header (command,
machine, date, settings) in it; the numbers are copied, never recomputed. A file that no
adapter recognises raises :class:`UnadaptableFile`; ``docs/ledger.md`` names those files.

Shapes (tried in this order):

``schema``    a schema-1 file (``"schema": "tenfold.results/1"``; with ``"sections"``, one
              section each).
``per_seed``  ``{"per_seed": {seed: {method: {metric: x}}}, "command", ...}`` (twp, netgraft,
              snapmix_accuracy, osgan_quality; nested metrics become ``"outer.inner"``).
``table``     ``{"seeds": [...], "table": {method: {metric: [x per seed] | {"values": [...]}}}}``
              (dfad; its one-stage / two-stage wall-time ratios become ``time_to_*.ratio``).
``runs``      ``{"runs": [{"seeds", "preset", "results": {dataset: {method:
              {"<metric>_per_seed": [...]}}}}]}`` (gnn_baselines); section ``<dataset>-<preset>``.
``dataset_runs`` ``{"runs": [{"command", "datasets": {dataset: {"seeds": {seed: {metric:
              {method: x} | x}}}}}]}`` (spagan_cost); section ``<dataset>``; a metric that is a
              plain number (the graph's size, path-generation seconds) goes to the arm ``run``.
``rows``      ``{"rows": [{"seed", "method", metric: x, ...}]}`` (snapmix_finetune,
              snapmix_flowers_gpu); a row's ``init`` joins the method name as ``method@init``;
              a row without ``method`` is named by its text fields joined by ``/``
              (snapmix_label_fidelity: ``"none/eval"``, CAM model / BN mode).
``timings``   ``{"results": {section: {"ms_per_iter_median" | "median_step_s": {method: x}}}}``
              with one seed (osgan_speed, snapmix_cost); section = the results key.
``sections``  ``{section: [{"per_seed", "command", ...}, ...]}`` (spagan_reproduce,
              factorgcn): each list holds the invocations of one section, merged by seed.
``values``    ``{"seeds": [...], key: {sub: {method: {metric: {"values": [x per seed]}}}}}``
              (tracking); section ``<key>-<sub>``; also ``key: {method: {metric: {"values":
              [...]}}}`` (section ``<key>``) and a deterministic run ``key: {method: {metric:
              x}}`` (section ``<key>``, recorded as seed 0); a section re-run on its own takes
              its command from ``data["sections"][key]``.
``nested``    ``{key: {name: {"per_seed": {...}, "settings", ...}}}`` (udor's layouts); section
              ``<name>``.
"""

from __future__ import annotations

import glob
import json
import math
from pathlib import Path
from typing import Any

from tenfold.claims.schema import (
    SCHEMA,
    Record,
    ResultsSchemaError,
    numeric_metrics,
    validate_file,
    validate_record,
)

__all__ = ["UnadaptableFile", "adapt", "load_source", "merge_records", "read_results"]


class UnadaptableFile(ResultsSchemaError):
    """No adapter recognises the file's shape."""


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _numeric(metrics: dict[str, Any]) -> dict[str, float]:
    """The finite numbers of ``metrics``, nested dicts as ``"outer.inner"`` (see
    :func:`tenfold.claims.schema.numeric_metrics`)."""
    return numeric_metrics(metrics)


def _header(entry: dict[str, Any], root: dict[str, Any], name: str) -> dict[str, Any]:
    def pick(*keys: str, default: Any = None) -> Any:
        for src in (entry, root):
            for k in keys:
                if k in src and src[k] not in (None, ""):
                    return src[k]
        return default

    settings = pick("settings", "recipe_settings", "args", default={})
    return {"schema": SCHEMA, "benchmark": str(pick("benchmark", default=name)),
            "command": str(pick("command", "run_command", default="")),
            "commit": str(pick("commit", default="unknown")),
            "machine": pick("machine", default={}), "date": str(pick("date", default="unknown")),
            "settings": settings if isinstance(settings, dict) else {}}


def _seeds_of(per_seed: dict[Any, Any]) -> list[int]:
    return sorted(int(s) for s in per_seed)


def _from_per_seed(data: dict, name: str) -> dict[str, dict]:
    per_seed = {str(s): {m: _numeric(v) for m, v in arms.items() if isinstance(v, dict)}
                for s, arms in data["per_seed"].items()}
    return {"": {**_header(data, data, name), "seeds": _seeds_of(per_seed),
                 "per_seed": per_seed}}


def _per_seed_list(value: Any, n: int) -> list[float] | None:
    if isinstance(value, dict) and "values" in value:
        value = value["values"]
    if isinstance(value, list) and len(value) == n and all(_num(v) for v in value):
        return [float(v) for v in value]
    return None


def _from_table(data: dict, name: str) -> dict[str, dict]:
    seeds = [int(s) for s in data["seeds"]]
    per_seed: dict[str, dict[str, dict[str, float]]] = {str(s): {} for s in seeds}
    for method, metrics in data["table"].items():
        for metric, value in metrics.items():
            values = _per_seed_list(value, len(seeds))
            if values is None:
                continue
            for s, v in zip(seeds, values, strict=True):
                per_seed[str(s)].setdefault(method, {})[metric] = v
    _time_ratios(data, seeds, per_seed)
    return {"": {**_header(data, data, name), "seeds": seeds, "per_seed": per_seed}}


def _time_ratios(data: dict, seeds: list[int], per_seed: dict[str, dict]) -> None:
    """dfad's wall-time ratios, one-stage over two-stage, as the method's metrics:
    ``time_to_<acc>.ratio`` from ``time_to_accuracy: {method: {seed: {acc: {"ratio"}}}}`` and
    ``time_to_two_stage_final.ratio`` from ``one_stage_time_to_two_stage_final_acc_ratio:
    {method: [x per seed]}`` (a level never reached has no ratio, and no entry)."""
    for method, by_seed in (data.get("time_to_accuracy") or {}).items():
        for s, levels in (by_seed.items() if isinstance(by_seed, dict) else ()):
            if str(s) not in per_seed or not isinstance(levels, dict):
                continue
            for level, entry in levels.items():
                if isinstance(entry, dict) and _num(entry.get("ratio")):
                    per_seed[str(s)].setdefault(method, {})[f"time_to_{level}.ratio"] = float(
                        entry["ratio"])
    for method, values in (data.get("one_stage_time_to_two_stage_final_acc_ratio") or {}).items():
        values = _per_seed_list(values, len(seeds))
        for s, v in zip(seeds, values or (), strict=False):
            per_seed[str(s)].setdefault(method, {})["time_to_two_stage_final.ratio"] = v


def _from_runs(data: dict, name: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for run in data["runs"]:
        seeds = [int(s) for s in run["seeds"]]
        for dataset, arms in run["results"].items():
            per_seed: dict[str, dict[str, dict[str, float]]] = {str(s): {} for s in seeds}
            for method, metrics in arms.items():
                for key, value in metrics.items():
                    if not key.endswith("_per_seed"):
                        continue
                    values = _per_seed_list(value, len(seeds))
                    if values is None:
                        continue
                    for s, v in zip(seeds, values, strict=True):
                        per_seed[str(s)].setdefault(method, {})[key[:-len("_per_seed")]] = v
            section = f"{dataset}-{run.get('preset', 'run')}"
            out[section] = {**_header(run, data, name), "seeds": seeds, "per_seed": per_seed}
    return out


def _row_method(row: dict) -> str:
    """A row's arm: ``method`` (``method@init`` with an ``init``), else its text fields joined
    by ``/`` (``{"cam_model": "none", "cam_bn_mode": "eval"}`` -> ``"none/eval"``)."""
    if "method" in row:
        return str(row["method"]) + (f"@{row['init']}" if "init" in row else "")
    return "/".join(v for k, v in row.items() if isinstance(v, str))


def _from_dataset_runs(data: dict, name: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for run in data["runs"]:
        for dataset, entry in run["datasets"].items():
            per_seed: dict[str, dict[str, dict[str, float]]] = {}
            for s, metrics in entry["seeds"].items():
                arms = per_seed.setdefault(str(int(s)), {})
                for metric, value in metrics.items():
                    if isinstance(value, dict):
                        for method, x in value.items():
                            if _num(x):
                                arms.setdefault(method, {})[metric] = float(x)
                    elif _num(value):
                        arms.setdefault("run", {})[metric] = float(value)
            out[dataset] = {**_header(run, data, name), "seeds": _seeds_of(per_seed),
                            "per_seed": per_seed}
    return out


def _from_rows(data: dict, name: str) -> dict[str, dict]:
    per_seed: dict[str, dict[str, dict[str, float]]] = {}
    for row in data["rows"]:
        method = _row_method(row)
        metrics = _numeric({k: v for k, v in row.items() if k not in {"seed", "method"}})
        per_seed.setdefault(str(int(row["seed"])), {})[method] = metrics
    return {"": {**_header(data, data, name), "seeds": _seeds_of(per_seed),
                 "per_seed": per_seed}}


_TIMING_KEYS = ("ms_per_iter_median", "median_step_s")


def _from_timings(data: dict, name: str) -> dict[str, dict]:
    seeds = data.get("seeds") or data.get("settings", {}).get("seeds") or [0]
    if len(seeds) != 1:
        raise UnadaptableFile(f"{name}: timing results with several seeds are not adaptable")
    seed = str(int(seeds[0]))
    out: dict[str, dict] = {}
    for section, res in data["results"].items():
        key = next(k for k in _TIMING_KEYS if k in res)
        arms = {m: {key: float(v)} for m, v in res[key].items() if _num(v)}
        out[section] = {**_header(data, data, name), "seeds": [int(seed)],
                        "per_seed": {seed: arms}}
    return out


def _from_sections(data: dict, name: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for section, entries in data.items():
        per_seed: dict[str, dict[str, dict[str, float]]] = {}
        notes: list[str] = []
        commands: list[str] = []
        for entry in entries:
            if entry.get("command") and entry["command"] not in commands:
                commands.append(entry["command"])
            for s, arms in entry["per_seed"].items():
                slot = per_seed.setdefault(str(s), {})
                for method, metrics in arms.items():
                    if method in slot:
                        notes.append(f"seed {s} {method}: measured twice, the first kept")
                        continue
                    slot[method] = _numeric(metrics)
        header = _header(entries[-1], {}, name)
        header["command"] = " ; ".join(commands)
        out[section] = {**header, "seeds": _seeds_of(per_seed), "per_seed": per_seed,
                        "notes": notes}
    return out


def _is_sections(data: dict) -> bool:
    return bool(data) and all(
        isinstance(v, list) and v and all(isinstance(e, dict) and isinstance(e.get("per_seed"),
                                                                              dict) for e in v)
        for v in data.values())


def _shape(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    if "schema" in data:
        return "schema"
    if isinstance(data.get("per_seed"), dict) and data["per_seed"] and all(
            isinstance(a, dict) and all(isinstance(m, dict) for m in a.values())
            for a in data["per_seed"].values()) and "command" in data:
        return "per_seed"
    if isinstance(data.get("table"), dict) and isinstance(data.get("seeds"), list):
        return "table"
    if isinstance(data.get("runs"), list) and all(isinstance(r, dict) and "results" in r
                                                  and "seeds" in r for r in data["runs"]):
        return "runs"
    if isinstance(data.get("runs"), list) and data["runs"] and all(
            isinstance(r, dict) and isinstance(r.get("datasets"), dict) and all(
                isinstance(e, dict) and isinstance(e.get("seeds"), dict)
                for e in r["datasets"].values()) for r in data["runs"]):
        return "dataset_runs"
    if isinstance(data.get("results"), dict) and isinstance(data.get("seeds"), list) and any(
            isinstance(arms, dict) and any(isinstance(m, dict) and any(
                k.endswith("_per_seed") for k in m) for m in arms.values())
            for arms in data["results"].values()):
        return "run"
    if isinstance(data.get("rows"), list) and data["rows"] and all(
            isinstance(r, dict) and "seed" in r and ("method" in r or any(
                isinstance(v, str) for v in r.values())) for r in data["rows"]):
        return "rows"
    if isinstance(data.get("results"), dict) and data["results"] and all(
            isinstance(r, dict) and any(k in r for k in _TIMING_KEYS)
            for r in data["results"].values()):
        return "timings"
    if _is_sections(data):
        return "sections"
    if isinstance(data.get("seeds"), list) and _value_sections(data):
        return "values"
    if _nested_sections(data):
        return "nested"
    return None


def _nested_sections(data: dict) -> dict[str, dict]:
    """``{name: entry}`` for every ``key: {name: {"per_seed": {...}, ...}}`` of ``data``."""
    return {name: entry for value in data.values() if isinstance(value, dict)
            for name, entry in value.items()
            if isinstance(entry, dict) and isinstance(entry.get("per_seed"), dict)}


def _from_nested(data: dict, name: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for section, entry in _nested_sections(data).items():
        per_seed = {str(s): {m: _numeric(v) for m, v in arms.items() if isinstance(v, dict)}
                    for s, arms in entry["per_seed"].items()}
        out[section] = {**_header(entry, data, name), "seeds": _seeds_of(per_seed),
                        "per_seed": per_seed}
    return out


def _value_sections(data: dict) -> dict[str, dict]:
    """``{"<key>-<sub>": {method: {metric: [x per seed]}}}`` for every top-level
    ``key: {sub: {method: {metric: {"values": [x per seed]}}}}`` of ``data``."""
    n = len(data["seeds"])
    out: dict[str, dict] = {}
    for key, subs in data.items():
        if not isinstance(subs, dict):
            continue
        for sub, arms in subs.items():
            if not isinstance(arms, dict):
                continue
            table = {m: {k: vals for k, v in metrics.items()
                         if (vals := _per_seed_list(v, n)) is not None and isinstance(v, dict)}
                     for m, metrics in arms.items() if isinstance(metrics, dict)}
            table = {m: t for m, t in table.items() if t}
            if table:
                out[f"{key}-{sub}"] = table
    return out


def _from_values(data: dict, name: str) -> dict[str, dict]:
    seeds = [int(s) for s in data["seeds"]]
    out: dict[str, dict] = {}
    tables = {**_value_sections(data), **_flat_value_sections(data)}
    for section, table in tables.items():
        per_seed: dict[str, dict[str, dict[str, float]]] = {str(s): {} for s in seeds}
        for method, metrics in table.items():
            for metric, values in metrics.items():
                for s, v in zip(seeds, values, strict=True):
                    per_seed[str(s)].setdefault(method, {})[metric] = v
        out[section] = {**_section_header(data, section, name), "seeds": seeds,
                        "per_seed": per_seed}
    for section, arms in _single_run_sections(data).items():
        out[section] = {**_section_header(data, section, name), "seeds": [0],
                        "per_seed": {"0": arms},
                        "notes": [f"{section}: one deterministic run, recorded as seed 0"]}
    return out


def _section_header(data: dict, section: str, name: str) -> dict[str, Any]:
    """The file's header, with the command of ``data["sections"][section]`` when the section
    was re-run on its own (tracking's ``--sections``)."""
    meta = (data.get("sections") or {}).get(section)
    return _header(meta if isinstance(meta, dict) else {}, data, name)


def _flat_value_sections(data: dict) -> dict[str, dict]:
    """``{key: {method: {metric: [x per seed]}}}`` for every top-level
    ``key: {method: {metric: {"values": [x per seed]}}}`` of ``data`` (tracking's ``tud``)."""
    n = len(data["seeds"])
    nested = {section.rsplit("-", 1)[0] for section in _value_sections(data)}
    out: dict[str, dict] = {}
    for key, arms in data.items():
        if not isinstance(arms, dict) or key in nested:
            continue
        table = {m: {k: vals for k, v in metrics.items()
                     if isinstance(v, dict) and (vals := _per_seed_list(v, n)) is not None}
                 for m, metrics in arms.items() if isinstance(metrics, dict)}
        table = {m: t for m, t in table.items() if t}
        if table:
            out[key] = table
    return out


def _single_run_sections(data: dict) -> dict[str, dict]:
    """``{key: {method: {metric: x}}}`` for every top-level ``key: {method: {metric: number}}``
    of ``data`` with no per-seed lists (one deterministic run, e.g. tracking's ``pets``)."""
    out: dict[str, dict] = {}
    for key, arms in data.items():
        if key in ("machine", "settings", "sections") or not isinstance(arms, dict):
            continue
        table = {m: {k: float(v) for k, v in metrics.items() if _num(v)}
                 for m, metrics in arms.items() if isinstance(metrics, dict)
                 and not any(isinstance(v, (dict, list)) for v in metrics.values())}
        table = {m: t for m, t in table.items() if t}
        if table:
            out[key] = table
    return out


_ADAPTERS = {"per_seed": _from_per_seed, "table": _from_table, "runs": _from_runs,
             "dataset_runs": _from_dataset_runs,
             "run": lambda data, name: _from_runs({**data, "runs": [data]}, name),
             "rows": _from_rows, "timings": _from_timings, "sections": _from_sections,
             "values": _from_values, "nested": _from_nested}


def adapt(data: Any, name: str) -> dict[str, Record]:
    """``{section: Record}`` of the parsed JSON ``data`` of the file called ``name``.

    A file with one experiment has the single section ``""``. Raises :class:`UnadaptableFile`
    when no adapter knows the shape, :class:`ResultsSchemaError` when the adapted form fails
    validation (a header without a command, a value that is not a finite number, ...).
    """
    shape = _shape(data)
    if shape is None:
        raise UnadaptableFile(f"{name}: no adapter knows this file's shape (see docs/ledger.md)")
    if shape == "schema":
        return validate_file(data, name)
    try:
        sections = _ADAPTERS[shape](data, name)
    except (KeyError, TypeError, ValueError, StopIteration) as exc:
        raise UnadaptableFile(f"{name}: looks like a {shape!r} file but {exc!r} "
                              "does not fit") from None
    return {sec: validate_record(rec, f"{name}#{sec}" if sec else name)
            for sec, rec in sections.items()}


def read_results(path: str | Path) -> dict[str, Record]:
    """Read and adapt one results file (see :func:`adapt`); a damaged file is one error."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ResultsSchemaError(f"{path}: results file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsSchemaError(f"{path}: cannot be read as JSON ({exc})") from None
    return adapt(data, path.name)


def load_source(results_dir: str | Path, source: str) -> list[Record]:
    """The records named by ``source``: ``"file.json"``, ``"file.json#section"``, with shell
    wildcards in the file name (``"twp_..._s*.json"``). Returns ``[]`` when no file matches;
    raises :class:`ResultsSchemaError` when a matching file lacks the section."""
    file_part, _, section = source.partition("#")
    paths = sorted(glob.glob(str(Path(results_dir) / file_part)))
    records = []
    for p in paths:
        sections = read_results(p)
        if section not in sections:
            known = ", ".join(repr(s) for s in sections)
            raise ResultsSchemaError(f"{Path(p).name}: no section {section!r} (has {known})")
        records.append(sections[section])
    return records


def merge_records(records: list[Record]) -> Record:
    """One record from several (e.g. one file per seed): per-seed values united, a seed's
    methods merged; a (seed, method) present twice keeps the first and says so in ``notes``."""
    if len(records) == 1:
        return records[0]
    per_seed: dict[int, dict[str, dict[str, float]]] = {}
    notes: list[str] = []
    for rec in records:
        notes.extend(rec.notes)
        for s, arms in rec.per_seed.items():
            slot = per_seed.setdefault(s, {})
            for method, metrics in arms.items():
                if method in slot:
                    notes.append(f"seed {s} {method}: in two files, the first kept "
                                 f"({rec.source} dropped)")
                    continue
                slot[method] = metrics
    commands = []
    for rec in records:
        if rec.command not in commands:
            commands.append(rec.command)
    first = records[0]
    return Record(source=", ".join(r.source for r in records), benchmark=first.benchmark,
                  command=" ; ".join(commands), commit=first.commit, machine=first.machine,
                  date=max(r.date for r in records), settings=first.settings,
                  seeds=sorted(per_seed), per_seed=dict(sorted(per_seed.items())), notes=notes)
