"""SnapMix vs no mixing / MixUp / CutMix / asymmetric CutMix: test accuracy under equal budgets.

Runs the ``snapmix`` recipe (same model, initial weights, data order and schedule for every
method, paired over seeds) and stores its summary: final-epoch and best-epoch test accuracy per
method, mean +- std over seeds, paired differences against no mixing, label-fidelity numbers
(cluttered digits) and step timings.

    python benchmarks/snapmix_accuracy.py --dataset cluttered-digits --seeds 0 1 2 \
        --set epochs=15 train_size=2000 test_size=2000
    python benchmarks/snapmix_accuracy.py --dataset flowers12 --seeds 0 1 \
        --set image_size=64 epochs=20 methods=none,cutmix,snapmix
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

from tenfold.runtime.launch import machine_info, start_run

RESULTS = Path(__file__).parent / "results"


def percent(tree):
    """The recipe reports accuracies as fractions; this file stores them in percent."""
    if isinstance(tree, dict):
        out = {}
        for key, value in tree.items():
            if key.endswith("_acc") and isinstance(value, float):
                out[key] = 100.0 * value
            elif key.endswith("_acc") and isinstance(value, dict):
                out[key] = {k: (100.0 * v if k in ("mean", "std") else v)
                            for k, v in value.items()}
            else:
                out[key] = percent(value)
        return out
    return tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="cluttered-digits")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--set", nargs="*", default=[], dest="overrides",
                        help="recipe settings key=value (on top of the quick preset)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--runs", type=Path, default=None, help="run directory root")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    out = args.out or RESULTS / f"snapmix_accuracy_{args.dataset.replace('-', '_')}.json"
    runs = args.runs or Path(tempfile.mkdtemp(prefix="snapmix-bench-"))
    start = time.perf_counter()
    path = start_run("snapmix", preset="quick", dataset=args.dataset, seeds=args.seeds,
                     overrides=args.overrides, out=runs, device=args.device)
    summary = json.loads((path / "summary.json").read_text())
    timings = json.loads((path / "timings.json").read_text())
    result = {
        "benchmark": "snapmix_accuracy",
        "command": "python " + " ".join(sys.argv),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "dataset": args.dataset,
        "seeds": args.seeds,
        "settings": summary["settings"],
        "accuracy_unit": "percent",
        "aggregate": percent(summary["aggregate"]),
        "paired_vs_none": percent(summary["paired_vs_baseline"]),
        "per_seed": percent(summary["per_seed"]),
        "timings": timings,
        "wall_s": time.perf_counter() - start,
        "run_dir": str(path),
        "machine": machine_info(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    for method, metrics in result["aggregate"].items():
        line = "  ".join(f"{k}={v['mean']:.3f}+-{v['std']:.3f}" for k, v in metrics.items()
                         if k in ("test_acc", "best_test_acc", "label_err"))
        print(f"{method:16s} {line}")


if __name__ == "__main__":
    main()
