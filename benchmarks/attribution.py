"""Learned propagation rules vs gradient / guided / deconvnet / Grad-CAM / IG: localisation,
deletion/insertion and the sanity check (the ``attribution`` recipe over several seeds, with the
settings pinned in ``BENCH_SETTINGS``). The cost of ``attribute`` is measured by
``benchmarks/attribution_cost.py``.

    python benchmarks/attribution.py --seeds 0 1 2                   # distractor-digits
    python benchmarks/attribution.py --dataset cluttered-digits \
        --out benchmarks/results/attribution_cluttered.json

    TENFOLD_DATA=../shared/data python benchmarks/attribution.py --dataset distractor-mnist \
        --out benchmarks/results/attribution_mnist.json

Writes ``benchmarks/results/attribution.json`` (``--out``): per method mean ± std over seeds of
every metric, paired differences (learned minus each method, per seed), the exact command,
seeds, machine and date.

The images scored here are the TEST canvases (``eval_split=test``). The learned rule's settings
(the recipe's defaults) were chosen on separate validation canvases by
``benchmarks/attribution_variants.py``, never on these; the file records both facts.
"""

from __future__ import annotations

import json
import tempfile
import time

from harness import parse, parser, read_json, record, write_result
from tenfold.runtime.stats import mean_std

# The benchmark's own recipe settings (the quick preset is smaller and may change).
BENCH_SETTINGS = {"train_size": 2000, "epochs": 15, "eval_size": 100, "rule_steps": 80,
                  "ig_steps": 32, "curve_steps": 16}

SELECTION = ("the learned rule's settings (the recipe defaults, and any --set overrides listed "
             "in 'overrides') were chosen on validation canvases (eval_split=val, built from the "
             "training digits, disjoint from the test images) by "
             "benchmarks/attribution_variants.py; this file scores the test canvases")


def main() -> None:
    p = parser("attribution", __doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="distractor-digits")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--set", nargs="*", default=[],
                   help="recipe overrides key=value, on top of BENCH_SETTINGS")
    args = parse(p)

    from tenfold.runtime.launch import start_run

    result = record("attribution", args, seeds=args.seeds, dataset=args.dataset,
                    overrides=args.set, torch_threads=args.threads, pinned=BENCH_SETTINGS)
    # The arguments are kept above one by one; the ledger reads ``recipe_settings`` (the
    # recipe's resolved config) as this file's settings, so record's copy of them goes.
    del result["settings"]

    start = time.perf_counter()
    cpu = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        path = start_run("attribution", preset="quick", dataset=args.dataset, seeds=args.seeds,
                         overrides=[f"{k}={v}" for k, v in BENCH_SETTINGS.items()]
                         + list(args.set), out=tmp, keep_checkpoints=False)
        summary = read_json(path / "summary.json")
        config = read_json(path / "config.json")
    result["recipe_settings"] = config["settings"]
    result["scored_on"] = config["settings"]["eval_split"]
    result["selection"] = SELECTION
    result["recipe_wall_s"] = time.perf_counter() - start
    result["recipe_cpu_s"] = time.process_time() - cpu
    per_seed = summary["per_seed"]
    seeds = sorted(per_seed, key=int)
    methods = list(per_seed[seeds[0]])
    metrics = sorted({k for s in seeds for m in methods for k in per_seed[s][m]})
    result["per_seed"] = per_seed
    result["methods"] = {
        m: {k: mean_std([per_seed[s][m][k] for s in seeds]) for k in metrics
            if all(k in per_seed[s][m] for s in seeds)} for m in methods}
    paired = {}
    if "learned" in methods:
        for other in methods:
            if other == "learned":
                continue
            paired[other] = {
                k: mean_std([per_seed[s]["learned"][k] - per_seed[s][other][k] for s in seeds])
                for k in ("energy", "pointing", "deletion_auc", "insertion_auc")
                if all(k in per_seed[s][other] for s in seeds)}
    result["paired_learned_minus"] = paired
    e = {m: result["methods"][m]["energy"]["mean"] for m in methods}
    if "learned" in e:
        result["targets"] = {
            "energy_learned_minus_gradient_ge_0.05": paired.get("gradient", {}).get(
                "energy", {}).get("mean", float("nan")) >= 0.05,
            "energy_learned_minus_guided_ge_0.05": paired.get("guided", {}).get(
                "energy", {}).get("mean", float("nan")) >= 0.05,
            "energy_learned_minus_random_gt_0.3": paired.get("random", {}).get(
                "energy", {}).get("mean", float("nan")) > 0.3,
            "energy_learned_ge_ig": e["learned"] >= e.get("ig", float("inf")),
            "sanity_learned_spearman_lt_0.5": result["methods"]["learned"].get(
                "sanity_spearman", {}).get("mean", 1.0) < 0.5,
            "sanity_edge_fails": result["methods"].get("edge", {}).get(
                "sanity_spearman", {}).get("mean", 0.0) >= 0.5,
        }
    write_result(args.out, result)
    print(json.dumps({m: {k: round(v["mean"], 3) for k, v in r.items()}
                      for m, r in result["methods"].items()}, indent=1))
    print(json.dumps(result.get("targets"), indent=1))


if __name__ == "__main__":
    main()
