"""TWP against fine-tuning on Amazon Photo (GCN, task-IL, 4 tasks of 2 classes), paired seeds.

The outside-use finding of issue #16 made measurable. Written with the library API only
(``tenfold.continual``), as a user would, not through the ``twp`` recipe: per seed one
:class:`~tenfold.continual.TaskStream` (splits 40 train / 20 validation nodes per class, the
rest test; edges between tasks kept), one initial GCN (hidden 64, dropout 0.5) copied for both
methods, Adam (lr 5e-3, weight decay 5e-4, one optimiser across tasks), ``--epochs`` full-batch
steps per task, then

* ``finetune`` — no plug-in;
* ``twp`` — ``TWP()`` with its defaults (λ_l = λ_t = 1e4, β = 0).

Metrics per seed (in %): AP (mean final accuracy over tasks), AF (average forgetting) and BWT.

    python benchmarks/twp_photo.py --seeds 0-2 --epochs 100

Writes ``benchmarks/results/twp_photo.json`` (schema 1, rewritten after every seed).
"""

from __future__ import annotations

import copy
import statistics
import time

import torch

from harness import parse, parser, result, write_result
from tenfold.continual import GCN, TWP, ContinualTrainer, TaskStream
from tenfold.data.graphs import node_classification_graph
from tenfold.runtime.config import parse_seeds

METHODS = ("finetune", "twp")


def run_seed(data, seed: int, args) -> dict[str, dict[str, float]]:
    stream = TaskStream(data, classes_per_task=2, scenario="task", split=(40, 20),
                        generator=torch.Generator().manual_seed(seed))
    torch.manual_seed(seed)
    initial = GCN(data.num_features, args.hidden, stream.num_outputs, dropout=0.5)
    out = {}
    for method in METHODS:
        torch.manual_seed(seed)                 # the same dropout stream for both methods
        trainer = ContinualTrainer(
            copy.deepcopy(initial),
            lambda params: torch.optim.Adam(params, lr=args.lr, weight_decay=args.weight_decay),
            epochs=args.epochs, plugins=[TWP()] if method == "twp" else [])
        start = time.process_time()
        metrics = trainer.fit(stream).metrics
        out[method] = {k: 100 * float(v) for k, v in metrics.items()}
        out[method]["cpu_s"] = time.process_time() - start
    return out


def main(argv: list[str] | None = None) -> dict:
    p = parser("twp_photo", __doc__.splitlines()[0])
    p.add_argument("--seeds", default="0-2")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--lr", type=float, default=5e-3)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    args = parse(p, argv)
    seeds = parse_seeds(args.seeds)
    data = node_classification_graph("photo")
    per_seed: dict[int, dict[str, dict[str, float]]] = {}
    res: dict = {}
    for seed in seeds:
        per_seed[seed] = run_seed(data, seed, args)
        print(f"seed {seed}: " + ", ".join(
            f"{m} AP {v['ap']:.1f} AF {v['af']:.1f}" for m, v in per_seed[seed].items()),
            flush=True)
        metrics = [k for k in per_seed[seed]["twp"] if k != "cpu_s"]
        summary = {m: {k: {"mean": statistics.fmean(r[m][k] for r in per_seed.values()),
                           "std": statistics.stdev([r[m][k] for r in per_seed.values()])
                           if len(per_seed) > 1 else 0.0} for k in metrics} for m in METHODS}
        paired = {k: {"mean": statistics.fmean(r["twp"][k] - r["finetune"][k]
                                               for r in per_seed.values()),
                      "std": statistics.stdev([r["twp"][k] - r["finetune"][k]
                                               for r in per_seed.values()])
                      if len(per_seed) > 1 else 0.0} for k in metrics}
        res = result("twp_photo", args, per_seed=per_seed, seeds=seeds, summary=summary,
                     paired_twp_minus_finetune=paired, units="%")
        write_result(args.out, res)
    return res


if __name__ == "__main__":
    main()
