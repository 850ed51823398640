"""SnapMix label fidelity on cluttered digits (the mechanism of arXiv 2012.04846).

Trains a CAM model (small ResNet, no mixing, and optionally one trained with SnapMix) on the
embedded cluttered-digits set, then draws random mixes of *test* images and compares each label
rule with the true visible fractions of the two digits (known from their boxes):

    error = |w_a - (1 - vis_a(A))| + |w_b - vis_b(B)|   (mean over mixes)

Rules: area labels with CutMix's single box (``area_sym``), area labels with SnapMix's two
independent boxes (``area_asym``), SnapMix's CAM labels (``snapmix``, no same-class boost).
Target (issue 6): snapmix error <= 0.6 x area error.

    python benchmarks/snapmix_label_fidelity.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from tenfold.recipes.snapmix import SnapMixConfig, label_fidelity, load_images, train_method
from tenfold.runtime.launch import machine_info

OUT = Path(__file__).parent / "results" / "snapmix_label_fidelity.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--mixes", type=int, default=2000)
    parser.add_argument("--beta", type=float, default=5.0)
    parser.add_argument("--train-size", type=int, default=2000)
    parser.add_argument("--widths", type=int, nargs="+", default=[8, 16, 32])
    parser.add_argument("--cam-models", nargs="+", default=["none", "snapmix"])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = SnapMixConfig(epochs=args.epochs, train_size=args.train_size, test_size=2000,
                           widths=tuple(args.widths), batch_size=32, lr=0.05, mix_prob=1.0)
    data = load_images("cluttered-digits", 64, args.train_size, 2000)
    rows = []
    for seed in args.seeds:
        for method in args.cam_models:
            start = time.perf_counter()
            model, metrics, _ = train_method(method, config, data, torch.device("cpu"), seed)
            for mode in ("eval", "train"):
                gen = torch.Generator().manual_seed(1000 + seed)   # same mixes for every model
                errs = label_fidelity(model, data, args.mixes, args.beta, gen,
                                      eval_mode=(mode == "eval"))
                rows.append({"seed": seed, "cam_model": method, "cam_bn_mode": mode,
                             "cam_model_test_acc": 100.0 * metrics["test_acc"], **errs,
                             "ratio_vs_area_sym": errs["snapmix"] / errs["area_sym"],
                             "ratio_vs_area_asym": errs["snapmix"] / errs["area_asym"]})
                print(json.dumps(rows[-1]), flush=True)
            print(f"seed {seed} {method}: {time.perf_counter() - start:.0f}s", file=sys.stderr)
    summary = {}
    for method in args.cam_models:
        for mode in ("eval", "train"):
            sel = [r for r in rows if r["cam_model"] == method and r["cam_bn_mode"] == mode]
            summary[f"{method}/{mode}"] = {
                k: {"mean": statistics.fmean(r[k] for r in sel),
                    "std": statistics.pstdev(r[k] for r in sel)}
                for k in ("area_sym", "area_asym", "snapmix", "ratio_vs_area_sym",
                          "ratio_vs_area_asym", "cam_model_test_acc")}
    main_key = f"{args.cam_models[0]}/eval"
    result = {
        "benchmark": "snapmix_label_fidelity",
        "command": "python " + " ".join(sys.argv),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "settings": {**vars(args), "out": str(args.out), "batch_size": 32, "lr": 0.05,
                     "schedule": "cosine", "dataset": "cluttered-digits (2000 test images)"},
        "seeds": args.seeds,
        "rows": rows,
        "summary": summary,
        "target": "snapmix error <= 0.6 x area error (both area rules)",
        "target_met": all(summary[main_key][k]["mean"] <= 0.6
                          for k in ("ratio_vs_area_sym", "ratio_vs_area_asym")),
        "machine": machine_info(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
