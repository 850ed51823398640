"""One-stage vs two-stage data-free adversarial distillation on MNIST (LeNet-5 → LeNet-5-half).

Runs the ``dfad`` recipe (arms interleaved iteration by iteration in one process) and extracts
the student's test accuracy, the accuracy-vs-wall-time curves, and the wall time one-stage needs
to reach two-stage's final accuracy (as a fraction of two-stage's total time).

    python benchmarks/dfad.py                                  # CPU, 1 thread, reduced scale
    python benchmarks/dfad.py --tiny                           # seconds, digits
    python benchmarks/dfad.py --device cuda --paper            # DFAD's protocol on one GPU

Writes benchmarks/results/dfad.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from tenfold.runtime.launch import machine_info, start_run


def time_to_reach(curve: list[tuple[float, float]], target: float) -> float | None:
    """First wall time at which the accuracy curve reaches ``target``."""
    return next((t for t, acc in curve if acc >= target), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--paper", action="store_true",
                        help="DFAD's MNIST protocol (2000 generator iterations, batch 512, "
                             "generator width 128); meant for a GPU")
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--set", nargs="*", default=[], help="extra recipe overrides key=value")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "dfad.json"))
    args = parser.parse_args()
    if args.device == "cpu":
        torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.tiny:
        preset, dataset, overrides = "smoke", "digits", []
        seeds = [0]
        if args.out.endswith("results/dfad.json"):
            args.out = "/tmp/dfad_tiny.json"
    elif args.paper:
        preset, dataset, overrides = "paper", "mnist", []
    else:  # CPU scale: a narrower generator, smaller batches, fewer iterations
        preset, dataset = "quick", "mnist"
        overrides = ["iters=300", "batch_size=128", "gen_ch=32", "teacher_epochs=2",
                     "eval_every=25", "student_steps=5"]
    overrides += list(args.set)
    with tempfile.TemporaryDirectory() as tmp:
        path = start_run("dfad", preset=preset, dataset=dataset, seeds=seeds,
                         overrides=overrides, out=tmp, device=args.device)
        summary = json.loads((path / "summary.json").read_text())
        timings = json.loads((path / "timings.json").read_text())
        records = [json.loads(line) for line in (path / "metrics.jsonl").read_text().splitlines()]
        config = json.loads((path / "config.json").read_text())
    curves: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        curves[str(r["seed"])][r["method"]].append((r["train_s"], r["test_acc"], r["step"]))
    ratios: dict[str, list[float | None]] = defaultdict(list)
    for seed in map(str, seeds):
        for method in curves[seed]:
            if not method.startswith("one-stage-"):
                continue
            two = curves[seed].get(method.replace("one-stage", "two-stage"))
            if not two:
                continue
            reached = time_to_reach([(t, a) for t, a, _ in curves[seed][method]], two[-1][1])
            ratios[method].append(None if reached is None else reached / two[-1][0])
    agg = summary["aggregate"]
    table = {m: {"test_acc_mean": agg[m]["test_acc"]["mean"],
                 "test_acc_std": agg[m]["test_acc"]["std"],
                 "ms_per_iter_median": [timings[str(s)].get(m, {}).get("ms_per_iter_median")
                                        for s in seeds]}
             for m in summary["methods"]}
    out = {
        "benchmark": "dfad", "command": "python " + " ".join(sys.argv),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "recipe_settings": config["settings"], "dataset": dataset, "seeds": seeds,
        "machine": machine_info(), "table": table,
        "one_stage_time_to_two_stage_final_acc_ratio": dict(ratios),
        "one_stage_time_ratio_mean": {m: float(np.mean([r for r in v if r is not None]))
                                      if any(r is not None for r in v) else None
                                      for m, v in ratios.items()},
        "curves": {s: dict(c) for s, c in curves.items()},
        "paired_vs_baseline": summary["paired_vs_baseline"],
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({"table": table, "ratios": out["one_stage_time_to_two_stage_final_acc_ratio"]},
                     indent=2))


if __name__ == "__main__":
    main()
