"""TWP against fine-tune / EWC / MAS / LwF / TWP-without-topology / joint on one setting.

Runs the ``twp`` recipe through the runtime (same streams, initial weights and budgets for every
method) with the paper's protocol pinned here (:data:`PINNED`: 200 epochs per task, Adam lr 5e-3,
weight decay 5e-4, λ = 1e4, β = 0, ...), so that a change of the recipe's presets never changes
what this benchmark measures; ``--set key=value`` changes a setting (recorded in the command).
Writes ``benchmarks/results/twp_<name>.json``: AP / AF / BWT mean ± std (in %), per-seed values,
paired differences against fine-tune, mean accuracy matrices, wall time per method, the exact
command, commit, seeds, date and machine. Every number in the file is in %.

    python benchmarks/twp.py --dataset cora --backbone gcn --seeds 0 1 2 --name cora_gcn_task
    python benchmarks/twp.py --dataset computers --backbone gat --seeds 0 1 2 --device cuda \\
        --name computers_gat_task                  # the paper's Amazon Computers setting (GPU)
    python benchmarks/twp.py --dataset computers --backbone gat --seeds 0 1 2 \\
        --set epochs=60 inter_task_edges=false task_subgraphs=true methods=finetune,ewc,twp,joint \\
        --name computers_gat_task_sub_e60          # CGLB's task subgraphs, affordable on one CPU

The file is rewritten after every finished seed, so a stopped run keeps its numbers. (Files
written before the settings were pinned ran the ``quick`` preset of their day; each file
records the full settings it ran with.)
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import torch

from harness import RESULTS, parse, parser, record, write_result
from tenfold.runtime.launch import plan_run, start_run
from tenfold.runtime.summary import summarize

#: The paper's protocol (arXiv 2012.06002 and its official code), given to every run.
PINNED = {"methods": "finetune,ewc,mas,lwf,twp,twp-no-topo,joint", "classes_per_task": 2,
          "num_tasks": 0, "split": "40,20", "inter_task_edges": "true",
          "task_subgraphs": "false", "epochs": 200, "lr": 5e-3, "weight_decay": 5e-4,
          "hidden": 64, "dropout": 0.5, "gat_hidden": 8, "gat_heads": 8, "gat_dropout": 0.6,
          "lambda_ewc": 1e4, "lambda_mas": 1e4, "lambda_lwf": 1.0, "lwf_temperature": 2.0,
          "lambda_l": 1e4, "lambda_t": 1e4, "beta": 0.0, "beta_mode": "differentiable",
          "twp_norm": "l2", "twp_importance": "paper", "sparse_features": "true",
          "cpu_threads": 1}


def _percent(stats: dict) -> dict:
    """Mean ± std of a fraction metric in % (``n`` and ``wins`` unchanged)."""
    return {k: 100 * v if k in ("mean", "std") else v for k, v in stats.items()}


def main(argv: list[str] | None = None) -> None:
    p = parser("twp", __doc__.splitlines()[0])
    p.add_argument("--dataset", default="cora")
    p.add_argument("--backbone", default="gcn", choices=("gcn", "gat"))
    p.add_argument("--scenario", default="task", choices=("task", "class"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--set", dest="overrides", nargs="*", default=[],
                   help="change a pinned setting: key=value")
    p.add_argument("--device", default="cpu")
    p.add_argument("--tiny", action="store_true",
                   help="3 epochs, first seed only: checks the script, not the method")
    p.add_argument("--name", default=None, help="results file twp_<name>.json (unless --out)")
    args = parse(p, argv)
    settings = {**PINNED, "backbone": args.backbone, "scenario": args.scenario,
                **dict(o.split("=", 1) for o in args.overrides)}
    seeds = args.seeds
    if args.tiny:
        settings["epochs"] = 3
        seeds = seeds[:1]
    overrides = [f"{k}={v}" for k, v in settings.items()]
    name = args.name or f"{args.dataset}_{args.backbone}_{args.scenario}" + (
        "_tiny" if args.tiny else "")
    if args.out == RESULTS / "twp.json":
        args.out = RESULTS / f"twp_{name}.json"
    recipe, config, _ = plan_run("twp", "paper", args.dataset, seeds, overrides)
    start = time.perf_counter()
    done: dict[int, dict] = {}
    timings: dict[str, dict] = {}
    matrices: dict[str, list] = {}
    with tempfile.TemporaryDirectory() as out:
        for seed in seeds:      # one run per seed: the results file is rewritten after each
            path = start_run("twp", preset="paper", dataset=args.dataset, seeds=[seed],
                             overrides=overrides, out=out, device=args.device,
                             keep_checkpoints=True)
            summary = json.loads((path / "summary.json").read_text())
            done[seed] = {"metrics": summary["per_seed"][str(seed)]}
            timings.update(json.loads((path / "timings.json").read_text()))
            for key in sorted((path / "checkpoints" / f"seed-{seed}").glob("*-result.json")):
                res = json.loads(key.read_text())   # each method's ctx.cached result
                matrices.setdefault(key.name[:-len("-result.json")], []).append(res["matrix"])
            target = _write(name, args, seeds, summarize(recipe, config, done), timings,
                            matrices, time.perf_counter() - start)
            print(f"seed {seed} done: wrote {target} ({time.perf_counter() - start:.0f} s)",
                  flush=True)
    summary = summarize(recipe, config, done)
    for m in summary["methods"]:
        ap, af = (_percent(summary["aggregate"][m][k]) for k in ("ap", "af"))
        print(f"{m:12s} AP {ap['mean']:6.2f} ± {ap['std']:5.2f}   "
              f"AF {af['mean']:6.2f} ± {af['std']:5.2f}")


def _write(name: str, args, seeds_planned: list[int], summary: dict, timings: dict,
           matrices: dict, wall: float) -> Path:
    """Write ``args.out`` (``twp_<name>.json``) from the seeds finished so far."""
    seeds = summary["seeds"]
    mean_matrix = {m: [[None if x != x else x for x in row]          # NaN (j > i) -> null
                       for row in (torch.tensor(v).mean(0) * 100).tolist()]
                   for m, v in matrices.items()}
    train_s = {m: [timings[str(s)][m]["train_s"] for s in seeds if m in timings[str(s)]]
               for m in summary["methods"]}
    table = {m: {k: _percent(summary["aggregate"][m][k]) for k in ("ap", "af", "bwt")}
             for m in summary["methods"]}
    paired = {m: {k: _percent(v) for k, v in row.items()}
              for m, row in summary["paired_vs_baseline"].items()}
    per_seed = {s: {m: {k: 100 * v for k, v in row.items()} for m, row in methods.items()}
                for s, methods in summary["per_seed"].items()}
    result = record(
        "twp", args, run_name=name, dataset=args.dataset, backbone=args.backbone,
        scenario=args.scenario, seeds=seeds, seeds_planned=seeds_planned,
        settings=summary["settings"],          # the recipe's full settings (the ledger reads it)
        table_percent=table, paired_vs_finetune=paired, per_seed=per_seed,
        mean_accuracy_matrix_percent=mean_matrix, train_seconds=train_s, wall_seconds=wall,
        device=args.device)
    return write_result(args.out, result)


if __name__ == "__main__":
    main()
