"""SPAGAN reproduction: GAT vs SPAGAN (official / iterative / one-hop) vs GCN, paired seeds.

Runs the ``spagan`` recipe (``paper`` preset: official schedule, validation-loss early stopping
with patience 50 after a 500-epoch warm-up per phase) over the seeds of one run per dataset, kept
in ``--run-root`` (a stopped benchmark continues with the same command: the runtime resumes the
run). Each invocation adds one entry per dataset to ``benchmarks/results/spagan_reproduce.json``
under ``<dataset>[-<label>]`` (command, commit, settings, per-seed metrics, mean ± std, paired
differences against GAT, timings, machine, date), rewritten after every finished seed so that a
long run that is stopped keeps what it measured. Several processes: run seed shards as separate
commands (``--seeds 0 1 2 3 4`` and ``--seeds 5 6 7 8 9``, one per GPU) and merge the runs with
``tenfold merge`` — the runtime's way, not a process pool.

Examples:

    # GPU, the full protocol (10 paired seeds, Cora and CiteSeer):
    python benchmarks/spagan_reproduce.py --device cuda
    # CPU, reduced (what the docs quote when no GPU run exists):
    python benchmarks/spagan_reproduce.py --datasets cora --seeds 0 1 2 --label cpu
    # the synthetic two-hop graph (one-layer models, quick schedule):
    python benchmarks/spagan_reproduce.py --datasets synthetic-two-hop --seeds 0 1 2 3 4 \\
        --warmup 200 --max-epochs 1500 --label cpu
    python benchmarks/spagan_reproduce.py --tiny            # seconds: checks the script only
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from harness import RESULTS, parse, parser, read_json, record, write_result
from tenfold.data.graphs import node_classification_graph
from tenfold.runtime.launch import plan_run, resume_run, start_run
from tenfold.runtime.rundir import RunDir
from tenfold.runtime.summary import summarize

METHODS = ["gat", "spagan", "spagan_iter", "spagan_1hop", "gcn"]


def _finished(run_dir: RunDir, seeds: list[int]) -> dict[int, tuple[dict, dict]]:
    """Metrics and timings of the seeds the run has finished so far."""
    done = {}
    for seed in seeds:
        result = run_dir.seed_result(seed)
        if result is not None:
            done[seed] = (result["metrics"], result.get("timings", {}))
    return done


def _entry(recipe, config, done: dict[int, tuple[dict, dict]], args, run_dir: RunDir,
           wall_s: float) -> dict:
    """The result entry for the seeds finished so far (``seeds`` says which)."""
    summary = summarize(recipe, config, {s: {"metrics": m} for s, (m, _) in done.items()})
    return record("spagan_reproduce", args, **{
        "wall_s": round(wall_s, 1),
        "run_dir": str(run_dir.path),
        "device": args.device,
        "seeds_requested": args.seeds,
        "seeds": summary["seeds"],
        "settings": summary["settings"],
        "aggregate": summary["aggregate"],
        "per_seed": summary["per_seed"],
        "paired_vs_baseline": summary["paired_vs_baseline"],
        "timings": {str(s): t for s, (_, t) in sorted(done.items())},
    })


def run_dataset(dataset: str, key: str, args, overrides: list[str], results: dict) -> dict:
    """All seeds of ``dataset`` in one run (resumed if an earlier invocation was stopped),
    rewriting the result file after every seed."""
    recipe, config, _ = plan_run("spagan", "paper", dataset, args.seeds, overrides)
    node_classification_graph(dataset)      # fill the cache once
    start = time.time()
    results.setdefault(key, []).append({})
    found: list[RunDir] = []
    marker = args.run_root / f"{key}.run"   # the run of an unfinished invocation, if any

    def save(run_dir: RunDir) -> dict:
        entry = _entry(recipe, config, _finished(run_dir, args.seeds), args, run_dir,
                       time.time() - start)
        results[key][-1] = entry            # rewritten after every seed: partial runs count
        write_result(args.out, results)
        return entry

    def on_seed(index: int, total: int) -> None:
        if found and index:
            print(f"{key}: {index}/{total} seeds done", flush=True)
            save(found[0])

    def announce(path: Path) -> None:
        found.append(RunDir(path))
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(str(path))

    previous = Path(marker.read_text()) if marker.exists() else None
    if previous is not None and previous.is_dir() and not RunDir(previous).finished:
        path = resume_run(previous, device=args.device, announce=announce, on_seed=on_seed)
    else:
        path = start_run("spagan", preset="paper", dataset=dataset, seeds=args.seeds,
                         overrides=overrides, out=args.run_root, device=args.device,
                         announce=announce, on_seed=on_seed)
    marker.unlink(missing_ok=True)
    return save(RunDir(path))


def main(argv: list[str] | None = None) -> dict:
    p = parser("spagan_reproduce", __doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=["cora", "citeseer"])
    p.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    p.add_argument("--methods", nargs="+", default=METHODS)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--patience", type=int, default=50)
    p.add_argument("--max-epochs", type=int, default=100_000)
    p.add_argument("--regen-every", type=int, default=100)
    p.add_argument("--set", nargs="*", default=[], help="extra recipe settings key=value")
    p.add_argument("--device", default="cpu")
    p.add_argument("--run-root", type=Path, default=RESULTS.parent / "runs" / "spagan_reproduce",
                   help="where the runs are kept (a stopped benchmark resumes them)")
    p.add_argument("--tiny", action="store_true", help="a seconds-long check of the script")
    p.add_argument("--label", default="", help="suffix of the entry key")
    p.add_argument("--workers", type=int, default=1,
                   help="kept for the commands in the docs; seeds now run one after another "
                        "in one run (several processes: separate --seeds shards)")
    args = parse(p, argv)
    if args.workers > 1:
        print(f"--workers {args.workers}: the seeds run one after another in one process "
              "(shard them with --seeds in separate commands to use several devices)",
              flush=True)
    if args.tiny:
        args.seeds, args.warmup, args.max_epochs, args.regen_every = [0, 1], 0, 4, 2
    overrides = [f"warmup={args.warmup}", f"patience={args.patience}",
                 f"max_epochs={args.max_epochs}", f"regen_every={args.regen_every}",
                 "methods=" + ",".join(args.methods), *args.set]
    results = read_json(args.out) if args.out.exists() else {}
    entries = {}
    for dataset in args.datasets:
        key = dataset + ("-tiny" if args.tiny else "") + (f"-{args.label}" if args.label else "")
        entry = entries[key] = run_dataset(dataset, key, args, overrides, results)
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
