"""SPAGAN reproduction: GAT vs SPAGAN (official / iterative / one-hop) vs GCN, paired seeds.

Runs the ``spagan`` recipe (``paper`` preset: official schedule, validation-loss early stopping
with patience 50 after a 500-epoch warm-up per phase) once per (dataset, seed), optionally in
several processes. Each invocation adds one entry per dataset to
``benchmarks/results/spagan_reproduce.json`` under ``<dataset>[-<label>]`` (command, settings,
per-seed metrics, mean ± std, paired differences against GAT, timings, machine, date), rewritten
after every finished seed so that a long run that is stopped keeps what it measured.

Examples:

    # GPU, the full protocol (10 paired seeds, Cora and CiteSeer), ~4 min on one H100:
    python benchmarks/spagan_reproduce.py --device cuda --workers 10
    # CPU, reduced (what the docs quote when no GPU run exists):
    python benchmarks/spagan_reproduce.py --datasets cora --seeds 0 1 2 --label cpu
    # the synthetic two-hop graph (one-layer models, quick schedule):
    python benchmarks/spagan_reproduce.py --datasets synthetic-two-hop --seeds 0 1 2 3 4 \\
        --warmup 200 --max-epochs 1500 --label cpu
    python benchmarks/spagan_reproduce.py --tiny            # seconds: checks the script only
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import shlex
import sys
import tempfile
import time
from pathlib import Path

import torch

from tenfold.data.graphs import node_classification_graph
from tenfold.runtime.io import read_json, write_json
from tenfold.runtime.launch import machine_info, plan_run, start_run
from tenfold.runtime.summary import summarize

RESULTS = Path(__file__).resolve().parent / "results" / "spagan_reproduce.json"
METHODS = ["gat", "spagan", "spagan_iter", "spagan_1hop", "gcn"]


def one_seed(dataset: str, seed: int, overrides: list[str], device: str, threads: int
             ) -> tuple[int, dict, dict]:
    """Run the recipe for one seed in a scratch directory; return its metrics and timings."""
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = start_run("spagan", preset="paper", dataset=dataset, seeds=[seed],
                            overrides=overrides, out=tmp, device=device)
        summary = read_json(run_dir / "summary.json")
        timings = read_json(run_dir / "timings.json")
    return seed, summary["per_seed"][str(seed)], timings.get(str(seed), {})


def _one_seed_star(job: tuple) -> tuple[int, dict, dict]:
    return one_seed(*job)


def _entry(recipe, config, done: dict[int, tuple[dict, dict]], args, command: str,
           wall_s: float) -> dict:
    """The result entry for the seeds finished so far (``seeds`` says which)."""
    summary = summarize(recipe, config, {s: {"metrics": m} for s, (m, _) in done.items()})
    return {
        "command": command,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "wall_s": round(wall_s, 1),
        "machine": machine_info(),
        "device": args.device,
        "workers": args.workers,
        "seeds_requested": args.seeds,
        "seeds": summary["seeds"],
        "settings": summary["settings"],
        "aggregate": summary["aggregate"],
        "per_seed": summary["per_seed"],
        "paired_vs_baseline": summary["paired_vs_baseline"],
        "timings": {str(s): t for s, (_, t) in sorted(done.items())},
    }


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=["cora", "citeseer"])
    p.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    p.add_argument("--methods", nargs="+", default=METHODS)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--patience", type=int, default=50)
    p.add_argument("--max-epochs", type=int, default=100_000)
    p.add_argument("--regen-every", type=int, default=100)
    p.add_argument("--set", nargs="*", default=[], help="extra recipe settings key=value")
    p.add_argument("--device", default="cpu")
    p.add_argument("--workers", type=int, default=1, help="processes running seeds at once")
    p.add_argument("--threads", type=int, default=1, help="torch threads per process")
    p.add_argument("--tiny", action="store_true", help="a seconds-long check of the script")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--label", default="", help="suffix of the entry key")
    args = p.parse_args(argv)
    if args.tiny:
        args.seeds, args.warmup, args.max_epochs, args.regen_every = [0, 1], 0, 4, 2
    overrides = [f"warmup={args.warmup}", f"patience={args.patience}",
                 f"max_epochs={args.max_epochs}", f"regen_every={args.regen_every}",
                 "methods=" + ",".join(args.methods), "checkpoint_every=0", *args.set]
    results = read_json(args.out) if args.out.exists() else {}
    command = "python " + " ".join(shlex.quote(a) for a in
                                   [sys.argv[0], *(argv if argv is not None else sys.argv[1:])])
    entries = {}
    for dataset in args.datasets:
        recipe, config, _ = plan_run("spagan", "paper", dataset, args.seeds, overrides)
        node_classification_graph(dataset)      # fill the cache once, before any worker
        key = dataset + ("-tiny" if args.tiny else "") + (f"-{args.label}" if args.label else "")
        start = time.time()
        jobs = [(dataset, s, overrides, args.device, args.threads) for s in args.seeds]
        results.setdefault(key, []).append({})
        done: dict[int, tuple[dict, dict]] = {}
        with mp.get_context("spawn").Pool(min(args.workers, len(jobs))) as pool:
            for seed, metrics, timing in pool.imap_unordered(_one_seed_star, jobs):
                done[seed] = (metrics, timing)
                entry = _entry(recipe, config, done, args, command, time.time() - start)
                results[key][-1] = entry         # rewritten after every seed: partial runs count
                write_json(args.out, results)
                print(f"{key}: seed {seed} done ({len(done)}/{len(jobs)})", flush=True)
        entries[key] = entry
        agg, paired = entry["aggregate"], entry["paired_vs_baseline"]
        print(f"{key}: {len(args.seeds)} seeds, {entry['wall_s']} s")
        for m in agg:
            acc = agg[m]["test_acc"]
            line = f"  {m:12s} {100 * acc['mean']:.2f} ± {100 * acc['std']:.2f}"
            if m in paired:
                d = paired[m]["test_acc"]
                line += (f"   vs gat {100 * d['mean']:+.2f} ± {100 * d['std']:.2f} "
                         f"(wins {d['wins']}/{d['n']})")
            print(line, flush=True)
    return entries


if __name__ == "__main__":
    json.dumps(main())
