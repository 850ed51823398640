"""UDOR against the plain auto-encoder and the supervised S-AE, on fixed and jittered slots.

Runs the ``udor`` recipe through the runtime (same canvases, initial weights and batches for every
method, one run per seed and slot layout) and writes ``benchmarks/results/udor[_<name>].json``:
every metric's mean ± std over seeds per layout and method, the per-seed values, and the paired
comparisons of the issue's targets:

* part-classification macro-F1 of each UDOR variant divided by S-AE's (target ≥ 0.9);
* visual-integrity error of each method minus the "do nothing" error and minus the plain AE's
  (target: both < 0);

plus the ablation over the fuzzy-loss form (official / marginal) and the GAN term, which are
methods of the same runs. The file is rewritten after every finished run.

    python benchmarks/udor.py --seeds 0 1 2                       # Multi-MNIST, both layouts
    python benchmarks/udor.py --tiny                              # checks the script only
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from tenfold.runtime.launch import machine_info, start_run

RESULTS = Path(__file__).resolve().parent / "results"
METHODS = ("udor", "udor-nogan", "udor-marginal", "udor-nofuzzy", "ae", "s-ae")
#: The benchmark budget, pinned here (never the ``quick`` preset's values): Multi-MNIST canvases
#: from the mirror's MNIST files, 8,000 training / 1,000 test canvases, 600 iterations of batch 64
#: (4.8 epochs; official: 15 epochs = 1,875 iterations; ``quick``: 150), width 16, one critic
#: step of width 8 (the CPU budget of the shared machine: about 3.5 CPU minutes a seed and layout).
BENCH = {"num_train": 8000, "num_test": 1000, "iters": 600, "batch_size": 64, "ch": 16,
         "critic_steps": 1, "critic_ch": 8, "part_dim": 1, "lr": 1e-3, "probe_train": 1500,
         "modularity_groups": 10, "group_size": 10, "figure_images": 0, "iters_per_step": 25,
         "checkpoint_every": 4}
UDOR_VARIANTS = ("udor", "udor-nogan", "udor-marginal", "udor-marginal-nogan")


def mean_std(values: list[float]) -> dict[str, float]:
    a = np.asarray(values, dtype=float)
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if len(a) > 1 else 0.0,
            "n": len(a)}


def paired(per_seed: dict[int, dict], fn) -> dict[str, object]:
    """``fn(metrics of one seed)`` per seed, with mean ± std and how many seeds are < 0."""
    values = [fn(m) for m in per_seed.values()]
    return {**mean_std(values), "per_seed": values,
            "below_zero": int(sum(v < 0 for v in values))}


def comparisons(per_seed: dict[int, dict], methods: tuple[str, ...]) -> dict[str, object]:
    out: dict[str, object] = {}
    for m in methods:
        row = {}
        if "s-ae" in methods and m != "s-ae":
            row["macro_f1_over_sae"] = paired(
                per_seed, lambda s, m=m: s[m]["macro_f1"] / s["s-ae"]["macro_f1"])
            row["macro_f1_over_sae"]["at_least_0.9"] = int(
                sum(v >= 0.9 for v in row["macro_f1_over_sae"]["per_seed"]))
        row["visual_minus_do_nothing"] = paired(
            per_seed, lambda s, m=m: s[m]["visual_error"] - s[m]["do_nothing_error"])
        if "ae" in methods and m != "ae":
            row["visual_minus_ae"] = paired(
                per_seed, lambda s, m=m: s[m]["visual_error"] - s["ae"]["visual_error"])
        out[m] = row
    return out


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="mnist", choices=("digits", "mnist"))
    p.add_argument("--slots", nargs="+", default=["fixed", "offset"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--methods", nargs="+", default=list(METHODS))
    p.add_argument("--set", dest="overrides", nargs="*", default=[],
                   help="extra recipe settings key=value")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--tiny", action="store_true", help="smoke settings: checks the script only")
    p.add_argument("--name", default=None, help="results file udor_<name>.json")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    preset = "smoke" if args.tiny else "quick"
    methods = tuple(args.methods)
    name = "udor" + (f"_{args.name}" if args.name else "") + ("_tiny" if args.tiny else "")
    command = "python benchmarks/udor.py " + shlex.join(argv)
    start = time.perf_counter()
    result: dict[str, object] = {
        "benchmark": "udor", "dataset": args.dataset, "preset": preset, "methods": methods,
        "seeds_planned": args.seeds, "settings_pinned": {} if args.tiny else BENCH,
        "layouts": {}, "command": command,
        "machine": machine_info()}
    pinned = [] if args.tiny else [f"{k}={v}" for k, v in BENCH.items()]
    per_layout: dict[str, dict[int, dict]] = {s: {} for s in args.slots}
    train_times: dict[str, dict[str, list[float]]] = {s: {} for s in args.slots}
    cpu_start = time.process_time()
    with tempfile.TemporaryDirectory() as out:
        for seed in args.seeds:                       # seeds outer: every layout gets seed 0 first
            for slots in args.slots:
                overrides = [*pinned, f"slots={slots}", f"methods={','.join(methods)}",
                             *args.overrides]
                per_seed, train_s = per_layout[slots], train_times[slots]
                path = start_run("udor", preset=preset, dataset=args.dataset, seeds=[seed],
                                 overrides=overrides, out=out, device="cpu",
                                 keep_checkpoints=False)
                summary = json.loads((path / "summary.json").read_text())
                per_seed[seed] = summary["per_seed"][str(seed)]
                timings = json.loads((path / "timings.json").read_text())[str(seed)]
                for m in methods:
                    train_s.setdefault(m, []).append(timings[m]["train_s"])
                metrics = per_seed[seed][methods[0]].keys()
                result["layouts"][slots] = {
                    "settings": summary["settings"], "seeds": sorted(per_seed),
                    "table": {m: {k: mean_std([per_seed[s][m][k] for s in per_seed])
                                  for k in metrics} for m in methods},
                    "comparisons": comparisons(per_seed, methods),
                    "per_seed": per_seed, "train_seconds": train_s}
                result["wall_seconds"] = time.perf_counter() - start
                result["cpu_seconds"] = time.process_time() - cpu_start
                result["date"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                RESULTS.mkdir(exist_ok=True)
                target = RESULTS / f"{name}.json"
                target.write_text(json.dumps(result, indent=1) + "\n")
                print(f"{slots} seed {seed} done ({time.perf_counter() - start:.0f} s): "
                      f"wrote {target}", flush=True)
    for slots, layout in result["layouts"].items():
        print(f"-- {slots} slots, seeds {layout['seeds']}")
        for m, row in layout["table"].items():
            print(f"{m:20s} F1 {row['macro_f1']['mean']:.3f} ± {row['macro_f1']['std']:.3f}  "
                  f"visual {row['visual_error']['mean']:6.2f} ± {row['visual_error']['std']:5.2f}"
                  f"  do-nothing {row['do_nothing_error']['mean']:6.2f}  "
                  f"rec {row['rec_mae']['mean']:6.2f}  mod {row['modularity']['mean']:.3f}")


if __name__ == "__main__":
    main()
