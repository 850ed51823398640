"""Retrieval in impression space vs penultimate features vs pixels on digits, per template depth
(the ``impression`` recipe's retrieval experiment only, paired over seeds).

Writes ``benchmarks/results/impression_retrieval.json``: per template (widths) the LOO 1-NN
accuracy of 360 test digits in each space (mean ± std over seeds), per-seed values and the paired
difference impression − penultimate. Rewritten after every template.

    python benchmarks/impression_retrieval.py --seeds 0 1 2
    python benchmarks/impression_retrieval.py --dataset cifar10 --templates depth3 \
        --set train_subset=5000 template_epochs=4 \
        --out benchmarks/results/impression_retrieval_cifar10.json
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import torch

from tenfold.runtime.launch import machine_info, start_run
from tenfold.runtime.stats import mean_std, paired_difference

RESULTS = Path(__file__).resolve().parent / "results"
TEMPLATES = {"depth2": "16,32", "depth3": "16,32,64", "depth4": "16,32,64,128"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--templates", nargs="+", default=list(TEMPLATES))
    parser.add_argument("--set", nargs="*", default=[], help="more recipe overrides key=value")
    parser.add_argument("--out", type=Path, default=RESULTS / "impression_retrieval.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    result: dict = {"command": "python " + shlex.join(sys.argv), "preset": "quick",
                    "dataset": args.dataset, "overrides": args.set,
                    "seeds": args.seeds, "machine": machine_info(),
                    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "templates": {}}
    for name in args.templates:
        widths = TEMPLATES[name]
        with tempfile.TemporaryDirectory() as runs:
            path = start_run("impression", preset="quick", seeds=args.seeds, out=runs,
                             dataset=args.dataset, device="cpu",
                             overrides=["experiments=retrieval", f"template_widths={widths}",
                                        *args.set])
            per_seed = json.loads((path / "summary.json").read_text())["per_seed"]
        seeds = sorted(per_seed)

        def values(method: str, per_seed=per_seed, seeds=seeds) -> list[float]:
            return [per_seed[s][method]["retrieval_1nn"] for s in seeds]
        result["templates"][name] = {
            "widths": widths,
            "template_acc": mean_std([per_seed[s]["impression"]["template_acc"] for s in seeds]),
            **{m: mean_std(values(m)) for m in ("impression", "penultimate", "pixels")},
            "impression-penultimate": paired_difference(values("impression"),
                                                        values("penultimate")),
            "per_seed": per_seed}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1, sort_keys=True))
        print(name, {m: round(result["templates"][name][m]["mean"], 4)
                     for m in ("impression", "penultimate", "pixels")}, flush=True)


if __name__ == "__main__":
    main()
