"""TWP against fine-tune / EWC / MAS / LwF / TWP-without-topology / joint on one setting.

Runs the ``twp`` recipe through the runtime (same streams, initial weights and budgets for every
method) and writes ``benchmarks/results/twp_<name>.json``: AP / AF / BWT mean ± std (in %),
per-seed values, paired differences against fine-tune, mean accuracy matrices, wall time per
method, the exact command, seeds, date and machine. Every number in the file is in %.

    python benchmarks/twp.py --dataset cora --backbone gcn --seeds 0 1 2 --name cora_gcn_task
    python benchmarks/twp.py --dataset computers --backbone gat --seeds 0 1 2 --device cuda \\
        --name computers_gat_task                  # the paper's Amazon Computers setting (GPU)
    python benchmarks/twp.py --dataset computers --backbone gat --seeds 0 1 2 \\
        --set epochs=60 inter_task_edges=false task_subgraphs=true methods=finetune,ewc,twp,joint \\
        --name computers_gat_task_sub_e60          # CGLB's task subgraphs, affordable on one CPU

The file is rewritten after every finished seed, so a stopped run keeps its numbers.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path

import torch

from tenfold.runtime.launch import machine_info, plan_run, start_run
from tenfold.runtime.summary import summarize

RESULTS = Path(__file__).resolve().parent / "results"


def _percent(stats: dict) -> dict:
    """Mean ± std of a fraction metric in % (``n`` and ``wins`` unchanged)."""
    return {k: 100 * v if k in ("mean", "std") else v for k, v in stats.items()}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="cora")
    p.add_argument("--backbone", default="gcn", choices=("gcn", "gat"))
    p.add_argument("--scenario", default="task", choices=("task", "class"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--preset", default="quick")
    p.add_argument("--set", dest="overrides", nargs="*", default=[],
                   help="extra recipe settings key=value")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--tiny", action="store_true",
                   help="3 epochs, first seed only: checks the script, not the method")
    p.add_argument("--name", default=None, help="results file twp_<name>.json")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    overrides = [f"backbone={args.backbone}", f"scenario={args.scenario}", *args.overrides]
    seeds = args.seeds
    if args.tiny:
        overrides.append("epochs=3")
        seeds = seeds[:1]
    name = args.name or f"{args.dataset}_{args.backbone}_{args.scenario}" + (
        "_tiny" if args.tiny else "")
    recipe, config, _ = plan_run("twp", args.preset, args.dataset, seeds, overrides)
    command = "python benchmarks/twp.py " + shlex.join(argv)
    start = time.perf_counter()
    done: dict[int, dict] = {}
    timings: dict[str, dict] = {}
    matrices: dict[str, list] = {}
    with tempfile.TemporaryDirectory() as out:
        for seed in seeds:      # one run per seed: the results file is rewritten after each
            path = start_run("twp", preset=args.preset, dataset=args.dataset, seeds=[seed],
                             overrides=overrides, out=out, device=args.device)
            summary = json.loads((path / "summary.json").read_text())
            done[seed] = {"metrics": summary["per_seed"][str(seed)]}
            timings.update(json.loads((path / "timings.json").read_text()))
            for key in sorted((path / "checkpoints" / f"seed-{seed}").glob("*-result.json")):
                res = json.loads(key.read_text())
                matrices.setdefault(key.name[:-len("-result.json")], []).append(res["matrix"])
            target = _write(name, args, seeds, summarize(recipe, config, done), timings,
                            matrices, time.perf_counter() - start, command)
            print(f"seed {seed} done: wrote {target} ({time.perf_counter() - start:.0f} s)",
                  flush=True)
    summary = summarize(recipe, config, done)
    for m in summary["methods"]:
        ap, af = (_percent(summary["aggregate"][m][k]) for k in ("ap", "af"))
        print(f"{m:12s} AP {ap['mean']:6.2f} ± {ap['std']:5.2f}   "
              f"AF {af['mean']:6.2f} ± {af['std']:5.2f}")


def _write(name: str, args, seeds_planned: list[int], summary: dict, timings: dict,
           matrices: dict, wall: float, command: str) -> Path:
    """Write ``twp_<name>.json`` from the seeds finished so far."""
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
    result = {
        "benchmark": "twp", "name": name, "dataset": args.dataset, "backbone": args.backbone,
        "scenario": args.scenario, "seeds": seeds, "seeds_planned": seeds_planned,
        "settings": summary["settings"],
        "table_percent": table, "paired_vs_finetune": paired,
        "per_seed": per_seed, "mean_accuracy_matrix_percent": mean_matrix,
        "train_seconds": train_s, "wall_seconds": wall, "command": command,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine_info(), "device": args.device,
    }
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"twp_{name}.json"
    target.write_text(json.dumps(result, indent=1) + "\n")
    return target


if __name__ == "__main__":
    main()
