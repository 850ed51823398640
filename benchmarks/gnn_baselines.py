"""Benchmark: MLP / GCN / GAT test accuracy on Planetoid public splits, mean ± std over seeds.

    python benchmarks/gnn_baselines.py --datasets cora citeseer --seeds 0-9

Runs the ``gnn-baselines`` recipe through the runtime with the settings of the GCN and GAT papers
pinned here (:data:`PINNED`: 1000 epochs, patience 100, GCN hidden 64 / dropout 0.5 / lr 0.01,
GAT 8 heads × 8 / dropout 0.6 / lr 0.005, weight decay 5e-4), so that a change of the recipe's
presets never changes what this benchmark measures; ``--set key=value`` changes one of them (and
is recorded in the command). Writes one entry of ``runs`` in ``benchmarks/results/
gnn_baselines.json`` (or ``--out``; an entry with the same command is replaced, others are
kept): per-method mean ± std, per-seed values and median seconds per epoch per dataset, with the
command, commit, machine and date. The file is rewritten after every dataset.
"""

from __future__ import annotations

import json
import statistics
import tempfile

from harness import parse, parser, read_json, record, write_result
from tenfold.runtime.config import parse_seeds
from tenfold.runtime.launch import start_run

#: The papers' settings (Kipf & Welling 2017; Veličković et al. 2018), given to every run.
PINNED = {"epochs": 1000, "patience": 100, "hidden": 64, "dropout": 0.5, "lr": 0.01,
          "gat_hidden": 8, "gat_heads": 8, "gat_dropout": 0.6, "gat_lr": 0.005,
          "weight_decay": 5e-4, "methods": "mlp,gcn,gat"}


def main(argv: list[str] | None = None) -> None:
    p = parser("gnn_baselines", __doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=["cora", "citeseer"])
    p.add_argument("--seeds", default="0-9")
    p.add_argument("--set", dest="overrides", nargs="*", default=[],
                   help="change a pinned setting: key=value")
    p.add_argument("--device", default="auto")
    args = parse(p, argv)
    seeds = parse_seeds(args.seeds)
    settings = {**PINNED, **dict(o.split("=", 1) for o in args.overrides)}
    overrides = [f"{k}={v}" for k, v in settings.items()]
    results = {}
    with tempfile.TemporaryDirectory() as runs:
        for dataset in args.datasets:
            path = start_run("gnn-baselines", preset="paper", dataset=dataset, seeds=seeds,
                             overrides=overrides, out=runs, device=args.device)
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
            entry = record("gnn_baselines", args, seeds=seeds, preset="paper",
                           pinned=settings, results=results)
            write_result(args.out, _merged(args.out, entry))
    print(json.dumps({d: {m: round(100 * v["test_acc_mean"], 2) for m, v in r.items()
                          if m != "settings"} for d, r in results.items()}))


def _merged(path, entry: dict) -> dict:
    """The results file with ``entry`` in its ``runs`` (replacing one with the same command)."""
    try:
        old = read_json(path)
    except (OSError, ValueError):
        old = {}
    runs = [r for r in (old.get("runs", []) if isinstance(old, dict) else [])
            if r.get("command") != entry["command"]]
    return {"benchmark": "gnn_baselines", "runs": [*runs, entry]}


if __name__ == "__main__":
    main()
