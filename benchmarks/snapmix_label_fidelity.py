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

import json
import statistics
import sys
import time

import torch

from harness import parse, parser, record, write_result
from tenfold.augment import label_fidelity, paired_trainer
from tenfold.data.image_sets import tensor_image_set


def main() -> None:
    p = parser("snapmix_label_fidelity", __doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--mixes", type=int, default=2000)
    p.add_argument("--beta", type=float, default=5.0)
    p.add_argument("--train-size", type=int, default=2000)
    p.add_argument("--widths", type=int, nargs="+", default=[8, 16, 32])
    p.add_argument("--cam-models", nargs="+", default=["none", "snapmix"])
    args = parse(p)
    settings = dict(epochs=args.epochs, widths=tuple(args.widths), batch_size=32, lr=0.05,
                    prob=1.0, arch="small", schedule="cosine", weight_decay=5e-4,
                    mixup_alpha=1.0, cutmix_beta=3.0, snapmix_beta=5.0)
    data = tensor_image_set("cluttered-digits", 64, args.train_size, 2000)
    rows = []
    for seed in args.seeds:
        for method in args.cam_models:
            start = time.perf_counter()
            trainer = paired_trainer(method, data, seed=seed, **settings).run()
            model, metrics = trainer.model, trainer.metrics()
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
    result = record(
        "snapmix_label_fidelity", args,
        training={k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()},
        dataset="cluttered-digits (2000 test images)",
        seeds=args.seeds, rows=rows, summary=summary,
        target="snapmix error <= 0.6 x area error (both area rules)",
        target_met=all(summary[main_key][k]["mean"] <= 0.6
                       for k in ("ratio_vs_area_sym", "ratio_vs_area_asym")))
    write_result(args.out, result)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
