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

import json
import tempfile
import time
from pathlib import Path

from harness import RESULTS, parse, parser, record, write_result
from tenfold.runtime.launch import start_run

# every setting pinned here (the values of the published runs), so that a change of the recipe's
# quick preset or defaults does not change what this benchmark measures; --set overrides them
PINNED = {"methods": "none,mixup,cutmix,snapmix", "epochs": "6", "batch_size": "32",
          "lr": "0.05", "weight_decay": "0.0005", "schedule": "cosine", "arch": "auto",
          "widths": "8,16,32", "image_size": "64", "train_size": "1000", "test_size": "1000",
          "mix_prob": "0.5", "mixup_alpha": "1.0", "cutmix_beta": "3.0", "snapmix_beta": "5.0",
          "eval_cam": "false", "label_fidelity": "true", "fidelity_mixes": "2000"}


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
    p = parser("snapmix_accuracy", __doc__.split("\n")[0])
    p.add_argument("--dataset", default="cluttered-digits")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--set", nargs="*", default=[], dest="overrides",
                   help="recipe settings key=value (on top of PINNED)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--runs", type=Path, default=None, help="run directory root")
    p.set_defaults(out=None)
    args = parse(p)
    settings = {**PINNED, **dict(o.split("=", 1) for o in args.overrides)}
    out = args.out or RESULTS / f"snapmix_accuracy_{args.dataset.replace('-', '_')}.json"
    runs = args.runs or Path(tempfile.mkdtemp(prefix="snapmix-bench-"))
    start = time.perf_counter()
    path = start_run("snapmix", preset="quick", dataset=args.dataset, seeds=args.seeds,
                     overrides=[f"{k}={v}" for k, v in settings.items()], out=runs,
                     device=args.device)
    summary = json.loads((path / "summary.json").read_text())
    timings = json.loads((path / "timings.json").read_text())
    result = record(
        "snapmix_accuracy", args, dataset=args.dataset, seeds=args.seeds,
        recipe_settings=summary["settings"], accuracy_unit="percent",
        aggregate=percent(summary["aggregate"]),
        paired_vs_none=percent(summary["paired_vs_baseline"]),
        per_seed=percent(summary["per_seed"]), timings=timings,
        wall_s=time.perf_counter() - start, run_dir=str(path))
    write_result(out, result)
    for method, metrics in result["aggregate"].items():
        line = "  ".join(f"{k}={v['mean']:.3f}+-{v['std']:.3f}" for k, v in metrics.items()
                         if k in ("test_acc", "best_test_acc", "label_err"))
        print(f"{method:16s} {line}")


if __name__ == "__main__":
    main()
