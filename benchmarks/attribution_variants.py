"""A bounded sweep of learned-rule variants (rule form x objective weights) on the same
classifiers and images: which parametrisation localises best, against gradient and guided
backprop, paired over seeds.

    python benchmarks/attribution_variants.py --seeds 0 1 2

Writes ``benchmarks/results/attribution_variants.json``: per variant the recipe settings that
differ, per-seed energy-in-box / pointing / deletion / insertion of ``learned``, ``gradient`` and
``guided``, mean ± std, and the paired differences learned - guided and learned - gradient. The
classifier settings are pinned here (the artefact cache trains each seed's classifier once).
"""

from __future__ import annotations

import tempfile
import time

from attribution import BENCH_SETTINGS, mean_std  # noqa: E402  (benchmarks/ is on sys.path)
from harness import parse, parser, read_json, record, write_result

# name -> (what it tests, recipe overrides). Objective weights are (keep, delete, area).
VARIANTS = {
    "mlp-B": ("hidden-8 MLP rule, keep + delete + 0.2 area (last session's default)",
              {"rule": "mlp", "rule_lr": "0.01"}),
    "logistic-B": ("4-number logistic rule, keep + delete + 0.2 area, Adam lr 0.01",
                   {"rule": "logistic", "rule_lr": "0.01"}),
    "logistic-B-lr0.1": ("logistic rule, keep + delete + 0.2 area, Adam lr 0.1: four numbers move "
                         "at most ~lr per step, so lr 0.01 x 80 steps barely leaves the start",
                         {"rule": "logistic", "rule_lr": "0.1"}),
    "logistic-A": ("logistic rule, keep + 0.2 area (the abstract's 'masked input' guidance only)",
                   {"rule": "logistic", "rule_lr": "0.1", "delete_weight": "0"}),
    "logistic-D": ("logistic rule, delete + 0.2 area (no keep term)",
                   {"rule": "logistic", "rule_lr": "0.1", "keep_weight": "0"}),
    "logistic-B-area1": ("logistic rule, keep + delete + 1.0 area (smaller masks)",
                         {"rule": "logistic", "rule_lr": "0.1", "area_weight": "1.0"}),
    "mlp-B-area1": ("MLP rule, keep + delete + 1.0 area",
                    {"rule": "mlp", "rule_lr": "0.01", "area_weight": "1.0"}),
}
METRICS = ("energy", "pointing", "deletion_auc", "insertion_auc")


def main() -> None:
    p = parser("attribution_variants", __doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parse(p)
    from tenfold.runtime.launch import start_run

    result = record("attribution_variants", args, seeds=args.seeds, dataset="distractor-digits",
                    pinned=BENCH_SETTINGS, torch_threads=args.threads, variants={})
    # A sweep may run in parts (below), so one command's arguments are not the file's settings:
    # they stay in each variant's command, and the shared settings are ``pinned``.
    del result["settings"]
    command = result["command"]
    out = args.out
    if out.exists():    # a sweep run in parts: keep the variants measured by earlier commands
        old = read_json(out)
        if old.get("seeds") == args.seeds and old.get("pinned") == BENCH_SETTINGS:
            result["variants"] = {k: v for k, v in old["variants"].items()
                                  if k not in args.variants}
            result["command"] = old["command"] + " && " + result["command"]
    for name in args.variants:
        what, overrides = VARIANTS[name]
        settings = {**BENCH_SETTINGS, **overrides, "methods": "gradient,guided,learned",
                    "sanity": "false", "figures": "false"}
        start, cpu = time.perf_counter(), time.process_time()
        with tempfile.TemporaryDirectory() as tmp:
            path = start_run("attribution", preset="quick", dataset="distractor-digits",
                             seeds=args.seeds, overrides=[f"{k}={v}" for k, v in settings.items()],
                             out=tmp, keep_checkpoints=False)
            per_seed = read_json(path / "summary.json")["per_seed"]
        seeds = sorted(per_seed, key=int)
        entry = {"what": what, "overrides": overrides, "command": command,
                 "wall_s": time.perf_counter() - start,
                 "cpu_s": time.process_time() - cpu,
                 "per_seed": {s: {m: {k: per_seed[s][m][k] for k in METRICS}
                                  for m in ("learned", "gradient", "guided")} for s in seeds}}
        entry["learned"] = {k: mean_std([per_seed[s]["learned"][k] for s in seeds])
                            for k in METRICS}
        for other in ("guided", "gradient"):
            entry[f"learned_minus_{other}"] = {
                k: mean_std([per_seed[s]["learned"][k] - per_seed[s][other][k] for s in seeds])
                for k in METRICS}
        result["variants"][name] = entry
        write_result(out, result)
        print(name, round(entry["learned"]["energy"]["mean"], 3),
              "vs guided", round(entry["learned_minus_guided"]["energy"]["mean"], 3),
              flush=True)


if __name__ == "__main__":
    main()
