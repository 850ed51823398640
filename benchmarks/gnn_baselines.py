"""Benchmark: MLP / GCN / GAT test accuracy on Planetoid public splits, mean ± std over seeds.

    python benchmarks/gnn_baselines.py --datasets cora citeseer --seeds 0-9 --preset paper

Writes benchmarks/results/gnn_baselines.json (or --out) with the per-method mean ± std, the
per-seed values, seconds per epoch, the command, the machine and the date.
"""

from __future__ import annotations

import json
import statistics
import tempfile

from harness import parse, parser, record, write_result
from tenfold.runtime.config import parse_seeds
from tenfold.runtime.launch import start_run


def main(argv: list[str] | None = None) -> None:
    p = parser("gnn_baselines", __doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=["cora", "citeseer"])
    p.add_argument("--seeds", default="0-9")
    p.add_argument("--preset", default="paper")
    p.add_argument("--device", default="auto")
    args = parse(p, argv)
    seeds = parse_seeds(args.seeds)
    results = {}
    with tempfile.TemporaryDirectory() as runs:
        for dataset in args.datasets:
            path = start_run("gnn-baselines", preset=args.preset, dataset=dataset, seeds=seeds,
                             out=runs, device=args.device)
            summary = json.loads((path / "summary.json").read_text())
            timings = json.loads((path / "timings.json").read_text())
            results[dataset] = {
                method: {
                    "test_acc_mean": summary["aggregate"][method]["test_acc"]["mean"],
                    "test_acc_std": summary["aggregate"][method]["test_acc"]["std"],
                    "test_acc_per_seed": [summary["per_seed"][str(s)][method]["test_acc"]
                                          for s in seeds],
                    "epoch_ms_median": statistics.median(t[method]["epoch_ms"]
                                                         for t in timings.values()),
                }
                for method in summary["methods"]
            }
            results[dataset]["settings"] = summary["settings"]
            # after every dataset, so a cut-off run keeps what finished
            write_result(args.out, record("gnn_baselines", args, seeds=seeds,
                                          preset=args.preset, results=results))
    print(json.dumps({d: {m: round(100 * v["test_acc_mean"], 2) for m, v in r.items()
                          if m != "settings"} for d, r in results.items()}))


if __name__ == "__main__":
    main()
