"""FactorGCN benchmark: the ``factorgcn`` recipe at a chosen scale, results merged into one file.

Runs the recipe (synthetic factor graphs or a TU dataset) through ``tenfold.runtime.launch`` and
appends one entry (command, settings, seeds, per-seed metrics, aggregate, timings, machine, date)
to ``benchmarks/results/factorgcn.json`` under the key ``<dataset>``; entries of earlier
invocations are kept, so the comparison can be split into several runs of < 20 minutes each.

Examples (CPU, one thread, as measured for the docs):

    python benchmarks/factorgcn.py --methods factorgcn gcn --num-graphs 20000 --epochs 80 --seeds 0
    python benchmarks/factorgcn.py --dataset mutag --tu-epochs 100 --seeds 0
    python benchmarks/factorgcn.py --dataset proteins --tu-epochs 20 --seeds 0   # ~17 min
    python benchmarks/factorgcn.py --tiny                      # seconds: checks the script only
GPU (all methods, official scale; one invocation per seed, so each finished seed is kept):

    for s in 0 1 2; do python benchmarks/factorgcn.py --device cuda --num-graphs 20000 \
        --epochs 80 --seeds $s --label gpu --out $OUT/factorgcn_gpu.json; done
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

from tenfold.runtime.io import read_json, write_json
from tenfold.runtime.launch import machine_info, start_run

RESULTS = Path(__file__).resolve().parent / "results" / "factorgcn.json"


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="synthetic-factor-graphs")
    p.add_argument("--methods", nargs="*", default=[])
    p.add_argument("--num-graphs", type=int, default=20000)
    p.add_argument("--epochs", type=int, default=80)
    p.add_argument("--tu-epochs", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--dis-weight", type=float, default=None)
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--tiny", action="store_true", help="a seconds-long check of the script")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--label", default="", help="suffix of the entry key (default: none)")
    args = p.parse_args(argv)
    if args.device == "cpu":
        torch.set_num_threads(args.threads)
    if args.tiny:
        args.num_graphs, args.epochs, args.tu_epochs = 300, 2, 2
    overrides = [f"num_graphs={args.num_graphs}", f"epochs={args.epochs}",
                 f"tu_epochs={args.tu_epochs}"]
    if args.methods:
        overrides.append("methods=" + ",".join(args.methods))
    if args.batch_size:
        overrides.append(f"batch_size={args.batch_size}")
    if args.dis_weight is not None:
        overrides.append(f"dis_weight={args.dis_weight}")
    if args.tiny:
        overrides += ["batch_size=100", "max_folds=2", "folds=3"]
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = start_run("factorgcn", preset="paper", dataset=args.dataset, seeds=args.seeds,
                            overrides=overrides, out=tmp, device=args.device)
        summary = read_json(run_dir / "summary.json")
        timings = read_json(run_dir / "timings.json")
    entry = {
        "command": "python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *(argv or
                                                                             sys.argv[1:])]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "wall_s": round(time.time() - start, 1),
        "machine": machine_info(),
        "device": args.device,
        "seeds": summary["seeds"],
        "settings": summary["settings"],
        "aggregate": summary["aggregate"],
        "per_seed": summary["per_seed"],
        "paired_vs_baseline": summary["paired_vs_baseline"],
        "timings": timings,
    }
    results = read_json(args.out) if args.out.exists() else {}
    key = args.dataset + ("-tiny" if args.tiny else "") + (f"-{args.label}" if args.label else "")
    results.setdefault(key, []).append(entry)
    write_json(args.out, results)
    print(json.dumps({m: {k: v["mean"] for k, v in d.items()}
                      for m, d in summary["aggregate"].items()}, indent=1))
    return entry


if __name__ == "__main__":
    main()
